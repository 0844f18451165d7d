// common/files/file_replace.hpp — replacing a whole file in a folder others may write to (the
// state file, the `file` actuator's count file): the new content goes to a temp file created
// exclusively (mkstemp: never an existing file, never through a link) in the target's folder,
// then fsync, rename over the target, fsync the folder. A reader sees the old or the new file,
// never a torn one; no file but the target's own directory entry is ever touched.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace luascale::files {

struct ReplaceOptions {
  // Mode of a target that does not exist yet. An existing target keeps its own mode (and its
  // owner and group, when this process may set them).
  mode_t new_file_mode = 0644;
};

// Replaces `path` with `text`. A target that is a symbolic link is refused (replacing it would
// silently turn the link into a file; writing through it would let whoever planted it choose the
// file written), as is one that is a directory or any other non-regular file. Returns "" or the
// reason, naming the path: "/run/count: is a symbolic link (to /etc/passwd); ...".
std::string replace_file(const std::string& path, std::string_view text,
                         const ReplaceOptions& options = {});

// "" when `path` may be replaced (absent, or a regular file); else why not, as replace_file says
// it. Does not follow a final symbolic link.
std::string check_replaceable(const std::string& path);

// Removes the temp files replace_file left for `path` when a process was killed mid-write
// (".<name>.tmp.<pid>.<suffix>", and the "<name>.tmp.<pid>" / ".<name>.tmp.<pid>" forms of
// earlier versions), only those of processes that no longer exist, only regular files this
// user owns. Returns how many were removed.
std::size_t remove_stale_temp_files(const std::string& path);

}  // namespace luascale::files
