// mmu_sim/config.cc: names of the policies and SimConfig::validate().
#include "mmu_sim/config.hpp"

#include <string>

#include "base/bits.hpp"

namespace hpmm::sim {

const char *name_of(TlbReplacement r) {
  switch (r) {
    case TlbReplacement::kLru:
      return "lru";
    case TlbReplacement::kPlru:
      return "plru";
    case TlbReplacement::kFifo:
      return "fifo";
    case TlbReplacement::kRandom:
      return "random";
  }
  return "?";
}

const char *name_of(PageReplacement r) {
  switch (r) {
    case PageReplacement::kFifo:
      return "fifo";
    case PageReplacement::kLru:
      return "lru";
    case PageReplacement::kClock:
      return "clock";
    case PageReplacement::kOpt:
      return "opt";
    case PageReplacement::kRandom:
      return "random";
    case PageReplacement::k2Q:
      return "2q";
    case PageReplacement::kArc:
      return "arc";
    case PageReplacement::kLirs:
      return "lirs";
    case PageReplacement::kLinux:
      return "linux";
    case PageReplacement::kCount:
      break;
  }
  return "?";
}

const char *name_of(RefBits r) {
  return r == RefBits::kEveryAccess ? "every-access" : "tlb-fill";
}

const char *name_of(SwapIo i) {
  switch (i) {
    case SwapIo::kAuto:
      return "auto";
    case SwapIo::kUring:
      return "uring";
    case SwapIo::kSync:
      return "sync";
  }
  return "?";
}

std::string SimConfig::validate() const {
  if (!swap.path.empty() && !data) return "swap.path: a swap file needs data (frames with bytes)";
  if (swap.path.empty() &&
      (swap.keep || swap.direct || swap.readahead != 0 || swap.io != SwapIo::kAuto))
    return "swap: keep, direct, readahead and io need a swap file (swap.path)";
  if (swap.readahead > 64) return "swap.readahead: at most 64 slots";
  if (verify && !data) return "verify: needs data (frames with bytes)";
  if (levels != 4 && levels != 5) return "levels: must be 4 or 5";
  constexpr uint64_t kMaxSets = uint64_t{1} << 24, kMaxWays = 4096, kMaxEntries = kMaxSets;
  for (int i = 0; i < kPageSizeCount; ++i) {
    const TlbShape &t = l1[i];
    std::string name = std::string("tlb.l1-") + name_of(static_cast<PageSize>(i));
    if ((t.sets == 0) != (t.ways == 0)) return name + ": sets and ways must both be >= 1";
    if (t.sets > kMaxSets || t.ways > kMaxWays || t.entries() > kMaxEntries)
      return name + ": too large (at most 2^24 sets, 4096 ways, 2^24 entries)";
  }
  if ((l2.sets == 0) != (l2.ways == 0)) return "tlb.l2: sets and ways must both be >= 1";
  if (l2.sets > kMaxSets || l2.ways > kMaxWays || l2.entries() > kMaxEntries)
    return "tlb.l2: too large (at most 2^24 sets, 4096 ways, 2^24 entries)";
  for (int i = 0; i < 3; ++i)
    if (pwc_entries[i] > kMaxWays) return "pwc[" + std::to_string(i) + "]: more than 4096 entries";
  const double costs[] = {cost.l1_hit,      cost.l2_hit,      cost.walk_ref, cost.pwc_hit,
                          cost.minor_fault, cost.major_fault, cost.writeback};
  for (double c : costs)
    if (!(c >= 0 && c < 1e300)) return "cost: every cost must be a finite number >= 0";
  const uint64_t va_limit = uint64_t{1} << (12 + 9 * levels);
  if (l2.sets > UINT32_MAX / 2) return "tlb.l2: too large";
  bool used[kPageSizeCount] = {};
  used[index_of(page_size)] = true;
  for (const Region &r : regions) {
    // Aligned to the larger of its page size and the default one, so that no default-size page
    // overlaps the region.
    const PageSize align = r.size > page_size ? r.size : page_size;
    const uint64_t pb = bytes_of(align).value;
    if (r.length.value == 0) return "region: length must be > 0";
    if (r.start.value % pb != 0 || r.length.value % pb != 0)
      return std::string("region: start and length must be multiples of ") + name_of(align);
    if (r.start.value >= va_limit || r.length.value > va_limit - r.start.value)
      return "region: beyond the " + std::to_string(12 + 9 * levels) + "-bit address space";
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
      return std::string("frames-") + name_of(s) +
             ": pages of this size are used but it has no frames";
    if (frames[i] > (uint64_t{1} << 31))
      return std::string("frames-") + name_of(s) + ": more than 2^31 frames";
    if (frames[i] > (uint64_t{1} << (52 - shift_of(s))))  // physical addresses stay below 2^52
      return std::string("frames-") + name_of(s) + ": more than 2^52 bytes of frames";
    if (used[i] && !l1[i].present())
      return std::string("tlb.l1-") + name_of(s) + ": absent for a size in use";
  }
  return "";
}

}  // namespace hpmm::sim
