// pal/fixed_text.hpp: a string in a fixed in-object buffer, for messages built without allocating.
//
// pal/ builds its human-readable reasons and one-line descriptions here, so that they can be
// made on the malloc's path and kept in trivially copyable results.  Invariants:
//   len_ <= N - 1,  buf_[len_] == '\0',  truncated_ == some append did not fit whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "base/units.hpp"

namespace hpmm::pal {

template <size_t N>
class FixedText {
  static_assert(N >= 2, "FixedText needs room for one character and the terminator");

 public:
  FixedText() { buf_[0] = '\0'; }

  FixedText &append(std::string_view s) {
    size_t room = N - 1 - len_;
    size_t n = s.size() < room ? s.size() : room;
    if (n < s.size()) truncated_ = true;
    std::memcpy(buf_ + len_, s.data(), n);
    len_ += n;
    buf_[len_] = '\0';
    return *this;
  }

  FixedText &append_u64(uint64_t v) {
    char digits[24];
    size_t i = sizeof(digits);
    do {
      digits[--i] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return append(std::string_view(digits + i, sizeof(digits) - i));
  }

  // A byte count in the largest binary unit that divides it exactly: "2 MiB", "1 GiB", "12 B".
  FixedText &append_bytes(Bytes b) {
    static constexpr const char *kUnits[] = {" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB"};
    uint64_t v = b.value;
    int u = 0;
    while (v != 0 && (v & 1023) == 0 && u < 6) {
      v >>= 10;
      ++u;
    }
    return append_u64(v).append(kUnits[u]);
  }

  // A page size the way the kernel's and libhugetlbfs' messages spell it: "4KB", "2MB", "1GB".
  FixedText &append_page_size(Bytes b) {
    static constexpr const char *kUnits[] = {"B", "KB", "MB", "GB", "TB"};
    uint64_t v = b.value;
    int u = 0;
    while (v != 0 && (v & 1023) == 0 && u < 4) {
      v >>= 10;
      ++u;
    }
    return append_u64(v).append(kUnits[u]);
  }

  void clear() {
    len_ = 0;
    truncated_ = false;
    buf_[0] = '\0';
  }

  const char *c_str() const { return buf_; }
  std::string_view view() const { return std::string_view(buf_, len_); }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  bool truncated() const { return truncated_; }
  static constexpr size_t capacity() { return N - 1; }
  bool valid() const { return len_ <= N - 1 && buf_[len_] == '\0'; }

 private:
  size_t len_ = 0;
  bool truncated_ = false;
  char buf_[N];
};

// The symbolic name of an errno value ("ENOMEM"), or "E?" for one glibc does not know.
// strerrorname_np returns a static string: no allocation, no locale, async-signal-safe.
inline const char *errno_name(int err) {
  const char *s = strerrorname_np(err);
  return s != nullptr ? s : "E?";
}

}  // namespace hpmm::pal
