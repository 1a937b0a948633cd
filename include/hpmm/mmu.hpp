// hpmm/mmu.hpp: the C++ API of the software MMU (hpmm(3), hpmm-sim(1)).
//
// An Mmu is one simulated address space over a bounded pool of real frames: page tables, a TLB
// hierarchy with page-walk caches, demand paging with a replacement policy, and a swap store.
// translate() only counts; load()/store() move real bytes through frame memory (the pool is
// backed by huge pages from pal/, zero-filled when a frame's data is first touched).  Data
// written through store() survives eviction and reads back after a major fault.  With
// SimConfig::swap.path the evicted pages go to a real file through io_uring (mmu_sim/
// swap_file.hpp); an I/O error of that file stops the MMU: error() says why.
//
// Not thread-safe: one Mmu per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mmu_sim/access.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/stats.hpp"

namespace hpmm::sim {

class MmuImpl;

class Mmu {
 public:
  // Builds the machine; on a bad configuration returns nullptr and sets *error to a message
  // naming the field.  Never throws for bad input.
  static std::unique_ptr<Mmu> create(const SimConfig &config, std::string *error);
  ~Mmu();
  Mmu(const Mmu &) = delete;
  Mmu &operator=(const Mmu &) = delete;

  // One access through the MMU (counted per the counting rules; no data moves).  Not for
  // PageReplacement::kOpt, whose future is known only to run() (checked: aborts).
  void access(const Access &a);
  // Moves bytes through frame memory; the range may cross pages.  Counted as one read / one
  // write access and one translation per page touched; n == 0 does nothing.  Needs
  // SimConfig::data (checked: aborts otherwise), no SimConfig::verify (the MMU owns the bytes
  // then) and a policy other than opt.  false: the swap file failed (error() says why; the bytes
  // moved are then undefined).
  bool load(uint64_t addr, void *out, size_t n);
  bool store(uint64_t addr, const void *in, size_t n);

  // Replays a source to its end, then waits for every swap write.  Returns "" or the source's
  // error or error() (the run stops after the batch where it happened).  For PageReplacement::kOpt
  // the source is read once ahead to learn the future (it must be finite; its accesses are held
  // in memory, 16 bytes each, plus 16 bytes per translation) and run() must be the Mmu's first
  // and only use.  progress, if set, is called now and then with the source's progress.
  std::string run(AccessSource &source,
                  const std::function<void(const AccessSource &)> &progress = {});

  SimStats stats() const;
  // "" or why the MMU cannot go on: a swap file's I/O error (naming the file, slot, offset and
  // errno), or a --verify mismatch (naming the access, the address, the stamps).  Sticky.
  std::string error() const;
  // Waits for every swap write still in flight: error() afterwards covers every write so far.
  bool drain();
  // The swap store: "hpmm.swap: io_uring, O_DIRECT, readahead 4, 256 write-back buffers",
  // "memory (no swap file)" or "slot numbers only (data off)".
  std::string swap_text() const;
  const SimConfig &config() const;
  // Every structure's invariants (TLBs, walk caches, page table, frame pools, swap, stats); for
  // tests and debug builds: it walks everything.
  bool valid() const;
  // What pal/ gave each frame pool ("frames-4k: thp: ...; frames-2m: hugetlb 2MB: ..."), or
  // "none (data off: frames hold no bytes)": trace replay reserves no frame memory.
  std::string backing() const;

 private:
  explicit Mmu(std::unique_ptr<MmuImpl> impl);
  std::unique_ptr<MmuImpl> impl_;
};

}  // namespace hpmm::sim
