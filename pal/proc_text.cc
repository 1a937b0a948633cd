// pal/proc_text.cc: allocation-free text reading for /proc and /sys (see proc_text.hpp).
#include "pal/proc_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hpmm::pal {

LineReader::LineReader(const char *path) {
  fd_ = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) error_ = errno;
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

// Moves the unread bytes to the front and reads more after them.  False when nothing was added.
bool LineReader::fill() {
  if (eof_ || fd_ < 0) return false;
  if (begin_ > 0) {
    std::memmove(buf_, buf_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ < kBufSize) {
    ssize_t n = ::read(fd_, buf_ + end_, kBufSize - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    error_ = errno;
    eof_ = true;
    return false;
  }
  return false;
}

bool LineReader::next(std::string_view *line) {
  if (fd_ < 0) return false;
  for (;;) {
    const char *start = buf_ + begin_;
    const void *nl = std::memchr(start, '\n', end_ - begin_);
    if (nl != nullptr) {
      size_t len = static_cast<size_t>(static_cast<const char *>(nl) - start);
      begin_ += len + 1;
      if (skip_rest_) {  // the tail of an over-long line handed out before
        skip_rest_ = false;
        continue;
      }
      *line = std::string_view(start, len);
      return true;
    }
    if (begin_ == 0 && end_ == kBufSize) {
      // No newline in a full buffer: an over-long line (or its tail, when skipping).
      begin_ = end_ = 0;
      if (skip_rest_) continue;
      skip_rest_ = true;
      *line = std::string_view(buf_, kBufSize);  // valid: the next fill happens on the next call
      return true;
    }
    if (!fill()) {
      if (begin_ == end_) return false;
      // Last line without a trailing newline.
      *line = std::string_view(buf_ + begin_, end_ - begin_);
      begin_ = end_;
      if (skip_rest_) {
        skip_rest_ = false;
        return false;
      }
      return true;
    }
  }
}

long read_small_file(const char *path, char *buf, size_t cap) {
  if (cap == 0) return -EINVAL;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = 0;
  while (len < cap - 1) {
    ssize_t n = ::read(fd, buf + len, cap - 1 - len);
    if (n > 0) {
      len += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    buf[0] = '\0';
    return -err;
  }
  ::close(fd);
  buf[len] = '\0';
  return static_cast<long>(len);
}

namespace {
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}
}  // namespace

bool parse_u64(std::string_view s, uint64_t *out) {
  size_t i = 0;
  while (i < s.size() && is_blank(s[i])) ++i;
  if (i == s.size() || s[i] < '0' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  while (i < s.size() && is_blank(s[i])) ++i;
  if (i != s.size()) return false;
  *out = v;
  return true;
}

bool read_u64_file(const char *path, uint64_t *out) {
  char buf[64];
  long n = read_small_file(path, buf, sizeof(buf));
  if (n <= 0) return false;
  return parse_u64(std::string_view(buf, static_cast<size_t>(n)), out);
}

bool parse_kb_field(std::string_view line, std::string_view key, uint64_t *bytes) {
  if (line.size() <= key.size() || !line.starts_with(key) || line[key.size()] != ':') {
    return false;
  }
  std::string_view rest = slice(line, key.size() + 1);
  size_t unit = rest.find(" kB");
  if (unit == std::string_view::npos) return false;
  uint64_t kb = 0;
  if (!parse_u64(slice(rest, 0, unit), &kb) || kb > (UINT64_MAX >> 10)) return false;
  *bytes = kb << 10;
  return true;
}

std::string_view selected_choice(std::string_view s) {
  size_t open = s.find('[');
  if (open == std::string_view::npos) return {};
  size_t close = s.find(']', open + 1);
  if (close == std::string_view::npos || close == open + 1) return {};
  return slice(s, open + 1, close - open - 1);
}

}  // namespace hpmm::pal
