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
    CHECK(ap.error.rfind("file: create " + (f.dir.path() / "ro/count").string() + ".tmp.", 0) == 0);
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
