// Trace readers: CSV and JSON Lines, timestamps, and errors that name file:line.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/replay/trace.hpp"
#include "fixtures.hpp"

using namespace luascale;

namespace {
std::unique_ptr<TraceReader> csv(const std::string& text) {
  return TraceReader::from_text(text, TraceReader::Format::Csv, "t.csv");
}
std::string error_of(const std::string& text, TraceReader::Format f = TraceReader::Format::Csv) {
  try {
    auto r = TraceReader::from_text(text, f, f == TraceReader::Format::Csv ? "t.csv" : "t.jsonl");
    TraceRow row;
    while (r->next(row)) {
    }
  } catch (const TraceError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("CSV rows: numbers, empty cells as missing, quoted header, CRLF, comments") {
  auto r =
      csv("# recorded 2024\r\n\"timestamp\",\"cpu\",queue\r\n100,50.5,3\r\n160,,4\r\n220,NaN,\r\n");
  REQUIRE(r->columns() == std::vector<std::string>{"cpu", "queue"});
  TraceRow row;
  REQUIRE(r->next(row));
  CHECK(row.time == 100);
  CHECK(row.line == 3);
  CHECK(row.numbers[0] == 50.5);
  CHECK(row.numbers[1] == 3);
  REQUIRE(r->next(row));
  CHECK(std::isnan(row.numbers[0]));
  CHECK(row.numbers[1] == 4);
  REQUIRE(r->next(row));
  CHECK(std::isnan(row.numbers[0]));
  CHECK(std::isnan(row.numbers[1]));
  CHECK_FALSE(r->next(row));
}

TEST_CASE("CSV errors name file and line") {
  CHECK(error_of("") == "t.csv:1: empty trace: expected a header line \"timestamp,<signal>,...\"");
  CHECK(error_of("time_s,cpu\n1,2\n").find("t.csv:1: the first column must be \"timestamp\"") == 0);
  CHECK(error_of("timestamp,cpu\n1,2\n2,abc\n") ==
        "t.csv:3: column \"cpu\": not a number: \"abc\"");
  CHECK(error_of("timestamp,cpu\n1,2\n2,3,4\n") == "t.csv:3: expected 2 fields, found 3");
  CHECK(error_of("timestamp,cpu\n10,2\n5,3\n") ==
        "t.csv:3: timestamp 1970-01-01T00:00:05Z goes back in time (line 2 has "
        "1970-01-01T00:00:10Z)");
  // A repeated time is refused too, naming both lines (comments and blank lines count).
  CHECK(error_of("timestamp,cpu\n10,2\n# note\n10,3\n") ==
        "t.csv:4: timestamp 1970-01-01T00:00:10Z repeats line 2's (one row per time)");
  CHECK(error_of("timestamp,cpu\nyesterday,2\n").find("t.csv:2: bad timestamp \"yesterday\"") == 0);
  CHECK(error_of("timestamp,cpu\n1,2\n1e300,3\n").find("t.csv:3: bad timestamp \"1e300\"") == 0);
  CHECK(error_of("timestamp,cpu,cpu\n").find("t.csv:1: duplicate column \"cpu\"") == 0);
  CHECK(error_of("timestamp,cpu\n1,inf\n").find("t.csv:2:") == 0);
}

TEST_CASE("timestamps: unix seconds and RFC 3339 with offsets and fractions") {
  CHECK(parse_timestamp("804571200") == 804571200.0);
  CHECK(parse_timestamp("1.5") == 1.5);
  // Unix seconds are limited to the years 0000-9999, as RFC 3339 writes them.
  CHECK(parse_timestamp("253402300799") == 253402300799.0);
  CHECK_FALSE(parse_timestamp("253402300800"));
  CHECK(parse_timestamp("-62167219200") == -62167219200.0);
  CHECK_FALSE(parse_timestamp("-62167219201"));
  CHECK_FALSE(parse_timestamp("1e300"));
  CHECK(parse_timestamp("1995-07-01T04:00:00Z") == 804571200.0);
  CHECK(parse_timestamp("1995-07-01 06:00:00+02:00") == 804571200.0);
  CHECK(parse_timestamp("1995-07-01T04:00:00.250Z") == 804571200.25);
  CHECK(parse_timestamp("2024-02-29T00:00:00-01:30") == 1709170200.0);
  CHECK_FALSE(parse_timestamp("1995-13-01T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("1995-07-01T04:00:00Q"));
  CHECK_FALSE(parse_timestamp(""));
  CHECK(format_timestamp(804571200) == "1995-07-01T04:00:00Z");
  CHECK(format_timestamp(804571200.25) == "1995-07-01T04:00:00.250Z");
}

TEST_CASE("JSON Lines: numbers, structured values, growing columns, errors") {
  auto r = TraceReader::from_text(
      "{\"ts\": 100, \"cpu\": 40}\n\n{\"ts\": \"1970-01-01T00:02:40Z\", \"cpu\": null, \"pods\": "
      "[{\"value\": 1}]}\n",
      TraceReader::Format::JsonLines, "t.jsonl");
  CHECK(r->columns() == std::vector<std::string>{"cpu"});
  TraceRow row;
  REQUIRE(r->next(row));
  CHECK(row.numbers[0] == 40);
  REQUIRE(r->next(row));
  CHECK(row.time == 160);
  CHECK(row.line == 3);
  CHECK(r->columns() == std::vector<std::string>{"cpu", "pods"});
  CHECK(std::isnan(row.numbers[0]));
  REQUIRE(row.has_structured);
  CHECK(row.structured[1].is_array());
  CHECK_FALSE(r->next(row));

  using F = TraceReader::Format;
  CHECK(error_of("{\"cpu\": 1}\n", F::JsonLines) == "t.jsonl:1: missing \"ts\" (or \"timestamp\")");
  CHECK(error_of("{\"ts\": 1e300, \"cpu\": 1}\n", F::JsonLines) ==
        "t.jsonl:1: \"ts\": bad timestamp (unix seconds or RFC 3339 string)");
  CHECK(error_of("{\"ts\": 1}\n{\"ts\": 2, \"cpu\": \"high\"}\n", F::JsonLines)
            .find("t.jsonl:2: \"cpu\": expected a number") == 0);
  CHECK(error_of("{\"ts\": 1}\n{\"ts\": 2,\n", F::JsonLines).find("t.jsonl:2: invalid JSON") == 0);
  CHECK(error_of("[1]\n", F::JsonLines) == "t.jsonl:1: expected a JSON object per line");
  CHECK(error_of("{\"ts\": 5}\n\n{\"ts\": 5}\n", F::JsonLines) ==
        "t.jsonl:3: timestamp 1970-01-01T00:00:05Z repeats line 1's (one row per time)");
}

TEST_CASE("the bundled NASA trace streams completely") {
  auto r = TraceReader::open(
      (luascale::test::source_dir() / "examples/traces/nasa_http_1995_requests_per_minute.csv")
          .string());
  TraceRow row;
  std::int64_t n = 0;
  double first = 0, last = 0, total = 0;
  while (r->next(row)) {
    if (n == 0) first = row.time;
    last = row.time;
    total += row.numbers[0];
    ++n;
  }
  CHECK(n == 84333);  // per the trace's SOURCE.md
  CHECK(first == 804571200);
  // The log ran on US Eastern time (-04:00): its last minute is early on 1 September in UTC.
  CHECK(format_timestamp(last).substr(0, 10) == "1995-09-01");
  CHECK(total > 3e6);  // about 3.46 million requests over two months
}

TEST_CASE("a missing file is a clear error") {
  CHECK_THROWS_WITH_AS(TraceReader::open("/nonexistent/x.csv"),
                       "/nonexistent/x.csv: cannot open: No such file or directory", TraceError);
}

TEST_CASE("CSV: plain rows read exactly as the general parser reads them") {
  // Each value is written twice: plainly (the one-pass reader) and with a leading space (which
  // only the general path accepts). Both must give the same double, bit for bit, and values the
  // one-pass reader declines (16+ digits, exponents, a bare dot) must still parse.
  const std::vector<std::string> values = {"0",
                                           "-0",
                                           "-0.0",
                                           "7",
                                           "-12",
                                           "0.1",
                                           "2.675",
                                           "-3.14159",
                                           "123456789012345",
                                           "12345678.9012345",
                                           "0.000000000000001",
                                           "1234567890123456",
                                           "1.5e3",
                                           "1.",
                                           ".5",
                                           "00012",
                                           "9007199254740993",
                                           "98765432",
                                           "9876543210",
                                           "1234567.5",
                                           "0123456789",
                                           "-99999999.5",
                                           "10203040506070"};
  std::string plain = "timestamp,v\n", spaced = "timestamp,v\n";
  for (std::size_t i = 0; i < values.size(); ++i) {
    plain += std::to_string(1000 + i) + "," + values[i] + "\n";
    spaced += std::to_string(1000 + i) + ", " + values[i] + "\n";
  }
  auto a = csv(plain), b = csv(spaced);
  TraceRow ra, rb;
  for (const auto& v : values) {
    CAPTURE(v);
    REQUIRE(a->next(ra));
    REQUIRE(b->next(rb));
    CHECK(ra.time == rb.time);
    CHECK(std::signbit(ra.numbers[0]) == std::signbit(rb.numbers[0]));
    CHECK(ra.numbers[0] == rb.numbers[0]);
    CHECK(ra.numbers[0] == std::stod(v));
  }
  CHECK_FALSE(a->next(ra));
  // The one-pass reader's own edge: a timestamp out of range still fails, with the line.
  CHECK(error_of("timestamp,cpu\n1,2\n999999999999999,3\n").find("t.csv:3: bad timestamp") == 0);
  CHECK(error_of("timestamp,cpu\n1,2\n3,4,\n") == "t.csv:3: expected 2 fields, found 3");
  CHECK(error_of("timestamp,cpu\n1,2\n3,-\n") == "t.csv:3: column \"cpu\": not a number: \"-\"");
  // Eight characters that are not all digits (':' and '/' border the digits in ASCII).
  CHECK(error_of("timestamp,cpu\n16000000,2\n16000001,1234:678\n") ==
        "t.csv:3: column \"cpu\": not a number: \"1234:678\"");
  CHECK(error_of("timestamp,cpu\n16000000,2\n16000001,/2345678\n") ==
        "t.csv:3: column \"cpu\": not a number: \"/2345678\"");
  CHECK(error_of("timestamp,cpu\n1,2\n16000000:0,3\n").find("t.csv:3: bad timestamp") == 0);
}
