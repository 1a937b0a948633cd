// mmu_sim/mmu_impl.hpp: the one virtual seam of the simulator.  Mmu (include/hpmm/mmu.hpp) holds
// an MmuImpl; make_core() picks the MmuCore<TLB replacement, page replacement, swap store>
// instantiation once, at create(), so the per-access path has no virtual call: run() makes one
// virtual call per batch of accesses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mmu_sim/access.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/stats.hpp"
#include "pal/frame_provider.hpp"

namespace hpmm::sim {

// The frame memory of each page size's pool (data mode), reserved by Mmu::create from pal/ and
// released when the FrameMemory dies (after the core that uses it: see MmuImpl).  Move-only.
class FrameMemory {
 public:
  // Reserves pages * page bytes for pool s (no prefault: frames are zero-filled when first
  // touched); "" or what went wrong.
  std::string reserve(PageSize s, uint64_t pages);
  std::byte *base(PageSize s) const { return static_cast<std::byte *>(res_[index_of(s)].base()); }
  // What pal/ gave each pool ("frames-4k: thp: 1 MiB on hugepages, ..."), or "none (data off)".
  std::string describe() const;

 private:
  pal::FrameReservation res_[kPageSizeCount];
};

class MmuImpl {
 public:
  // Set by Mmu::create after construction.  memory is destroyed after the derived core.
  SimConfig config;
  FrameMemory memory;

  virtual ~MmuImpl() = default;
  virtual void run_batch(std::span<const Access> batch) = 0;
  virtual void load(uint64_t addr, void *out, size_t n) = 0;
  virtual void store(uint64_t addr, const void *in, size_t n) = 0;
  // OPT: next_use[i] = index of the next translation of the page translated i-th (or a value
  // past the end: never again), for translations numbered from 0 (the MMU's first).
  virtual void set_future(std::vector<uint64_t> next_use) = 0;
  virtual uint64_t translations() const = 0;
  // "" or why the run cannot go on: a swap I/O error (disk full, I/O error, short transfer) or a
  // --verify mismatch.  Sticky.
  virtual std::string error() const = 0;
  // Waits for every swap write still in flight; false if one failed (error() says why).
  virtual bool drain() = 0;
  // The swap store in use ("hpmm.swap: io_uring, buffered, 256 write-back buffers").
  virtual std::string swap_text() const = 0;
  virtual SimStats stats() const = 0;
  virtual bool valid() const = 0;
};

// Instantiated in mmu_core_<policy>.cc, one file per page-replacement policy.
std::unique_ptr<MmuImpl> make_core_fifo(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_lru(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_clock(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_opt(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_random(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_2q(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_arc(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_lirs(const SimConfig &c, const FrameMemory &m);
std::unique_ptr<MmuImpl> make_core_linux(const SimConfig &c, const FrameMemory &m);

// The page keys of a batch's translations, in the order the MMU makes them (for OPT's pre-pass):
// key = page base address >> 12, which is unique across page sizes.
class RegionMap;
void append_page_keys(const RegionMap &regions, uint64_t va_mask, bool ifetch,
                      std::span<const Access> batch, std::vector<uint64_t> *keys);

}  // namespace hpmm::sim
