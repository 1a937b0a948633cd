// pal/proc_text.hpp: reading /proc and /sys text files without allocating.
//
// Used by discover_raw() and by the malloc's statistics (smaps_rollup), so everything here makes
// raw open/read/close calls into caller-owned or in-object fixed buffers and never touches errno
// visibly (callers hold an ErrnoGuard; errors come back as negative errno values).
//
// LineReader invariants:  0 <= begin_ <= end_ <= kBufSize;  buf_[begin_, end_) holds the bytes read
// but not yet returned.  A line longer than kBufSize is returned cut to its first kBufSize bytes
// and the rest of it is skipped (the lines parsed here are far shorter; a long smaps path only
// matters for its address prefix).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hpmm::pal {

class LineReader {
 public:
  static constexpr size_t kBufSize = 4096;

  explicit LineReader(const char *path);
  ~LineReader();
  LineReader(const LineReader &) = delete;
  LineReader &operator=(const LineReader &) = delete;

  // False if the file could not be opened; error() is then its errno value.
  bool ok() const { return fd_ >= 0; }
  int error() const { return error_; }
  // The next line without its '\n'; false at end of file or on a read error (error() != 0).
  // The view stays valid until the next call.
  bool next(std::string_view *line);
  bool valid() const { return begin_ <= end_ && end_ <= kBufSize; }

 private:
  bool fill();

  int fd_ = -1;
  int error_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool skip_rest_ = false;  // the last line returned was cut; drop the rest of it
  char buf_[kBufSize];
};

// s[pos, pos + n) clamped to s.  Unlike string_view::substr it cannot throw, so the malloc's path
// never reaches an exception (whose object would be allocated).
constexpr std::string_view slice(std::string_view s, size_t pos,
                                 size_t n = std::string_view::npos) {
  if (pos > s.size()) pos = s.size();
  if (n > s.size() - pos) n = s.size() - pos;
  return std::string_view(s.data() + pos, n);
}

// Reads at most cap - 1 bytes of a small file (a sysfs attribute) into buf and NUL-terminates it.
// Returns the length read, or -errno (cap == 0 gives -EINVAL).
long read_small_file(const char *path, char *buf, size_t cap);

// Decimal digits surrounded by optional blanks ("  42\n"); false on anything else or overflow.
bool parse_u64(std::string_view s, uint64_t *out);

// A sysfs file holding one decimal number; false if absent or malformed.
bool read_u64_file(const char *path, uint64_t *out);

// For a line "Key:   1234 kB" of /proc/meminfo or smaps whose key is `key`, the value in bytes.
bool parse_kb_field(std::string_view line, std::string_view key, uint64_t *bytes);

// The bracketed word of a sysfs choice file: "always [madvise] never\n" -> "madvise";
// empty if there is no well-formed bracket.
std::string_view selected_choice(std::string_view s);

}  // namespace hpmm::pal
