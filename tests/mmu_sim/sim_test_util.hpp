// tests/mmu_sim/sim_test_util.hpp: helpers for the MMU tests: a vector-backed AccessSource, small
// machine configurations, and a one-line way to build an Mmu that must exist.
#pragma once

#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hpmm/mmu.hpp"

namespace hpmm::sim::test {

inline constexpr uint64_t kBase = 0x7f0000000000ull;  // a user-space-like base, 512 GiB aligned
inline constexpr uint64_t kPage = 4096;

// The tests' random streams: xorshift64 (13, 7, 17), x != 0; advances x and returns it.
inline uint64_t xorshift(uint64_t &x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

class VectorSource final : public AccessSource {
 public:
  explicit VectorSource(std::vector<Access> v, size_t batch = 3)
      : v_(std::move(v)), batch_(batch) {}
  size_t next(std::span<Access> out) override {
    size_t n = std::min({out.size(), v_.size() - pos_, batch_});
    std::copy_n(v_.begin() + static_cast<ptrdiff_t>(pos_), n, out.begin());
    pos_ += n;
    return n;
  }
  const std::string &error() const override { return error_; }
  std::string describe() const override { return "vector"; }

 private:
  std::vector<Access> v_;
  size_t pos_ = 0, batch_;  // small batches: runs cross batch boundaries
  std::string error_;
};

inline Access load(uint64_t addr, uint32_t size = 8) {
  return {addr, size, AccessKind::kLoad};
}
inline Access store(uint64_t addr, uint32_t size = 8) {
  return {addr, size, AccessKind::kStore};
}

// A machine with generous TLBs and frames unless the test narrows them.
inline SimConfig small_config() {
  SimConfig c;
  c.frames[0] = 64;
  c.replacement = PageReplacement::kLru;
  return c;
}

inline std::unique_ptr<Mmu> make(const SimConfig &c) {
  std::string err;
  auto m = Mmu::create(c, &err);
  cr_assert(m != nullptr, "Mmu::create failed: %s", err.c_str());
  return m;
}

// Loads of 4 KiB pages base + p * 4 KiB for p in pages.
inline std::vector<Access> page_loads(const std::vector<uint64_t> &pages, uint64_t base = kBase) {
  std::vector<Access> v;
  for (uint64_t p : pages) v.push_back(load(base + p * kPage));
  return v;
}

inline SimStats run(Mmu &m, std::vector<Access> v) {
  VectorSource src(std::move(v));
  std::string e = m.run(src);
  cr_assert(e.empty(), "run: %s", e.c_str());
  SimStats s = m.stats();
  cr_assert(s.valid(), "stats invariants broken");
  cr_assert(m.valid(), "MMU invariants broken");
  return s;
}

}  // namespace hpmm::sim::test
