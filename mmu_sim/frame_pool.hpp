// mmu_sim/frame_pool.hpp: the frames of one page size: which page each holds (FrameTable and its
// replacement policy), the PTE that maps it, its swap slot, its bytes, and the swap store its
// evicted pages go to.  The MMU keeps one pool per page size in use; pools are independent.
//
// Invariants (valid()), for every frame f:
//   table.in_use(f)  <=>  pte[f] != nullptr  <=>  pte[f]->present() && pte[f]->pfn(size) == f
//   slot[f] != kNoSlot  =>  the swap store holds a copy of the page as it was when it came in
//                           (a page brought in by a major fault keeps its slot; its copy is valid
//                           until the page is written, and a dirty page is written back to it)
//   data mode: chunk c of frame f reads as zeros while pending(f, c) (lazy zero fill, 4 KiB chunks)
// Eviction: a dirty victim is written to its slot (allocated on the first write-back) and its PTE
// becomes "swapped, slot"; a clean victim with a slot becomes "swapped, slot" without a write; a
// clean victim without a slot (a zero page never written) becomes empty: its next fault is minor.
// PTE pointers stay valid because page-table nodes are never freed while the MMU lives.
// Not thread-safe: one MMU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "base/check.hpp"
#include "base/units.hpp"
#include "mmu_sim/frame_table.hpp"
#include "mmu_sim/swap_store.hpp"
#include "pagetable/pte.hpp"

namespace hpmm::sim {

template <PageReplacementPolicy P, SwapStore S>
class FramePool {
 public:
  static constexpr uint64_t kChunk = 4096;  // lazy zero-fill granularity
  struct FaultIn {
    uint32_t frame;
    bool major;           // the page came back from its swap copy
    bool evicted;         // a resident page was evicted to make room
    bool wrote_back;      // ... and it was dirty, so it was written to swap
    uint64_t victim_key;  // the evicted page's key (page base >> 12)
  };

  // mem: nframes * page bytes of frame memory when S keeps data, else nullptr.
  FramePool(PageSize size, uint32_t nframes, uint64_t seed, std::byte *mem, uint64_t max_slots)
      : size_(size),
        bytes_(bytes_of(size).value),
        chunks_(bytes_ / kChunk),
        table_(nframes, seed),
        pte_(nframes, nullptr),
        slot_(nframes, kNoSlot),
        mem_(mem),
        pending_(S::kKeepsData ? (uint64_t{nframes} * chunks_ + 63) / 64 : 0, 0),
        swap_(bytes_, max_slots) {}

  PageSize size() const { return size_; }
  FrameTable<P> &table() { return table_; }
  const FrameTable<P> &table() const { return table_; }
  S &swap() { return swap_; }
  Pte *pte_of(uint32_t frame) const { return pte_[frame]; }
  uint64_t page_bytes() const { return bytes_; }

  // Brings the page keyed key, whose PTE is *pte (not present), into a frame at time t; evicts a
  // victim first if no frame is free.  Leaves *pte present, clean, not yet accessed.
  FaultIn fault_in(uint64_t key, Pte *pte, uint64_t t) {
    FaultIn r{};
    r.major = pte->swapped();
    const uint64_t slot = r.major ? pte->swap_slot() : kNoSlot;
    auto placed = table_.place(key, t);
    r.frame = placed.frame;
    if (placed.evicted) {
      r.evicted = true;
      r.victim_key = placed.victim_key;
      r.wrote_back = evict(placed.frame);
    }
    pte_[r.frame] = pte;
    slot_[r.frame] = slot;
    if constexpr (S::kKeepsData) {
      if (r.major) {
        bool ok = swap_.read(slot, {frame_bytes(r.frame), bytes_});
        HPMM_CHECK(ok, "swap: reading a page back failed");
        set_pending(r.frame, false);
      } else {
        set_pending(r.frame, true);  // zero-filled when its data is first touched
      }
    }
    *pte = Pte::leaf(Pfn(r.frame), size_, Pte::kWritable);
    return r;
  }

  // Data mode: frame memory for [offset, offset + n) of the frame, zero-filled if still pending.
  std::byte *data(uint32_t frame, uint64_t offset, uint64_t n) {
    static_assert(S::kKeepsData, "frame data needs a swap store that keeps data");
    HPMM_ASSERT(offset + n <= bytes_ && n > 0);
    const uint64_t first = uint64_t{frame} * chunks_ + offset / kChunk;
    const uint64_t last = uint64_t{frame} * chunks_ + (offset + n - 1) / kChunk;
    for (uint64_t c = first; c <= last; ++c)
      if (pending_[c / 64] >> (c % 64) & 1) {
        std::memset(mem_ + c * kChunk, 0, kChunk);
        pending_[c / 64] &= ~(uint64_t{1} << (c % 64));
      }
    return frame_bytes(frame) + offset;
  }

  bool valid() const {
    if (!table_.valid() || !swap_.valid()) return false;
    for (uint32_t f = 0; f < pte_.size(); ++f) {
      if (table_.in_use(f) != (pte_[f] != nullptr)) return false;
      if (pte_[f] && (!pte_[f]->present() || pte_[f]->pfn(size_).value != f)) return false;
    }
    return true;
  }

 private:
  std::byte *frame_bytes(uint32_t frame) const { return mem_ + uint64_t{frame} * bytes_; }

  // Unmaps the page in frame; returns whether it was written back.
  bool evict(uint32_t frame) {
    Pte *v = pte_[frame];
    uint64_t slot = slot_[frame];
    const bool dirty = v->dirty();
    if (dirty) {
      if (slot == kNoSlot) {
        slot = swap_.allocate();
        HPMM_CHECK(slot != kNoSlot, "swap: no free slot for a dirty page");
      }
      if constexpr (S::kKeepsData) {
        bool ok = swap_.write(slot, {data(frame, 0, bytes_), bytes_});
        HPMM_CHECK(ok, "swap: writing a page back failed");
      }
    }
    *v = slot != kNoSlot ? Pte::swapped_out(slot, size_) : Pte{};
    pte_[frame] = nullptr;
    slot_[frame] = kNoSlot;
    return dirty;
  }

  void set_pending(uint32_t frame, bool on) {
    const uint64_t first = uint64_t{frame} * chunks_, end = first + chunks_;
    for (uint64_t c = first; c < end;) {
      if (c % 64 == 0 && end - c >= 64) {
        pending_[c / 64] = on ? ~uint64_t{0} : 0;
        c += 64;
        continue;
      }
      const uint64_t m = uint64_t{1} << (c % 64);
      pending_[c / 64] = on ? (pending_[c / 64] | m) : (pending_[c / 64] & ~m);
      ++c;
    }
  }

  PageSize size_;
  uint64_t bytes_;   // page bytes
  uint64_t chunks_;  // 4 KiB chunks per frame
  FrameTable<P> table_;
  std::vector<Pte *> pte_;         // frame -> the PTE mapping it, or null when free
  std::vector<uint64_t> slot_;     // frame -> swap slot holding a copy of its page, or kNoSlot
  std::byte *mem_;                 // frame memory (data mode), owned by the MMU
  std::vector<uint64_t> pending_;  // bit per chunk: still to be zero-filled (data mode)
  S swap_;
};

}  // namespace hpmm::sim
