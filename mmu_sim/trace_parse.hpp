// mmu_sim/trace_parse.hpp: the line parsers of the two trace formats, written by hand over the
// reader's buffer (no iostreams, no allocation, one pass over each byte).
//
// Contract of both parsers: p points at the first byte of a line inside a buffer in which a
// '\n' occurs at or after the line's end (the reader puts a '\n' sentinel after its data), so
// the scan needs no bound checks.  The result's `end` is the position of the line's '\n'.
//
// Valgrind lackey (`valgrind --tool=lackey --trace-mem=yes`), one record per line:
//     I  04016a20,3          instruction fetch       [ \t]* KIND [ \t]+ HEX , DEC [ \t\r]*
//      L 1ffefffd78,8        load                    KIND in I L S M
//      S 1ffefffd78,8        store
//      M 0422ae68,4          modify (load then store of the range)
//     ==1234== ...           Valgrind's own messages (also --1234-- ...): skipped
// Native text format, one record per line:
//     R 0x7f001000 8         [ \t]* KIND [ \t]+ (0x)?HEX ([ \t]+ DEC)? [ \t\r]* (# comment)?
//     W 7f001008             KIND in R W M I (either case); size defaults to 1
//     # comment              comment lines and blank lines are skipped
// In both: 1 <= size <= kMaxAccessSize and addr + size - 1 <= 2^64 - 1.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "mmu_sim/access.hpp"

namespace hpmm::sim {

inline constexpr uint32_t kMaxAccessSize = 1u << 20;  // 1 MiB: no instruction touches more

enum class LineError : uint8_t {
  kNone,
  kBadKind,         // the record kind is not one the format knows
  kBadAddress,      // the address is not hexadecimal (or is empty)
  kAddressTooLong,  // more than 64 bits
  kMissingComma,    // lackey: no ',' between address and size
  kBadSize,         // the size is not a decimal number
  kSizeZero,
  kSizeTooLarge,  // > kMaxAccessSize
  kOverflow,      // addr + size - 1 > 2^64 - 1
  kTrailingJunk,  // something after the last field
};

struct ParsedLine {
  const char *end;    // the line's '\n'
  const char *where;  // for an error: where the offending field starts
  Access access;
  bool has_access;  // false: a skipped line (blank, comment, Valgrind message) or an error
  LineError error;
};

namespace trace_detail {

// Hex digit value, or -1.
inline constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = -1;
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<int8_t>(i);
  for (int i = 0; i < 6; ++i) {
    t['a' + i] = static_cast<int8_t>(10 + i);
    t['A' + i] = static_cast<int8_t>(10 + i);
  }
  return t;
}();

inline bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
// A field ends at a blank, the line's end, or (text format) a comment.
inline bool ends_field(char c, bool comment) {
  return is_blank(c) || c == '\n' || c == '\r' || (comment && c == '#');
}
inline const char *line_end(const char *p) {
  return static_cast<const char *>(rawmemchr(p, '\n'));  // the sentinel bounds it
}
inline ParsedLine fail(const char *where, LineError e) {
  return ParsedLine{line_end(where), where, Access{0, 0, AccessKind::kLoad}, false, e};
}

// The record kind's letter at p must be followed by blanks: returns the first byte after them,
// or nullptr with *err set (a kind letter glued to more text is a bad kind; a lone letter lacks
// its address).
inline const char *after_kind(const char *p, ParsedLine *err) {
  const char *q = p + 1;
  if (!is_blank(*q)) {
    *err = *q == '\n' ? fail(q, LineError::kBadAddress) : fail(p, LineError::kBadKind);
    return nullptr;
  }
  while (is_blank(*q)) ++q;
  return q;
}

// Parses hex digits at *p into *v; false on overflow.  Leaves *p after the digits.
inline bool hex(const char *&p, uint64_t *v) {
  uint64_t x = 0;
  int d;
  while ((d = kHexValue[static_cast<unsigned char>(*p)]) >= 0) {
    if (x >> 60 != 0) return false;
    x = x << 4 | static_cast<uint64_t>(d);
    ++p;
  }
  *v = x;
  return true;
}

// Parses decimal digits at *p, saturating above kMaxAccessSize.  Leaves *p after the digits.
inline uint64_t dec(const char *&p) {
  uint64_t x = 0;
  while (static_cast<unsigned>(*p - '0') < 10) {
    if (x <= kMaxAccessSize) x = x * 10 + static_cast<uint64_t>(*p - '0');
    ++p;
  }
  return x;
}

// Checks the size and the range, then the end of the line (blanks and '\r' allowed).
inline ParsedLine finish(const char *p, const char *size_at, uint64_t addr, uint64_t size,
                         AccessKind kind, bool allow_comment) {
  if (size == 0) return fail(size_at, LineError::kSizeZero);
  if (size > kMaxAccessSize) return fail(size_at, LineError::kSizeTooLarge);
  if (addr + (size - 1) < addr) return fail(size_at, LineError::kOverflow);
  while (is_blank(*p) || *p == '\r') ++p;
  if (*p != '\n') {
    if (!(allow_comment && *p == '#')) return fail(p, LineError::kTrailingJunk);
    p = line_end(p);
  }
  return ParsedLine{p, nullptr, Access{addr, static_cast<uint32_t>(size), kind}, true,
                    LineError::kNone};
}

inline ParsedLine skip(const char *p) {
  return ParsedLine{line_end(p), nullptr, Access{0, 0, AccessKind::kLoad}, false, LineError::kNone};
}

}  // namespace trace_detail

inline ParsedLine parse_lackey_line(const char *p) {
  using namespace trace_detail;
  while (is_blank(*p)) ++p;
  AccessKind kind;
  switch (*p) {
    case 'I':
      kind = AccessKind::kIfetch;
      break;
    case 'L':
      kind = AccessKind::kLoad;
      break;
    case 'S':
      kind = AccessKind::kStore;
      break;
    case 'M':
      kind = AccessKind::kModify;
      break;
    case '\n':
    case '\r':
      return skip(p);
    case '=':
    case '-':
      if (p[1] == p[0]) return skip(p);
      return fail(p, LineError::kBadKind);
    default:
      return fail(p, LineError::kBadKind);
  }
  ParsedLine err;
  if ((p = after_kind(p, &err)) == nullptr) return err;
  const char *addr_at = p;
  uint64_t addr;
  if (!hex(p, &addr)) return fail(addr_at, LineError::kAddressTooLong);
  if (p == addr_at) return fail(addr_at, LineError::kBadAddress);
  if (*p != ',') {
    if (ends_field(*p, false)) return fail(p, LineError::kMissingComma);
    return fail(addr_at, LineError::kBadAddress);
  }
  const char *size_at = ++p;
  uint64_t size = dec(p);
  if (p == size_at || !ends_field(*p, false)) return fail(size_at, LineError::kBadSize);
  return finish(p, size_at, addr, size, kind, false);
}

inline ParsedLine parse_text_line(const char *p) {
  using namespace trace_detail;
  while (is_blank(*p)) ++p;
  AccessKind kind;
  switch (*p) {
    case 'R':
    case 'r':
      kind = AccessKind::kLoad;
      break;
    case 'W':
    case 'w':
      kind = AccessKind::kStore;
      break;
    case 'M':
    case 'm':
      kind = AccessKind::kModify;
      break;
    case 'I':
    case 'i':
      kind = AccessKind::kIfetch;
      break;
    case '\n':
    case '\r':
    case '#':
      return skip(p);
    default:
      return fail(p, LineError::kBadKind);
  }
  ParsedLine err;
  if ((p = after_kind(p, &err)) == nullptr) return err;
  const char *addr_at = p;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2;
  const char *digits_at = p;
  uint64_t addr;
  if (!hex(p, &addr)) return fail(addr_at, LineError::kAddressTooLong);
  if (p == digits_at || !ends_field(*p, true)) return fail(addr_at, LineError::kBadAddress);
  const char *size_at = p;
  while (is_blank(*p)) ++p;
  uint64_t size = 1;
  if (static_cast<unsigned>(*p - '0') < 10) {
    size_at = p;
    size = dec(p);
    if (!ends_field(*p, true)) return fail(size_at, LineError::kBadSize);
  } else if (*p != '\n' && *p != '\r' && *p != '#') {
    return fail(p, LineError::kBadSize);
  }
  return finish(p, size_at, addr, size, kind, true);
}

}  // namespace hpmm::sim
