// mmu_sim/frame_pool.hpp: the frames of one page size: which page each holds (FrameTable and its
// replacement policy), the PTE that maps it, its swap slot, its bytes, and the swap store its
// evicted pages go to.  The MMU keeps one pool per page size in use; pools are independent.
//
// Per frame, in the table's record of the frame (FrameTable<P, Meta>: owner key, pte, slot, dirty
// in 32 bytes, one cache line), so that an eviction reads one line for the victim.
// Invariants (valid()), for every frame f:
//   table.in_use(f)  <=>  pte[f] != nullptr  <=>  pte[f]->present() && pte[f]->pfn(size) == f
//   dirty[f] == pte[f]->dirty()  (every write of D goes through mark_dirty)
//   free f: dirty[f] == false and slot[f] == kNoSlot
//   slot[f] != kNoSlot  =>  the swap store holds a copy of the page as it was when it came in
//                           (a page brought in by a major fault keeps its slot while clean; in
//                           data mode the first write frees the slot, whose copy is now stale,
//                           for reuse -- as Linux frees a swap slot on a write fault -- and the
//                           dirty page gets a slot again when it is written back; CountingSwap
//                           keeps the slot and the write-back reuses it)
//   data mode: chunk c of frame f reads as zeros while pending(f, c) (lazy zero fill, 4 KiB chunks)
// A swap store that fails (FileSwap: I/O error, disk full) makes fault_in/evict go on with the
// frame's bytes undefined (a failed read leaves zeros) and io_failed() true: the MMU stops the
// run with the store's error() after the batch -- never a silent loss.
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
#include <utility>
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
  // Per frame: the PTE mapping it (null when free), the swap slot holding a copy of its page
  // (kNoSlot if none) and the pool's copy of its PTE's dirty bit (read on eviction).
  struct Meta {
    Pte *pte = nullptr;
    uint64_t slot = kNoSlot;
    bool dirty = false;
  };
  using Table = FrameTable<P, Meta>;
  static_assert(sizeof(typename Table::Record) == 32 && alignof(typename Table::Record) == 32);
  // The flags are words, not bools: a struct of at most 16 bytes is kept packed in two registers
  // after inlining, each flag a shift and a bit test to read (measured on walk()'s fault path).
  struct FaultIn {
    uint32_t frame;
    uint32_t major;       // 1: the page came back from its swap copy
    uint32_t evicted;     // 1: a resident page was evicted to make room
    uint32_t wrote_back;  // 1: ... and it was dirty, so it was written to swap
    uint64_t victim_key;  // the evicted page's key (page base >> 12)
  };

  // mem: nframes * page bytes of frame memory when S keeps data, else nullptr.  swap: the store,
  // built for bytes_of(size) pages.
  FramePool(PageSize size, uint32_t nframes, uint64_t seed, std::byte *mem, S swap)
      : size_(size),
        bytes_(bytes_of(size).value),
        chunks_(bytes_ / kChunk),
        shift_(shift_of(size)),
        leaf_bits_(Pte::leaf(Pfn(0), size, Pte::kWritable).raw),
        swapped_bits_(Pte::swapped_out(0, size).raw),
        table_(nframes, seed),
        mem_(mem),
        pending_(S::kKeepsData ? (uint64_t{nframes} * chunks_ + 63) / 64 : 0, 0),
        swap_(std::move(swap)) {}

  PageSize size() const { return size_; }
  Table &table() { return table_; }
  const Table &table() const { return table_; }
  S &swap() { return swap_; }
  const S &swap() const { return swap_; }
  bool io_failed() const { return io_failed_; }
  Pte *pte_of(uint32_t frame) const { return meta(frame).pte; }
  // Sets the dirty bit of the page in frame (in its PTE and in the pool's copy of it).
  void mark_dirty(uint32_t frame) { mark_dirty(frame, meta(frame).pte); }
  // The same when the caller holds the PTE (a walk): no load of the PTE pointer.
  void mark_dirty(uint32_t frame, Pte *pte) {
    Meta &m = meta(frame);
    HPMM_ASSERT(m.pte == pte);
    pte->set_dirty(true);
    m.dirty = true;
    if constexpr (S::kKeepsData) {
      if (m.slot != kNoSlot) {  // the swap copy is stale now: free it for reuse
        swap_.free(m.slot);
        m.slot = kNoSlot;
      }
    }
  }
  uint64_t page_bytes() const { return bytes_; }
  // The PTEs a fault and an eviction write: Pte::leaf(Pfn(frame), size_, Pte::kWritable) and
  // Pte::swapped_out(slot, size_), built from their flag bits computed once (the frame field masked
  // as Pte::set_frame_field masks it).
  Pte leaf_pte(uint32_t frame) const {
    return Pte(leaf_bits_ | ((uint64_t{frame} << shift_) & Pte::kFrameMask));
  }
  Pte swapped_pte(uint64_t slot) const {
    HPMM_ASSERT(slot <= Pte::kMaxSwapSlot);
    return Pte(swapped_bits_ | ((slot << Pte::kFrameShift) & Pte::kFrameMask));
  }

  // Brings the page keyed key, whose PTE is *pte (not present), into a frame at time t; evicts a
  // victim first if no frame is free.  Leaves *pte present, clean, not yet accessed.
  [[gnu::always_inline]] FaultIn fault_in(uint64_t key, Pte *pte, uint64_t t) {
    FaultIn r{};
    // place() prefetches the record of the next victim: its Meta too, read at that eviction.
    auto placed = table_.place(key, t);
    r.frame = placed.frame;
    Meta &m = meta(r.frame);
    if (placed.evicted) {
      r.evicted = 1;
      r.victim_key = placed.victim_key;
      r.wrote_back = evict(placed.frame, m);
    }
    // *pte is read after the eviction (which writes only other PTEs: the victim's is present,
    // this one is not, and the walk settled this one's pending update), not held across it.
    r.major = pte->swapped();
    const uint64_t slot = r.major ? pte->swap_slot() : kNoSlot;
    m = {pte, slot, false};
    if constexpr (S::kKeepsData) {
      if (r.major) {
        if (swap_.read(slot, {frame_bytes(r.frame), bytes_})) {
          set_pending(r.frame, false);
        } else {
          io_failed_ = true;           // the store's error() says why
          set_pending(r.frame, true);  // no stale bytes of the frame's last page
        }
      } else {
        set_pending(r.frame, true);  // zero-filled when its data is first touched
      }
    }
    *pte = leaf_pte(r.frame);
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

  // Deferred PTE updates of victims.  Storing to a victim's PTE, a cold line, at once would hold
  // up every later store until the line arrives; instead the store is queued with a prefetch and
  // made when a later eviction needs its entry, or as soon as a walk reaches that PTE (settle()),
  // or at the end of each batch (settle_all()).  So no one ever reads a PTE with an update pending.
  // The queue is direct-mapped by the PTE's address (deferred_slot): a PTE's pending update can
  // only be in its own entry, so a walk checks one entry, not all of them.
  // Invariant: deferred_[i].pte == nullptr or deferred_slot(deferred_[i].pte) == i.
  void settle(const Pte *pte) {
    auto &d = deferred_of(pte);
    if (d.pte == pte) {
      *d.pte = d.value;
      d.pte = nullptr;
    }
  }
  void settle_all() {
    for (Deferred &d : deferred_)
      if (d.pte) {
        *d.pte = d.value;
        d.pte = nullptr;
      }
  }

  bool valid() const {
    if (!table_.valid() || !swap_.valid()) return false;
    for (const Deferred &d : deferred_)
      if (d.pte) return false;  // checked between batches, when all are settled
    for (uint32_t f = 0; f < table_.frames(); ++f) {
      const Meta &m = meta(f);
      const Pte *p = m.pte;
      if (table_.in_use(f) != (p != nullptr)) return false;
      if (p && (!p->present() || p->pfn(size_).value != f)) return false;
      if (p && p->dirty() != m.dirty) return false;
      if (!p && (m.dirty || m.slot != kNoSlot)) return false;
    }
    return true;
  }

 private:
  std::byte *frame_bytes(uint32_t frame) const { return mem_ + uint64_t{frame} * bytes_; }
  Meta &meta(uint32_t frame) {
    HPMM_ASSERT(frame < table_.frames());
    return table_.records()[frame].extra;
  }
  const Meta &meta(uint32_t frame) const {
    HPMM_ASSERT(frame < table_.frames());
    return table_.records()[frame].extra;
  }

  static size_t deferred_slot(const Pte *pte) {
    return (reinterpret_cast<uintptr_t>(pte) / sizeof(Pte)) % kDeferred;
  }
  // deferred_[deferred_slot(pte)], its byte offset computed as one mask and one scale.
  auto &deferred_of(const Pte *pte) {  // (Deferred is declared below)
    static_assert(sizeof(Deferred) == 2 * sizeof(Pte) && (kDeferred & (kDeferred - 1)) == 0);
    const uintptr_t off = (reinterpret_cast<uintptr_t>(pte) & ((kDeferred - 1) * sizeof(Pte))) * 2;
    HPMM_ASSERT(off / sizeof(Deferred) == deferred_slot(pte));
    return *reinterpret_cast<Deferred *>(reinterpret_cast<char *>(deferred_) + off);
  }
  void defer(Pte *pte, Pte value) {
    auto &d = deferred_of(pte);
    if (d.pte) *d.pte = d.value;  // an older update (another PTE, or this one: settled before)
    __builtin_prefetch(pte, 1);
    d = {pte, value};
  }

  // Unmaps the page in frame, whose metadata is m, for fault_in, which gives m its new page's
  // values next; returns whether the page was written back.
  bool evict(uint32_t frame, const Meta &m) {
    Pte *v = m.pte;
    uint64_t slot = m.slot;
    const bool dirty = m.dirty;  // the pool's copy: no load of the victim's PTE
    if (dirty) {
      if (slot == kNoSlot) {
        slot = swap_.allocate();
        HPMM_CHECK(slot != kNoSlot, "swap: no free slot for a dirty page");
      }
      if constexpr (S::kKeepsData) {
        if (!swap_.write(slot, {data(frame, 0, bytes_), bytes_})) io_failed_ = true;
      }
    }
    defer(v, slot != kNoSlot ? swapped_pte(slot) : Pte{});
    // m is the incoming page's as soon as evict returns (fault_in): no reset here.
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
  unsigned shift_;   // shift_of(size_): a frame's physical address is frame << shift_
  uint64_t leaf_bits_, swapped_bits_;        // the flags of a present leaf and a swapped-out one
  Table table_;                              // the frames' owners and their Meta, one record each
  static constexpr uint32_t kDeferred = 16;  // a PTE's update waits ~16 evictions on average
  struct Deferred {
    Pte *pte = nullptr;  // null: no update pending in this entry
    Pte value;
  };
  Deferred deferred_[kDeferred];
  std::byte *mem_;                 // frame memory (data mode), owned by the MMU
  std::vector<uint64_t> pending_;  // bit per chunk: still to be zero-filled (data mode)
  bool io_failed_ = false;         // a swap read or write failed (data mode)
  S swap_;
};

}  // namespace hpmm::sim
