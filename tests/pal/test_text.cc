// tests/pal/test_text.cc: the allocation-free text helpers pal/ reads /proc and /sys with.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "pal/fixed_text.hpp"
#include "pal/proc_text.hpp"

using namespace hpmm;
using namespace hpmm::pal;

namespace {
std::string write_temp(const std::string &content) {
  char path[] = "/tmp/hpmm_pal_textXXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
  cr_assert_eq(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  return path;
}
}  // namespace

Test(proc_text, parse_u64_accepts_numbers_and_rejects_garbage) {
  uint64_t v = 0;
  cr_assert(parse_u64("42", &v) && v == 42);
  cr_assert(parse_u64("  7\n", &v) && v == 7);
  cr_assert(parse_u64("18446744073709551615", &v) && v == UINT64_MAX);
  cr_assert(!parse_u64("18446744073709551616", &v), "overflow must be rejected");
  cr_assert(!parse_u64("", &v));
  cr_assert(!parse_u64("  \n", &v));
  cr_assert(!parse_u64("12abc", &v));
  cr_assert(!parse_u64("-3", &v));
}

Test(proc_text, kb_fields_and_choices) {
  uint64_t b = 0;
  cr_assert(parse_kb_field("AnonHugePages:     65536 kB", "AnonHugePages", &b));
  cr_assert_eq(b, 65536u * 1024);
  cr_assert(!parse_kb_field("AnonHugePagesX:  1 kB", "AnonHugePages", &b), "key must match whole");
  cr_assert(!parse_kb_field("Anon:  1 kB", "AnonHugePages", &b));
  cr_assert(!parse_kb_field("Rss: 12", "Rss", &b), "no unit");
  cr_assert(selected_choice("always [madvise] never\n") == "madvise");
  cr_assert(selected_choice("[always] defer defer+madvise madvise never") == "always");
  cr_assert(selected_choice("always madvise never").empty());
  cr_assert(selected_choice("always [] never").empty());
  cr_assert(selected_choice("always [madvise").empty());
}

Test(proc_text, line_reader_handles_long_lines_and_missing_newline) {
  std::string long_line(3 * LineReader::kBufSize + 17, 'x');
  std::string path = write_temp("first\n" + long_line + "\nthird\nlast-no-newline");
  LineReader r(path.c_str());
  cr_assert(r.ok());
  std::string_view line;
  cr_assert(r.next(&line) && line == "first");
  cr_assert(r.next(&line));
  cr_assert_eq(line.size(), LineReader::kBufSize, "an over-long line is cut to the buffer");
  cr_assert(line.find_first_not_of('x') == std::string_view::npos);
  cr_assert(r.next(&line) && line == "third", "the rest of the long line is skipped");
  cr_assert(r.next(&line) && line == "last-no-newline");
  cr_assert(!r.next(&line));
  cr_assert_eq(r.error(), 0);
  cr_assert(r.valid());
  unlink(path.c_str());
}

Test(proc_text, missing_files_report_errno) {
  LineReader r("/nonexistent/hpmm/file");
  cr_assert(!r.ok());
  cr_assert_eq(r.error(), ENOENT);
  std::string_view line;
  cr_assert(!r.next(&line));
  char buf[8];
  cr_assert_eq(read_small_file("/nonexistent/hpmm/file", buf, sizeof(buf)), -ENOENT);
  cr_assert_eq(read_small_file("/proc/self/stat", buf, 0), -EINVAL);
  uint64_t v = 0;
  cr_assert(!read_u64_file("/nonexistent/hpmm/file", &v));
}

Test(proc_text, read_small_file_truncates_to_capacity) {
  std::string path = write_temp("0123456789");
  char buf[5];
  cr_assert_eq(read_small_file(path.c_str(), buf, sizeof(buf)), 4);
  cr_assert_str_eq(buf, "0123");
  unlink(path.c_str());
}

Test(fixed_text, appends_numbers_sizes_and_truncates) {
  FixedText<64> t;
  t.append("pool ").append_u64(0).append(" ").append_u64(18446744073709551615ull);
  cr_assert_str_eq(t.c_str(), "pool 0 18446744073709551615");
  t.clear();
  t.append_bytes(2_MiB).append(",").append_bytes(1_GiB).append(",").append_bytes(Bytes(1536));
  t.append(",").append_bytes(Bytes(0)).append(",").append_page_size(2_MiB);
  cr_assert_str_eq(t.c_str(), "2 MiB,1 GiB,1536 B,0 B,2MB");
  FixedText<8> small;
  small.append("0123456789");
  cr_assert_str_eq(small.c_str(), "0123456");
  cr_assert(small.truncated());
  cr_assert(small.valid());
  cr_assert_str_eq(errno_name(ENOMEM), "ENOMEM");
  cr_assert_str_eq(errno_name(99999), "E?");
}
