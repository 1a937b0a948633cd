// mmu_sim/config.cc: names of the policies and SimConfig::validate().
#include "mmu_sim/config.hpp"

#include "base/bits.hpp"

namespace hpmm::sim {

const char *name_of(TlbReplacement r) {
  switch (r) {
    case TlbReplacement::kLru: return "lru";
    case TlbReplacement::kPlru: return "plru";
    case TlbReplacement::kFifo: return "fifo";
    case TlbReplacement::kRandom: return "random";
  }
  return "?";
}

const char *name_of(PageReplacement r) {
  switch (r) {
    case PageReplacement::kFifo: return "fifo";
    case PageReplacement::kLru: return "lru";
    case PageReplacement::kClock: return "clock";
    case PageReplacement::kOpt: return "opt";
    case PageReplacement::kRandom: return "random";
  }
  return "?";
}

const char *name_of(RefBits r) { return r == RefBits::kEveryAccess ? "every-access" : "tlb-fill"; }

std::string SimConfig::validate() const {
  if (levels != 4 && levels != 5) return "levels: must be 4 or 5";
  constexpr uint64_t kMaxSets = uint64_t{1} << 24, kMaxWays = 4096;
  for (int i = 0; i < kPageSizeCount; ++i) {
    const TlbShape &t = l1[i];
    std::string name = std::string("tlb.l1-") + name_of(static_cast<PageSize>(i));
    if ((t.sets == 0) != (t.ways == 0)) return name + ": sets and ways must both be >= 1";
    if (t.sets > kMaxSets || t.ways > kMaxWays) return name + ": too large";
  }
  if ((l2.sets == 0) != (l2.ways == 0)) return "tlb.l2: sets and ways must both be >= 1";
  if (l2.sets > kMaxSets || l2.ways > kMaxWays) return "tlb.l2: too large";
  if (l2.sets > UINT32_MAX / 2) return "tlb.l2: too large";
  bool used[kPageSizeCount] = {};
  used[index_of(page_size)] = true;
  for (const Region &r : regions) {
    uint64_t pb = bytes_of(r.size).value;
    if (r.length.value == 0) return "region: length must be > 0";
    if (r.start.value % pb != 0 || r.length.value % pb != 0)
      return std::string("region: start and length must be multiples of ") + name_of(r.size);
    if (r.start.value + r.length.value < r.start.value) return "region: wraps the address space";
    used[index_of(r.size)] = true;
  }
  for (size_t i = 0; i < regions.size(); ++i)
    for (size_t j = i + 1; j < regions.size(); ++j) {
      const Region &a = regions[i], &b = regions[j];
      if (a.start.value < b.start.value + b.length.value &&
          b.start.value < a.start.value + a.length.value)
        return "region: regions overlap";
    }
  for (int i = 0; i < kPageSizeCount; ++i) {
    auto s = static_cast<PageSize>(i);
    if (used[i] && frames[i] == 0)
      return std::string("frames-") + name_of(s) + ": pages of this size are used but it has no frames";
    if (frames[i] > (uint64_t{1} << 31))
      return std::string("frames-") + name_of(s) + ": more than 2^31 frames";
    if (used[i] && !l1[i].present()) return std::string("tlb.l1-") + name_of(s) + ": absent for a size in use";
  }
  return "";
}

}  // namespace hpmm::sim
