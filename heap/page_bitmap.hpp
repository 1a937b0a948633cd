// heap/page_bitmap.hpp: a bitmap of the 256 heap pages (8 KiB) of one 2 MiB hugepage, with the
// run searches the hugepage filler needs.  Bit i describes page i (1 = set).
//
// Invariants: count() == number of set bits; longest_clear_run() == the length of the longest
// run of clear bits; find_best_clear_run(n) returns the start of the shortest clear run of
// length >= n (lowest address among equals), or kNone; clear_run_at(i) == the length of the
// clear run holding bit i.
#pragma once

#include <bit>
#include <cstdint>

namespace hpmm {

inline constexpr uint32_t kPagesPerHugePage = 256;  // 2 MiB / 8 KiB

// Bits set in x.  Written out (SWAR) because without -mpopcnt std::popcount becomes a call into
// libgcc_s, a library libhpmm.so would otherwise not need.
constexpr uint32_t popcount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<uint32_t>((x * 0x0101010101010101ull) >> 56);
}

class PageBitmap {
 public:
  static constexpr uint32_t kBits = kPagesPerHugePage;
  static constexpr uint32_t kWords = kBits / 64;
  static constexpr uint32_t kNone = UINT32_MAX;

  bool test(uint32_t i) const { return (w_[i / 64] >> (i % 64)) & 1; }

  void set_range(uint32_t i, uint32_t n) { apply(i, n, true); }
  void clear_range(uint32_t i, uint32_t n) { apply(i, n, false); }
  void clear_all() {
    for (auto &w : w_) w = 0;
  }
  void set_all() {
    for (auto &w : w_) w = ~uint64_t{0};
  }

  // Set bits in [i, i + n).
  uint32_t count_range(uint32_t i, uint32_t n) const {
    uint32_t c = 0;
    for (uint32_t end = i + n; i < end;) {
      uint32_t off = i % 64, take = 64 - off < end - i ? 64 - off : end - i;
      c += popcount64((w_[i / 64] >> off) & mask(take));
      i += take;
    }
    return c;
  }
  // Some (every) bit of [i, i + n) set; word masks, no count.
  bool any_range(uint32_t i, uint32_t n) const {
    for (uint32_t end = i + n; i < end;) {
      uint32_t off = i % 64, take = 64 - off < end - i ? 64 - off : end - i;
      if ((w_[i / 64] & (mask(take) << off)) != 0) return true;
      i += take;
    }
    return false;
  }
  bool all_range(uint32_t i, uint32_t n) const {
    for (uint32_t end = i + n; i < end;) {
      uint32_t off = i % 64, take = 64 - off < end - i ? 64 - off : end - i;
      uint64_t m = mask(take) << off;
      if ((w_[i / 64] & m) != m) return false;
      i += take;
    }
    return true;
  }
  uint32_t count() const {
    uint32_t c = 0;
    for (auto w : w_) c += popcount64(w);
    return c;
  }
  bool all_clear() const { return (w_[0] | w_[1] | w_[2] | w_[3]) == 0; }

  // First set (or clear) bit at or after i, or kBits.
  uint32_t next_set(uint32_t i) const { return next(i, 0); }
  uint32_t next_clear(uint32_t i) const { return next(i, ~uint64_t{0}); }

  uint32_t longest_clear_run() const {
    uint32_t best = 0;
    for (uint32_t i = next_clear(0); i < kBits;) {
      uint32_t end = next_set(i);
      if (end - i > best) best = end - i;
      i = next_clear(end);
    }
    return best;
  }

  // Length of the maximal clear run that holds the clear bit i.
  uint32_t clear_run_at(uint32_t i) const {
    uint32_t k = i / 64;
    uint64_t below = w_[k] & mask(i % 64);  // set bits under i in its word
    while (below == 0 && k > 0) below = w_[--k];
    uint32_t start = below == 0 ? 0 : k * 64 + 64 - static_cast<uint32_t>(std::countl_zero(below));
    return next_set(i) - start;
  }

  // Best fit: the shortest clear run of length >= n; its start, or kNone.  *len_out: its length.
  // *rest_out: longest_clear_run() once its first n bits are set, when the scan saw every run
  // and the run taken is a longest one; else kNone (the caller knows or must recount).
  uint32_t find_best_clear_run(uint32_t n, uint32_t *len_out = nullptr,
                               uint32_t *rest_out = nullptr) const {
    uint32_t best = kNone, best_len = kBits + 1, longest = 0, short_max = 0, fits = 0;
    bool whole = true;
    for (uint32_t i = next_clear(0); i < kBits;) {
      uint32_t end = next_set(i), len = end - i;
      if (len > longest) longest = len;
      if (len < n) {
        if (len > short_max) short_max = len;
      } else {
        ++fits;
        if (len < best_len) {
          best = i;
          best_len = len;
          if (len == n) {
            whole = next_clear(end) == kBits;  // nothing after it
            break;
          }
        }
      }
      i = next_clear(end);
    }
    if (len_out != nullptr) *len_out = best_len;
    if (rest_out != nullptr) {
      // Every run that fits has best_len when the run taken is a longest one (a shorter one
      // would have been taken): a second one keeps the longest at best_len.
      uint32_t r = best_len - n > short_max ? best_len - n : short_max;
      *rest_out =
          best != kNone && whole && best_len == longest ? (fits >= 2 ? best_len : r) : kNone;
    }
    return best;
  }

  // Calls fn(start, len) for every maximal run of clear bits, in address order.
  template <class Fn>
  void for_each_clear_run(Fn &&fn) const {
    for (uint32_t i = next_clear(0); i < kBits;) {
      uint32_t end = next_set(i);
      fn(i, end - i);
      i = next_clear(end);
    }
  }

  uint64_t word(uint32_t k) const { return w_[k]; }

 private:
  static uint64_t mask(uint32_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }
  void apply(uint32_t i, uint32_t n, bool on) {
    for (uint32_t end = i + n; i < end;) {
      uint32_t off = i % 64, take = 64 - off < end - i ? 64 - off : end - i;
      uint64_t m = mask(take) << off;
      if (on) {
        w_[i / 64] |= m;
      } else {
        w_[i / 64] &= ~m;
      }
      i += take;
    }
  }
  // First bit at or after i whose value differs from the pattern `flip` (0: find set bits).
  uint32_t next(uint32_t i, uint64_t flip) const {
    if (i >= kBits) return kBits;
    uint32_t k = i / 64;
    uint64_t w = (w_[k] ^ flip) & (~uint64_t{0} << (i % 64));
    while (w == 0) {
      if (++k == kWords) return kBits;
      w = w_[k] ^ flip;
    }
    return k * 64 + static_cast<uint32_t>(std::countr_zero(w));
  }

  uint64_t w_[kWords] = {};
};

}  // namespace hpmm
