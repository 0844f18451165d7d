// tests/unit/unit-actuators-local.cpp — the "log" and "file" actuators: what they write, what
// read() reports, atomic replacement, and errors that name the file.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <sstream>
#include <thread>

#include "adapter_helpers.hpp"
#include "adapters/actuators/file/file_actuator.hpp"
#include "adapters/common/options.hpp"
#include "fixtures.hpp"

using namespace luascale;
using namespace luascale::test;

namespace {

struct Fixture {
  TempDir dir;
  boost::asio::io_context io;
  AdapterContext ctx{io, dir.path().string()};

  ReadOutcome read(Actuator& a) {
    std::optional<ReadOutcome> out;
    a.read([&](ReadOutcome o) { out = std::move(o); });
    CHECK(!out);  // never inside the call
    run_until(io, [&] { return out.has_value(); });
    return *out;
  }
  ApplyOutcome apply(Actuator& a, std::int64_t n, const std::string& reason = "because") {
    ActuationInfo info{"api", reason, "maxReplicas", n + 1};
    std::optional<ApplyOutcome> out;
    a.apply(n, info, [&](ApplyOutcome o) { out = std::move(o); });
    CHECK(!out);
    run_until(io, [&] { return out.has_value(); });
    return *out;
  }
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("log actuator: one JSON object per decision, count remembered") {
  Fixture f;
  auto a = make_actuator(f.ctx, R"({"kind": "log", "path": "out/decisions.jsonl", "replicas": 3})");
  std::filesystem::create_directories(f.dir.path() / "out");
  auto r = f.read(*a);
  REQUIRE(r.state);
  CHECK(r.state->replicas == 3);
  CHECK(r.state->ready == 3);

  auto ap = f.apply(*a, 5, "depth \"120\"\nhigh");
  CHECK(ap.ok);
  CHECK(ap.applied == 5);
  CHECK(f.read(*a).state->replicas == 5);
  f.apply(*a, 4);

  auto ls = lines(read_file(f.dir.path() / "out/decisions.jsonl"));
  REQUIRE(ls.size() == 2);
  Value first = parse_json(ls[0]);
  CHECK(first.find("policy")->as_string() == "api");
  CHECK(first.find("from")->as_int() == 3);
  CHECK(first.find("desired")->as_int() == 5);
  CHECK(first.find("recommended")->as_int() == 6);
  CHECK(first.find("bound_by")->as_string() == "maxReplicas");
  CHECK(first.find("reason")->as_string() == "depth \"120\"\nhigh");
  CHECK(first.find("time")->as_number() > 1.7e9);
  CHECK(parse_json(ls[1]).find("from")->as_int() == 5);
}

TEST_CASE("log actuator: an unwritable file is an apply error naming it") {
  Fixture f;
  auto a = make_actuator(f.ctx, R"({"kind": "log", "path": "missing-dir/d.jsonl"})");
  auto ap = f.apply(*a, 2);
  CHECK(!ap.ok);
  CHECK(ap.error ==
        "log " + (f.dir.path() / "missing-dir/d.jsonl").string() + ": no such file or directory");
  CHECK(f.read(*a).state->replicas == 0);  // nothing was applied
}

TEST_CASE("file actuator: writes the count atomically and reads it back") {
  Fixture f;
  auto a = make_actuator(f.ctx, R"({"kind": "file", "path": "workers.count", "replicas": 2})");
  auto path = f.dir.path() / "workers.count";
  // Before the first apply the file does not exist: the configured starting count.
  CHECK(f.read(*a).state->replicas == 2);

  auto ap = f.apply(*a, 7);
  CHECK(ap.ok);
  CHECK(ap.applied == 7);
  CHECK(read_file(path) == "7\n");
  CHECK(f.read(*a).state->replicas == 7);
  CHECK(f.read(*a).state->ready == 7);

  // Another process edits the file: read() reports what is there now.
  f.dir.write("workers.count", " 12 \n");
  CHECK(f.read(*a).state->replicas == 12);

  // No temp files left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(f.dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("file actuator: a concurrent reader only ever sees whole counts") {
  Fixture f;
  auto path = (f.dir.path() / "n").string();
  REQUIRE(actuators::write_count_atomically(path, 1000000) == "");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto s = read_file(path);
      if (s != "1000000\n" && s != "2\n") ++bad;
      ++reads;
    }
  });
  for (int i = 0; i < 200; ++i)
    REQUIRE(actuators::write_count_atomically(path, i % 2 ? 1000000 : 2) == "");
  stop = true;
  reader.join();
  CHECK(bad == 0);
  CHECK(reads > 0);
}

TEST_CASE("file actuator: errors") {
  Fixture f;
  auto a = make_actuator(f.ctx, R"({"kind": "file", "path": "count"})");
  auto r = f.read(*a);
  CHECK(!r.state);
  CHECK(r.error ==
        "file: cannot read " + (f.dir.path() / "count").string() + ": no such file or directory");
  f.dir.write("count", "lots\n");
  r = f.read(*a);
  CHECK(r.error == "file: " + (f.dir.path() / "count").string() +
                       " does not hold a non-negative integer (\"lots\")");
  f.dir.write("count", "-3");
  CHECK(!f.read(*a).state);

  // A read-only folder: apply fails and names the temp file.
  std::filesystem::create_directories(f.dir.path() / "ro");
  ::chmod((f.dir.path() / "ro").c_str(), 0555);
  auto ro = make_actuator(f.ctx, R"({"kind": "file", "path": "ro/count"})");
  auto ap = f.apply(*ro, 3);
  if (::geteuid() != 0) {  // root ignores permissions
    CHECK(!ap.ok);
    CHECK(ap.error ==
          "file: create a temp file in " + (f.dir.path() / "ro").string() + ": permission denied");
  }
  ::chmod((f.dir.path() / "ro").c_str(), 0755);

  auto error_of = [&](const std::string& json) {
    try {
      make_actuator(f.ctx, json);
    } catch (const adapters::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of(R"({"kind": "file"})") == "file: key 'path': required");
  CHECK(error_of(R"({"kind": "file", "path": "nowhere/x"})") ==
        "file: key 'path': folder " + (f.dir.path() / "nowhere").string() + " does not exist");
  CHECK(error_of(R"({"kind": "file", "path": "x", "replicas": -1})") ==
        "file: key 'replicas': must be >= 0");
}

TEST_CASE("file actuator: files it does not own are never written") {
  Fixture f;
  const auto dir = f.dir.path();
  const std::string victim = (dir / "victim").string();
  f.dir.write("victim", "precious\n");
  ::chmod(victim.c_str(), 0600);

  // A link planted at every temp name the old scheme used (predictable from the pid): the write
  // goes to a temp file of its own, the link and the file it names stay as they were.
  const std::string count = (dir / "count").string();
  for (const std::string& name : {count + ".tmp." + std::to_string(::getpid()),
                                  (dir / (".count.tmp." + std::to_string(::getpid()))).string()})
    REQUIRE(::symlink(victim.c_str(), name.c_str()) == 0);
  auto a = make_actuator(f.ctx, R"({"kind": "file", "path": "count", "replicas": 1})");
  REQUIRE(f.apply(*a, 4).ok);
  CHECK(read_file(count) == "4\n");
  CHECK(read_file(victim) == "precious\n");
  struct stat st {};
  REQUIRE(::lstat(victim.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // The count file keeps its mode (and a new one is 0644).
  REQUIRE(::stat(count.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  ::chmod(count.c_str(), 0444);
  REQUIRE(f.apply(*a, 5).ok);
  REQUIRE(::stat(count.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);
  CHECK(read_file(count) == "5\n");

  // A target that is a symbolic link is refused on read and on apply, naming the link; the file
  // it points to is untouched and the link stays a link.
  const std::string link = (dir / "linked").string();
  REQUIRE(::symlink(victim.c_str(), link.c_str()) == 0);
  const std::string refusal = "file: " + link + ": is a symbolic link (to " + victim +
                              "); luascale replaces only regular files and never writes through "
                              "a link: name the file itself";
  try {
    make_actuator(f.ctx, R"({"kind": "file", "path": "linked"})");
    FAIL("a symlinked target was accepted");
  } catch (const adapters::OptionError& e) {
    CHECK(std::string(e.what()) == "file: key 'path': " + refusal.substr(6));
  }
  auto later = make_actuator(f.ctx, R"({"kind": "file", "path": "later"})");
  REQUIRE(::symlink(victim.c_str(), (dir / "later").c_str()) == 0);  // planted after the start
  auto r = f.read(*later);
  CHECK(!r.state);
  CHECK(r.error.find("is a symbolic link (to " + victim + ")") != std::string::npos);
  auto ap = f.apply(*later, 9);
  CHECK(!ap.ok);
  CHECK(ap.error.find("is a symbolic link") != std::string::npos);
  CHECK(read_file(victim) == "precious\n");
  REQUIRE(::lstat((dir / "later").c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));

  // No temp file is left behind by any of it (the planted links are all there is).
  int temps = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp.") == std::string::npos) continue;
    ++temps;
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    CHECK_MESSAGE(S_ISLNK(st.st_mode), name);
  }
  CHECK(temps == 2);
}

TEST_CASE("file actuator: a directory or a pipe as the target is an error, never a count of 0") {
  Fixture f;
  std::filesystem::create_directories(f.dir.path() / "adir");
  try {
    make_actuator(f.ctx, R"({"kind": "file", "path": "adir"})");
    FAIL("a directory was accepted");
  } catch (const adapters::OptionError& e) {
    CHECK(std::string(e.what()) ==
          "file: key 'path': " + (f.dir.path() / "adir").string() + ": is a directory, not a file");
  }
  auto a = make_actuator(f.ctx, R"({"kind": "file", "path": "later", "replicas": 2})");
  std::filesystem::create_directories(f.dir.path() / "later");  // made a directory after start
  auto r = f.read(*a);
  CHECK(!r.state);
  CHECK(r.error ==
        "file: " + (f.dir.path() / "later").string() + ": is a directory, not a count file");
  CHECK(!f.apply(*a, 3).ok);

  // A named pipe without a writer neither blocks the read nor reads as a count.
  const std::string fifo = (f.dir.path() / "pipe").string();
  auto p = make_actuator(f.ctx, R"({"kind": "file", "path": "pipe"})");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  r = f.read(*p);
  CHECK(!r.state);
  CHECK(r.error == "file: " + fifo + ": is not a regular file");
}

TEST_CASE("file actuator: temp files of killed writers are removed at start, live ones kept") {
  Fixture f;
  // A pid that cannot be alive (above pid_max) and this process's own.
  f.dir.write(".count.tmp.999999999.AbC123", "3\n");
  f.dir.write("count.tmp.999999998", "3\n");  // the form of earlier versions
  f.dir.write(".count.tmp." + std::to_string(::getppid()) + ".XyZ789", "3\n");
  f.dir.write("count.tmp.notapid", "3\n");
  make_actuator(f.ctx, R"({"kind": "file", "path": "count"})");
  CHECK(!std::filesystem::exists(f.dir.path() / ".count.tmp.999999999.AbC123"));
  CHECK(!std::filesystem::exists(f.dir.path() / "count.tmp.999999998"));
  CHECK(std::filesystem::exists(f.dir.path() /
                                (".count.tmp." + std::to_string(::getppid()) + ".XyZ789")));
  CHECK(std::filesystem::exists(f.dir.path() / "count.tmp.notapid"));
}

TEST_CASE("log actuator: a symbolic link at the path is refused, the file it names untouched") {
  Fixture f;
  f.dir.write("victim", "precious\n");
  REQUIRE(::symlink((f.dir.path() / "victim").c_str(), (f.dir.path() / "d.jsonl").c_str()) == 0);
  auto a = make_actuator(f.ctx, R"({"kind": "log", "path": "d.jsonl"})");
  auto ap = f.apply(*a, 2);
  CHECK(!ap.ok);
  CHECK(ap.error == "log " + (f.dir.path() / "d.jsonl").string() +
                        ": is a symbolic link; decisions are appended only to the file itself "
                        "(\"-\" for stdout)");
  CHECK(read_file(f.dir.path() / "victim") == "precious\n");
}
