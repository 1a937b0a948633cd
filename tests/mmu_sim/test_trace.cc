// tests/mmu_sim/test_trace.cc: the lackey and text trace readers: records, skipped lines, every
// kind of malformed line (the error names file:line), buffer boundaries, stdin, ifetch.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "mmu_sim/trace_reader.hpp"

using namespace hpmm::sim;

namespace {

std::string write_temp(const std::string &content) {
  char path[] = "/tmp/hpmm_test_trace_XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    cr_assert(n > 0);
    off += static_cast<size_t>(n);
  }
  close(fd);
  return path;
}

struct Result {
  std::vector<Access> accesses;
  std::string error;
  std::string path;
  TraceFormat format = TraceFormat::kLackey;
  uint64_t lines = 0;
};

// Reads a whole trace given as text, in batches of `batch`.
Result read_all(const std::string &content, TraceOptions opt = {}, size_t batch = 7) {
  Result r;
  r.path = write_temp(content);
  std::string err;
  auto reader = TraceReader::open(r.path, opt, &err);
  cr_assert(reader != nullptr, "open failed: %s", err.c_str());
  cr_assert(reader->valid());
  r.format = reader->format();
  std::vector<Access> buf(batch);
  for (size_t n; (n = reader->next(buf)) != 0;)
    r.accesses.insert(r.accesses.end(), buf.begin(), buf.begin() + n);
  cr_assert(reader->valid());
  r.error = reader->error();
  r.lines = reader->lines();
  cr_assert_eq(reader->next(buf), 0u, "a stopped reader stays stopped");
  unlink(r.path.c_str());
  return r;
}

TraceOptions lackey() {
  TraceOptions o;
  o.detect = false;
  o.format = TraceFormat::kLackey;
  return o;
}
TraceOptions text() {
  TraceOptions o;
  o.detect = false;
  o.format = TraceFormat::kText;
  return o;
}

// The reader must fail at `line` with a message containing `what`, prefixed by "FILE:LINE: ".
void expect_error(const std::string &content, TraceOptions opt, int line, const std::string &what) {
  Result r = read_all(content, opt);
  std::string prefix = r.path + ":" + std::to_string(line) + ": ";
  cr_assert(r.error.rfind(prefix, 0) == 0, "error '%s' should start with '%s' (input %s)",
            r.error.c_str(), prefix.c_str(), content.c_str());
  cr_assert(r.error.find(what) != std::string::npos, "error '%s' should contain '%s'",
            r.error.c_str(), what.c_str());
}

const char kLackeySample[] =
    "==123== Lackey, an example Valgrind tool\n"
    "==123== Command: ./a.out\n"
    "I  04016a20,3\n"
    " S 1ffefffd78,8\n"
    "I  04016a23,5\n"
    " L 04229e20,8\n"
    " M 0422ae68,4\n"
    "==123== \n";

}  // namespace

Test(trace_lackey, records_and_kinds) {
  Result r = read_all(kLackeySample, lackey());
  cr_assert_eq(r.error, "");
  cr_assert_eq(r.accesses.size(), 3u, "ifetches are dropped unless asked for");
  cr_assert_eq(r.accesses[0].kind, AccessKind::kStore);
  cr_assert_eq(r.accesses[0].addr, 0x1ffefffd78ull);
  cr_assert_eq(r.accesses[0].size, 8u);
  cr_assert_eq(r.accesses[1].kind, AccessKind::kLoad);
  cr_assert_eq(r.accesses[1].addr, 0x04229e20ull);
  cr_assert_eq(r.accesses[2].kind, AccessKind::kModify, "M is one Modify access (read+write)");
  cr_assert_eq(r.accesses[2].addr, 0x0422ae68ull);
  cr_assert_eq(r.accesses[2].size, 4u);
  cr_assert_eq(r.lines, 8u);
}

Test(trace_lackey, ifetch_on) {
  TraceOptions o = lackey();
  o.ifetch = true;
  Result r = read_all(kLackeySample, o);
  cr_assert_eq(r.accesses.size(), 5u);
  cr_assert_eq(r.accesses[0].kind, AccessKind::kIfetch);
  cr_assert_eq(r.accesses[0].addr, 0x04016a20ull);
  cr_assert_eq(r.accesses[0].size, 3u);
  cr_assert_eq(r.accesses[2].kind, AccessKind::kIfetch);
  cr_assert_eq(r.accesses[2].size, 5u);
}

Test(trace_lackey, last_line_without_newline_crlf_and_blanks) {
  Result r = read_all("\n L 10,4\r\n\n S 20,2", lackey());
  cr_assert_eq(r.error, "");
  cr_assert_eq(r.accesses.size(), 2u);
  cr_assert_eq(r.accesses[1].addr, 0x20u);
  cr_assert_eq(r.accesses[1].size, 2u);
}

Test(trace_lackey, full_64_bit_addresses) {
  Result r = read_all(" L ffffffffffffff00,256\n L 0000000000000000001,1\n", lackey());
  cr_assert_eq(r.error, "");
  cr_assert_eq(r.accesses[0].addr, 0xffffffffffffff00ull);
  cr_assert_eq(r.accesses[1].addr, 1u, "leading zeros do not count towards 64 bits");
}

Test(trace_lackey, malformed_lines) {
  TraceOptions o = lackey();
  expect_error(" L 10,4\n X 10,4\n", o, 2, "bad record kind 'X'");
  expect_error(" L 10,4\n LOAD 10,4\n", o, 2, "bad record kind 'LOAD'");
  expect_error(" L zz12,4\n", o, 1, "bad address 'zz12'");
  expect_error(" L 12zz,4\n", o, 1, "bad address '12zz'");
  expect_error(" L ,4\n", o, 1, "missing address");
  expect_error(" L\n", o, 1, "missing address");
  expect_error(" L 1234 4\n", o, 1, "missing ','");
  expect_error(" L 1234\n", o, 1, "missing ','");
  expect_error(" L 1234,\n", o, 1, "missing size");
  expect_error(" L 1234,x\n", o, 1, "bad size 'x'");
  expect_error(" L 1234,4x\n", o, 1, "bad size '4x'");
  expect_error(" L 1234,0\n", o, 1, "size 0");
  expect_error(" L 1234,99999999999999999999\n", o, 1, "larger than 1048576");
  expect_error(" L 1234,1048577\n", o, 1, "larger than 1048576");
  expect_error(" L 12345678901234567,4\n", o, 1, "does not fit in 64 bits");
  expect_error(" L ffffffffffffffff,2\n", o, 1, "goes past 2^64");
  expect_error(" L 1234,4 junk\n", o, 1, "trailing junk 'junk'");
  expect_error(" L 1234,4,5\n", o, 1, "bad size");
  expect_error("R 0x1000 4\n", o, 1, "bad record kind 'R'");
  expect_error(" L 10,4\n=x\n", o, 2, "bad record kind");
}

Test(trace, addresses_past_the_address_space) {
  TraceOptions o = lackey();
  o.address_bits = 48;
  Result ok = read_all(" L ffffffffff00,256\n", o);
  cr_assert_eq(ok.error, "", "the last 256 bytes below 2^48 are fine");
  expect_error(" L 10,4\n L ffffffffff01,256\n", o, 2,
               "address 0xffffffffff01 + size 256 is past the 48-bit address space");
  expect_error(" L 1000000000000,1\n", o, 1, "past the 48-bit address space");
  o.ifetch = false;
  expect_error("I  1000000000000,1\n", o, 1, "past the 48-bit");  // dropped records are checked too
  TraceOptions bad = lackey();
  bad.address_bits = 8;
  std::string err;
  cr_assert_null(TraceReader::open("/dev/null", bad, &err).get());
}

Test(trace_lackey, stops_at_the_error_without_skipping) {
  Result r = read_all(" L 10,4\n L 20,4\n L xyz,4\n L 30,4\n", lackey(), 1);
  cr_assert_eq(r.accesses.size(), 2u, "the records before the bad line, none after");
  cr_assert(r.error.find(":3: ") != std::string::npos, "%s", r.error.c_str());
}

Test(trace_lackey, error_in_the_middle_of_a_batch) {
  Result r = read_all(" L 10,4\n L 20,4\n L 30,0\n L 40,4\n", lackey(), 100);
  cr_assert_eq(r.accesses.size(), 2u);
  cr_assert(r.error.find(":3: size 0") != std::string::npos, "%s", r.error.c_str());
}

Test(trace_text, records_comments_defaults) {
  Result r = read_all(
      "# a comment\n"
      "\n"
      "R 0x1000 8\n"
      "  W 2000\n"
      "r 0X3000 16   # trailing comment\n"
      "M 4000 2\n"
      "I 0x5000 4\n"
      "w 6000\t4\n",
      text());
  cr_assert_eq(r.error, "");
  cr_assert_eq(r.accesses.size(), 5u);
  cr_assert_eq(r.accesses[0].kind, AccessKind::kLoad);
  cr_assert_eq(r.accesses[0].addr, 0x1000u);
  cr_assert_eq(r.accesses[0].size, 8u);
  cr_assert_eq(r.accesses[1].kind, AccessKind::kStore);
  cr_assert_eq(r.accesses[1].addr, 0x2000u, "the address is hexadecimal without 0x too");
  cr_assert_eq(r.accesses[1].size, 1u, "size defaults to 1");
  cr_assert_eq(r.accesses[2].size, 16u);
  cr_assert_eq(r.accesses[3].kind, AccessKind::kModify);
  cr_assert_eq(r.accesses[4].addr, 0x6000u);
}

Test(trace_text, malformed_lines) {
  TraceOptions o = text();
  expect_error("R 0x10\nX 0x10\n", o, 2, "bad record kind 'X'");
  expect_error("R 0xzz12\n", o, 1, "bad address '0xzz12'");
  expect_error("R zz12\n", o, 1, "bad address 'zz12'");
  expect_error("R 0x\n", o, 1, "bad address '0x'");
  expect_error("R\n", o, 1, "missing address");
  expect_error("R 0x10 abc\n", o, 1, "bad size 'abc'");
  expect_error("R 0x10 4k\n", o, 1, "bad size '4k'");
  expect_error("R 0x10 0\n", o, 1, "size 0");
  expect_error("R 0x10 2000000\n", o, 1, "larger than");
  expect_error("R 0xffffffffffffffff 2\n", o, 1, "goes past 2^64");
  expect_error("R 0x10000000000000000\n", o, 1, "does not fit in 64 bits");
  expect_error("R 0x10 4 5\n", o, 1, "trailing junk '5'");
  expect_error("Read 0x10 4\n", o, 1, "bad record kind 'Read'");
}

Test(trace, detects_the_format) {
  cr_assert_eq(read_all(kLackeySample).format, TraceFormat::kLackey);
  cr_assert_eq(read_all("\n\n L 10,4\n").format, TraceFormat::kLackey);
  cr_assert_eq(read_all("# hpmm text trace\nR 0x10 4\n").format, TraceFormat::kText);
  cr_assert_eq(read_all("W 10\n").format, TraceFormat::kText);
  cr_assert_eq(read_all("").format, TraceFormat::kLackey, "empty input: lackey");
  // Detection must not consume anything: both records of a detected file are read.
  cr_assert_eq(read_all("R 0x10 4\nW 0x20 4\n").accesses.size(), 2u);
}

Test(trace, crosses_buffer_boundaries_at_every_offset) {
  std::string content;
  std::vector<uint64_t> want;
  for (int i = 0; i < 300; ++i) {
    uint64_t a = 0x1000 + static_cast<uint64_t>(i) * 0x123457;
    char line[64];
    std::snprintf(line, sizeof line, "%s %lx,%d\n", i % 3 == 0 ? " L" : " S",
                  static_cast<unsigned long>(a), 1 + i % 8);
    content += line;
    want.push_back(a);
  }
  for (size_t buffer = 33; buffer <= 64; ++buffer) {  // lines straddle every buffer offset
    TraceOptions o = lackey();
    o.buffer_bytes = buffer;
    o.max_line = 32;
    Result r = read_all(content, o, 5);
    cr_assert_eq(r.error, "", "buffer %zu: %s", buffer, r.error.c_str());
    cr_assert_eq(r.accesses.size(), want.size(), "buffer %zu", buffer);
    for (size_t i = 0; i < want.size(); ++i) {
      cr_assert_eq(r.accesses[i].addr, want[i], "buffer %zu line %zu", buffer, i + 1);
      cr_assert_eq(r.accesses[i].size, 1 + i % 8);
    }
  }
}

Test(trace, line_longer_than_the_buffer_is_an_error) {
  TraceOptions o = lackey();
  o.buffer_bytes = 64;
  o.max_line = 48;
  std::string long_line = "==1== " + std::string(200, 'x') + "\n";
  expect_error(" L 10,4\n" + long_line + " L 20,4\n", o, 2, "line longer than 48 characters");
  // A long line that still fits in the buffer is measured too.
  expect_error(" L 10,4\n L 10,4" + std::string(50, ' ') + "\n", o, 2, "line longer than 48");
  // The default limit.
  expect_error(std::string(" L 10,4 ") + std::string(5000, ' ') + "\n", lackey(), 1,
               "line longer than 4096 characters");
}

Test(trace, reads_standard_input) {
  std::string path = write_temp(" L 10,4\n S 20,8\n");
  int saved = dup(0);
  int fd = open(path.c_str(), O_RDONLY);
  cr_assert(fd >= 0 && saved >= 0);
  dup2(fd, 0);
  close(fd);
  std::string err;
  auto r = TraceReader::open("-", TraceOptions{}, &err);
  cr_assert(r != nullptr, "%s", err.c_str());
  cr_assert_eq(r->describe(), "trace:-");
  std::vector<Access> buf(16);
  size_t n = r->next(buf);
  cr_assert_eq(n, 2u);
  cr_assert_eq(buf[1].addr, 0x20u);
  cr_assert_eq(r->next(buf), 0u);
  cr_assert_eq(r->error(), "");
  dup2(saved, 0);
  close(saved);
  unlink(path.c_str());
}

Test(trace, pipe_delivering_one_byte_at_a_time) {
  // Partial reads: every line (and the detection) arrives in pieces.
  std::string content = "==7== header\n";
  for (int i = 0; i < 40; ++i) content += " S " + std::to_string(1000 + i) + ",4\n";
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  std::thread writer([&] {
    for (char c : content)
      if (write(fds[1], &c, 1) != 1) break;
    close(fds[1]);
  });
  int saved = dup(0);
  dup2(fds[0], 0);
  close(fds[0]);
  TraceOptions o;  // detect
  o.buffer_bytes = 40;
  o.max_line = 32;
  std::string err;
  auto r = TraceReader::open("-", o, &err);
  cr_assert(r != nullptr, "%s", err.c_str());
  std::vector<Access> all, buf(3);
  for (size_t n; (n = r->next(buf)) != 0;) all.insert(all.end(), buf.begin(), buf.begin() + n);
  writer.join();
  dup2(saved, 0);
  close(saved);
  cr_assert_eq(r->error(), "");
  cr_assert_eq(r->format(), TraceFormat::kLackey);
  cr_assert_eq(all.size(), 40u);
  for (int i = 0; i < 40; ++i)
    cr_assert_eq(all[i].addr, std::stoull(std::to_string(1000 + i), nullptr, 16));
  cr_assert_eq(r->progress_total(), 0u, "a pipe's size is unknown");
}

Test(trace, stdin_errors_name_stdin) {
  std::string path = write_temp(" L 10,4\n L qq,4\n");
  int saved = dup(0);
  int fd = open(path.c_str(), O_RDONLY);
  dup2(fd, 0);
  close(fd);
  std::string err;
  auto r = TraceReader::open("-", TraceOptions{}, &err);
  cr_assert(r != nullptr);
  std::vector<Access> buf(16);
  while (r->next(buf) != 0) {
  }
  cr_assert_eq(r->error(), "<stdin>:2: bad address 'qq'");
  dup2(saved, 0);
  close(saved);
  unlink(path.c_str());
}

Test(trace, missing_or_unreadable_file) {
  std::string err;
  cr_assert_null(TraceReader::open("/nonexistent/x.trace", TraceOptions{}, &err).get());
  cr_assert_eq(err, "cannot open '/nonexistent/x.trace': No such file or directory");
  cr_assert_null(TraceReader::open("/tmp", TraceOptions{}, &err).get());
  cr_assert(err.find("'/tmp'") != std::string::npos && err.find("directory") != std::string::npos,
            "%s", err.c_str());
}

Test(trace, progress_counts_bytes) {
  std::string content = " L 10,4\n S 20,8\n";
  std::string path = write_temp(content);
  std::string err;
  auto r = TraceReader::open(path, lackey(), &err);
  cr_assert_eq(r->progress_total(), content.size());
  std::vector<Access> buf(16);
  while (r->next(buf) != 0) {
  }
  cr_assert_eq(r->progress_done(), content.size());
  unlink(path.c_str());
}

Test(trace, format_names) {
  TraceFormat f;
  cr_assert(parse_trace_format("text", &f) && f == TraceFormat::kText);
  cr_assert(parse_trace_format("lackey", &f) && f == TraceFormat::kLackey);
  cr_assert(!parse_trace_format("pin", &f));
  cr_assert_str_eq(name_of(TraceFormat::kText), "text");
}
