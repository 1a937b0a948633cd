// mmu_sim/config.hpp: everything that shapes one simulated machine.  Plain data; validate()
// checks it and names the first field that is wrong.  Defaults model a recent x86-64 core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/units.hpp"

namespace hpmm::sim {

enum class TlbReplacement : uint8_t { kLru, kPlru, kFifo, kRandom };
// The textbook policies, then the scan-resistant ones (mmu_sim/page_replacement.hpp); kCount is
// the number of policies, not one.
enum class PageReplacement : uint8_t {
  kFifo,
  kLru,
  kClock,
  kOpt,
  kRandom,
  k2Q,
  kArc,
  kLirs,
  kLinux,
  kCount
};
// Reference bits (and LRU recency) set on every access (textbook), or only when a translation is
// loaded into the TLB, as x86 hardware sets the accessed bit.
enum class RefBits : uint8_t { kEveryAccess, kTlbFill };

const char *name_of(TlbReplacement);
const char *name_of(PageReplacement);
const char *name_of(RefBits);

// A TLB array: sets x ways, any counts (1536 = 128 x 12 works).  sets == 0 means absent.
struct TlbShape {
  uint32_t sets = 0;
  uint32_t ways = 0;
  bool present() const { return sets != 0 && ways != 0; }
  uint64_t entries() const { return uint64_t{sets} * ways; }
};

// A range of the address space mapped with pages of one size.  Addresses outside every region
// use SimConfig::page_size.  start and length are multiples of the larger of the region's page
// size and SimConfig::page_size, and the region lies inside the 48- (57-) bit address space.
struct Region {
  VirtAddr start;
  Bytes length;
  PageSize size;
};

// The cost model behind cycles_per_access (hpmm-sim(1), "Cost model").  Each event's cycles are
// added once: an access that hits L1 costs l1_hit; an L1 miss that hits L2 costs l2_hit; a walk
// costs walk_ref per memory reference it makes (page-walk-cache hits skip references and cost
// pwc_hit each); a fault adds minor_fault or major_fault; a dirty eviction adds writeback.
struct CostModel {
  double l1_hit = 1;
  double l2_hit = 8;
  double walk_ref = 25;
  double pwc_hit = 2;
  double minor_fault = 2000;
  double major_fault = 200000;
  double writeback = 20000;
};

// Swap to a real file (mmu_sim/swap_file.hpp).  path "" = no file: with data on, evicted pages
// stay in memory (MemorySwap); with data off, only slot numbers are counted (CountingSwap).
enum class SwapIo : uint8_t { kAuto, kUring, kSync };  // auto: io_uring, else pread/pwrite
const char *name_of(SwapIo);
struct SwapConfig {
  std::string path;        // the default page size's pool; other pools use path + ".2m"/".1g"
  bool keep = false;       // leave the file at exit (else unlinked as soon as it is created)
  bool direct = false;     // O_DIRECT (falls back to buffered I/O, with a note, if refused)
  uint32_t readahead = 0;  // neighbouring slots read ahead on a major fault (0..64)
  SwapIo io = SwapIo::kAuto;
};

struct SimConfig {
  PageSize page_size = PageSize::k4K;  // default page size of the address space
  std::vector<Region> regions;         // mixed page sizes
  // Frames in the pool of each page size (index_of(PageSize)).  The pools are separate, as a
  // hugetlbfs pool is separate from normal memory; each runs its own replacement.
  uint64_t frames[kPageSizeCount] = {256, 0, 0};
  int levels = 4;  // 4 (48-bit) or 5 (57-bit) page tables

  TlbShape l1[kPageSizeCount] = {{16, 4}, {8, 4}, {1, 4}};  // per page size L1 arrays
  TlbShape l2 = {128, 12};                                  // unified STLB; sets 0 = none
  TlbReplacement tlb_replacement = TlbReplacement::kLru;
  // Page-walk caches, fully associative LRU, as Intel's PML4E, PDPTE and PDE caches: index 0
  // caches level-4 entries (PML4Es), 1 level-3 (PDPTEs), 2 level-2 (PDEs); a 5-level table's root
  // (PML5) is not cached.  0 entries = no cache for that level.  See mmu_sim/walk_cache.hpp.
  uint32_t pwc_entries[3] = {2, 4, 32};

  PageReplacement replacement = PageReplacement::kClock;
  RefBits ref_bits = RefBits::kEveryAccess;
  bool ifetch = false;  // count instruction fetches (sources drop them otherwise)
  bool data = false;    // frames hold real bytes (load/store API); trace replay leaves it off
  SwapConfig swap;      // a swap file (needs data)
  // Replayed accesses stamp and check the bytes (needs data; load/store are then refused):
  // see mmu_sim/verify_stamps.hpp.
  bool verify = false;
  uint64_t seed = 1;
  CostModel cost;

  // "" when the configuration is usable, else what is wrong, naming the field
  // (e.g. "tlb.l1: ways must be >= 1").
  std::string validate() const;
};

}  // namespace hpmm::sim
