// mmu_sim/region_map.hpp: which page size maps an address (SimConfig::regions, else the default
// page size).  Consulted by walks and by the OPT pre-pass, never on a TLB hit.
//
// Invariants: regions_ sorted by start, non-overlapping (SimConfig::validate() checked that);
//   size_at(a) == r.size for the region r with r.start <= a < r.start + r.length, else default.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/units.hpp"
#include "mmu_sim/config.hpp"

namespace hpmm::sim {

class RegionMap {
 public:
  RegionMap(PageSize default_size, std::vector<Region> regions)
      : default_(default_size), regions_(std::move(regions)) {
    std::sort(regions_.begin(), regions_.end(),
              [](const Region &a, const Region &b) { return a.start < b.start; });
  }

  PageSize size_at(VirtAddr a) const {
    if (regions_.empty()) return default_;
    // The last region starting at or below a.
    auto it = std::upper_bound(regions_.begin(), regions_.end(), a,
                               [](VirtAddr x, const Region &r) { return x < r.start; });
    if (it == regions_.begin()) return default_;
    --it;
    return a.value - it->start.value < it->length.value ? it->size : default_;
  }

  // Page sizes that can occur, smallest first.
  std::vector<PageSize> sizes_in_use() const {
    bool used[kPageSizeCount] = {};
    used[index_of(default_)] = true;
    for (const Region &r : regions_) used[index_of(r.size)] = true;
    std::vector<PageSize> out;
    for (int i = 0; i < kPageSizeCount; ++i)
      if (used[i]) out.push_back(static_cast<PageSize>(i));
    return out;
  }

  bool valid() const {
    for (size_t i = 1; i < regions_.size(); ++i)
      if (regions_[i - 1].start.value + regions_[i - 1].length.value > regions_[i].start.value)
        return false;
    return true;
  }

 private:
  PageSize default_;
  std::vector<Region> regions_;
};

}  // namespace hpmm::sim
