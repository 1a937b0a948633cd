// mmu_sim/mmu_core.hpp: the simulated MMU, a template over its TLB replacement, page replacement
// and swap store, instantiated once per run (mmu_core_<policy>.cc) so the access loop is one
// inlined path.  The counting rules it implements are DESIGN.md's (and hpmm-sim(1)'s):
//
//   access [a, a+size)  -> one translation per page touched, in address order (Modify: the load
//                          of the range, then the store); addresses are taken modulo the virtual
//                          address space (2^48 or 2^57 bytes); size 0 counts as 1.
//   translation         -> L1 arrays of the sizes in use; miss -> L2; miss -> walk (walk_cache.hpp
//                          counts its memory references); a walk to a non-resident page faults
//                          (major if the PTE holds a swap slot, else minor) and the pool places it,
//                          evicting and shooting down a victim when no frame is free.
//   accessed bit        -> set in the PTE by every walk.  dirty bit -> set in the PTE by a walk for
//                          a write and by the first write through a TLB entry whose D is clear.
//   replacement state   -> FrameTable::touch(frame, t) on every translation (RefBits::kEveryAccess)
//                          or only on walks (kTlbFill: x86 sets A only when it walks; an L2 hit
//                          refilling the L1 does not read the PTE).  OPT always sees every
//                          translation: its future is defined over all of them.  A fault's
//                          place() is the fill.  t = the translation's index from 0.
//
// The last-translation memo: va >> 12 == memo_page_ means the page translated last (for a large
// page, the same 4 KiB part of it), whose L1 entry is memo_ref_.  Nothing runs between two
// translations, so that entry is still the most recently used of its set and a hit on it changes no
// replacement order (tlb_replacement.hpp): the memo counts the L1 hit and skips only the set
// search.  It is cleared on a shootdown of its page, and replaced by every translation that misses
// it.
//
// Counters are plain fields of s_ (one MMU per thread); stats() derives the totals.  The batch
// loop keeps the translation index in a register and derives the L1 hits at the end of the batch
// (translations - L1 misses); only a configuration with several page sizes counts hits by size
// as it goes.
//
// Data mode: a swap store that fails (FileSwap) or a --verify mismatch sets error(); Mmu::run
// stops after the batch.  --verify replays through run_batch_verify (verify_stamps.hpp), off the
// plain batch loop, which stays as it was for every other configuration.
//
// Speed measures that change no count (bench/sim_throughput.cc): a batch after a miss-heavy one
// prefetches the PTEs of the accesses 8 ahead (where a walk has seen their page-table node);
// a victim's PTE update is deferred (frame_pool.hpp) and settled before any walk reads it and at
// the end of every batch, so no one reads a PTE with an update pending; a walk of a 4 KiB page
// takes its PTE from the level-1 node a walk found before (leaf_pte); a machine with one page
// size runs its own batch loop with the memo and the L1 array in registers (run_one_size).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/frame_pool.hpp"
#include "mmu_sim/mmu_impl.hpp"
#include "mmu_sim/region_map.hpp"
#include "mmu_sim/swap_file.hpp"
#include "mmu_sim/tlb_hierarchy.hpp"
#include "mmu_sim/verify_stamps.hpp"
#include "mmu_sim/walk_cache.hpp"
#include "pagetable/page_table.hpp"

namespace hpmm::sim {

template <class P>
concept HasFuture = requires(P p, std::span<const uint64_t> s) {
  p.set_future(s);
};

// The swap store of the pool of page size s: FileSwap takes the configuration's file options.
template <SwapStore SW>
SW make_swap_store(const SimConfig &c, PageSize s, uint64_t max_slots) {
  if constexpr (std::is_constructible_v<SW, uint64_t, uint64_t, const SwapFileOptions &>)
    return SW(bytes_of(s).value, max_slots, swap_file_options(c, s));
  else
    return SW(bytes_of(s).value, max_slots);
}

template <TlbReplacementPolicy TR, PageReplacementPolicy PR, SwapStore SW>
class MmuCore final : public MmuImpl {
  static constexpr bool kData = SW::kKeepsData;
  static constexpr bool kOpt = HasFuture<PR>;
  static constexpr bool kFile = std::is_same_v<SW, FileSwap>;

 public:
  MmuCore(const SimConfig &c, const FrameMemory &mem)
      : ifetch_(c.ifetch),
        verify_(c.verify),
        touch_every_(c.ref_bits == RefBits::kEveryAccess || kOpt),
        va_mask_((uint64_t{1} << (12 + 9 * c.levels)) - 1),
        regions_(c.page_size, c.regions),
        tlb_(c, regions_.sizes_in_use()),
        pwc_(c.levels, c.pwc_entries),
        pt_(c.levels == 5 ? kX86_64_5Level : kX86_64_4Level) {
    for (PageSize s : regions_.sizes_in_use()) {
      const int i = index_of(s);
      pool_[i].emplace(s, static_cast<uint32_t>(c.frames[i]), c.seed + 11 * (i + 1), mem.base(s),
                       make_swap_store<SW>(c, s, Pte::kMaxSwapSlot + 1));
    }
    s_.has_l2 = tlb_.has_l2();
    multi_size_ = tlb_.size_count() > 1;
    size0_ = tlb_.size(0);
    offset0_ = bytes_of(size0_).value - 1;
  }

  void run_batch(std::span<const Access> batch) override {
    if constexpr (kData) {
      if (verify_) return run_batch_verify(batch);
    }
    Tally n = begin();
    const uint64_t walks0 = s_.walks;
    uint64_t t = n.t0;
    uint64_t stores = 0, others = 0;  // loads = batch - stores - others
    const bool pf = prefetch_;
    if (pf)
      for (size_t i = 0; i < kAhead && i < batch.size(); ++i) prefetch_pte(batch[i].addr);
    if (!multi_size_) {
      const bool fast = tlb_.size(0) == PageSize::k4K && tlb_.l1(tlb_.size(0)).probe().fast();
      if (fast && touch_every_)
        t = pf ? run_one_size<true, true, true>(batch, t, stores, others)
               : run_one_size<false, true, true>(batch, t, stores, others);
      else if (fast)
        t = pf ? run_one_size<true, true, false>(batch, t, stores, others)
               : run_one_size<false, true, false>(batch, t, stores, others);
      else
        t = pf ? run_one_size<true, false, true>(batch, t, stores, others)
               : run_one_size<false, false, true>(batch, t, stores, others);
    } else {
      t = run_sizes(batch, t, pf, stores, others);
    }
    s_.writes += stores;
    s_.reads += batch.size() - stores - others;
    end(n, t);
    settle_all();
    prefetch_ = (s_.walks - walks0) * 8 > t - n.t0;  // more than 1 walk in 8 translations
  }

  // The batch loop of a machine with one page size (the common case), written out so that what
  // the hit path needs stays in registers: the L1 array's geometry (a Probe: a miss, which may
  // fill the array, changes no field of it), the memo, the TLB policy's hit state (TlbArray::Hot:
  // lru's clock) and the page policy's touch (page_hot).  Each is written back before any call
  // out of the hit path (a miss, a page-crossing or other access), which works on the members,
  // and read back after.  Returns the next translation's index.  Counts exactly as run_sizes()
  // does.  kPf: prefetch the PTEs ahead (a loop of its own, so a hit-heavy batch does not test it
  // per access).  kFast: 4 KiB pages and the L1 of the usual shape (Probe::fast()): the page
  // number is the tag, a set is one line, and the search is one compare of the tags' low halves
  // and a test of the one candidate's high half; kEvery (with kFast): touch_every_ (without kFast
  // the loop tests touch_every_).
  template <bool kPf, bool kFast, bool kEvery>
  HPMM_INLINE uint64_t run_one_size(std::span<const Access> batch, uint64_t t, uint64_t &stores_out,
                                    uint64_t &others_out) {
    const PageSize size = tlb_.size(0);
    const unsigned shift = shift_of(size);
    TlbArray<TR> &l1 = tlb_.l1(size);
    const typename TlbArray<TR>::Probe p = l1.probe();
    FramePool<PR, SW> &pool = *pool_[index_of(size)];
    const auto touch = page_hot(pool);
    const bool every = kFast ? kEvery : touch_every_;
    const uint64_t va_mask = va_mask_;
    uint64_t memo_page = memo_page_;
    uint32_t *memo_data = memo_entry(memo_ref_);
    typename TlbArray<TR>::Hot th = l1.hot();
    const LeafNode *const leaves = leaf_nodes_.data();  // never reallocated
    uint64_t stores = 0, others = 0;
    // Before and after a call out of the hit path.
    auto out = [&] {
      memo_page_ = memo_page;
      memo_ref_ = reinterpret_cast<uintptr_t>(memo_data) | index_of(size);
      l1.hot_out(th);
    };
    auto in = [&] {
      memo_page = memo_page_;
      memo_data = memo_entry(memo_ref_);
      th = l1.hot();
    };
    const Access *const e = batch.data() + batch.size();
    for (const Access *a = batch.data(); a != e; ++a) {
      if (kPf && a + kAhead < e) prefetch_leaf(leaves, a[kAhead].addr & va_mask);
      const uint32_t k = static_cast<uint32_t>(a->kind);
      const uint64_t va = a->addr & va_mask;
      if (HPMM_UNLIKELY(k > static_cast<uint32_t>(AccessKind::kStore) ||
                        (va & 4095) + a->size > 4096)) {
        out();
        if (k > static_cast<uint32_t>(AccessKind::kStore)) {
          ++others;
          t = other_access(*a, t);
        } else {
          stores += k;
          t = range_pages(va, a->size, k != 0, t);
        }
        in();
        continue;
      }
      stores += k;
      const uint64_t tt = t++;
      const uint64_t page = va >> 12;
      if (page != memo_page) {
        if constexpr (kFast) {  // vpn == page
          const uint32_t set = p.set_small(page);
          uint32_t *const ln = p.line(set);
          const unsigned m = TlbGeometry::match_lo4(ln, 0, static_cast<uint32_t>(page));
          unsigned way = static_cast<unsigned>(std::countr_zero(m));
          const uint32_t hi = static_cast<uint32_t>(page >> 32);
          if (HPMM_UNLIKELY(m == 0 || ln[4 + way] != hi)) {
            // Another candidate whose high half matches, or a miss.  Not find(): inlined here, its
            // general search crowds the loop's registers (measured: lru 297 -> ~235 M/s).
            unsigned rest = m & (m - 1);
            while (rest != 0 && ln[4 + std::countr_zero(rest)] != hi) rest &= rest - 1;
            if (rest == 0) {
              out();
              miss(va, k != 0, tt);
              in();
              continue;
            }
            way = static_cast<unsigned>(std::countr_zero(rest));
          }
          if constexpr (requires { th.hit_4way(set, way); })  // plru: one store, no load
            th.hit_4way(set, way);
          else
            th.hit(set, way, uint64_t{set} * 4 + way);
          memo_data = ln + 8 + way;
        } else {
          const uint64_t vpn = va >> shift;
          const uint32_t set = p.set_of(vpn);
          const int64_t s = p.find(set, vpn);
          if (HPMM_UNLIKELY(s < 0)) {
            out();
            miss(va, k != 0, tt);
            in();
            continue;
          }
          th.hit(set, static_cast<uint32_t>(s - int64_t{set} * p.ways), static_cast<uint64_t>(s));
          memo_data = p.data_at(set, s);
        }
        memo_page = page;
      }
      const uint32_t d = *memo_data;
      const uint32_t frame = d >> 1;
      if (HPMM_UNLIKELY(k > (d & 1))) {  // a store through a clean entry (k is 0 or 1 here)
        *memo_data = d | 1;
        pool.mark_dirty(frame);  // touches neither the TLB nor the memo
      }
      if (every) touch.touch(frame, tt);
    }
    out();
    stores_out += stores;
    others_out += others;
    return t;
  }

  // The page policy's touch for the hit path: the policy's own view (a Hot, as ClockPolicy has)
  // if it offers one, else FrameTable::touch.
  struct TableTouch {
    typename FramePool<PR, SW>::Table *table;
    HPMM_INLINE void touch(uint32_t frame, uint64_t t) const { table->touch(frame, t); }
  };
  static auto page_hot(FramePool<PR, SW> &pool) {
    if constexpr (requires(PR & pr) { pr.hot().touch(uint32_t{}, uint64_t{}); })
      return pool.table().policy().hot();
    else
      return TableTouch{&pool.table()};
  }

  // The batch loop for several page sizes.
  uint64_t run_sizes(std::span<const Access> batch, uint64_t t, bool pf, uint64_t &stores,
                     uint64_t &others) {
    Hot h = hot_in();
    for (size_t i = 0; i < batch.size(); ++i) {
      const Access &a = batch[i];
      if (pf && i + kAhead < batch.size()) prefetch_pte(batch[i + kAhead].addr);
      const uint32_t k = static_cast<uint32_t>(a.kind);
      if (HPMM_LIKELY(k <= static_cast<uint32_t>(AccessKind::kStore))) {
        stores += k;
        range(a.addr, a.size, k != 0, t, h);
      } else {
        ++others;
        hot_out(h);
        t = other_access(a, t);
        h = hot_in();
      }
    }
    hot_out(h);
    return t;
  }

  void load(uint64_t addr, void *out, size_t n) override {
    if constexpr (kData) {
      if (n == 0) return;  // touches no page: not an access
      ++s_.reads;
      copy<false>(addr, static_cast<std::byte *>(out), nullptr, n);
    } else {
      HPMM_CHECK(false, "Mmu::load needs SimConfig::data");
    }
  }
  void store(uint64_t addr, const void *in, size_t n) override {
    if constexpr (kData) {
      if (n == 0) return;
      ++s_.writes;
      copy<true>(addr, nullptr, static_cast<const std::byte *>(in), n);
    } else {
      HPMM_CHECK(false, "Mmu::store needs SimConfig::data");
    }
  }

  void set_future(std::vector<uint64_t> next_use) override {
    if constexpr (kOpt) {
      future_ = std::move(next_use);
      for (auto &p : pool_)
        if (p) p->table().policy().set_future(future_);
    }
  }

  uint64_t translations() const override { return s_.translations; }

  std::string error() const override {
    for (const auto &p : pool_)  // an I/O error first: a mismatch after it is its consequence
      if (p && !p->swap().error().empty()) return std::string(p->swap().error());
    if (!verify_error_.empty()) return verify_error_;
    for (const auto &p : pool_)
      if (p && p->io_failed()) return "swap: a page could not be written or read back";
    return "";
  }

  bool drain() override {
    bool ok = true;
    for (auto &p : pool_)
      if (p) ok = p->swap().drain() && ok;
    return ok;
  }

  std::string swap_text() const override {
    if constexpr (kFile) {
      std::string out;
      for (const auto &p : pool_)
        if (p) out += (out.empty() ? "" : "; ") + p->swap().describe();
      return out;
    } else {
      return kData ? "memory (no swap file)" : "slot numbers only (data off)";
    }
  }

  SimStats stats() const override {
    SimStats s = s_;
    s.accesses = s.reads + s.writes + s.ifetches;
    s.l1 = {};
    for (const TlbLevelStats &b : s.l1_by_size) {
      s.l1.hits += b.hits;
      s.l1.misses += b.misses;
    }
    s.resident_pages = 0;
    for (const auto &p : pool_)
      if (p) s.resident_pages += p->table().used();
    if constexpr (kFile) {
      uint64_t most = 0;
      for (const auto &p : pool_) {
        if (!p) continue;
        const SwapIoStats io = p->swap().io_stats();
        s.swap.add_counts(io);
        if (io.reads + io.writes >= most) {  // times: the busiest pool's
          most = io.reads + io.writes;
          s.swap.fault_us_p50 = io.fault_us_p50;
          s.swap.fault_us_p99 = io.fault_us_p99;
          s.swap.writeback_us_p50 = io.writeback_us_p50;
          s.swap.writeback_us_p99 = io.writeback_us_p99;
          s.swap.write_io_us_p50 = io.write_io_us_p50;
          s.swap.write_io_us_p99 = io.write_io_us_p99;
        }
      }
    }
    return s;
  }

  bool valid() const override {
    for (const auto &p : pool_)
      if (p && !p->valid()) return false;
    return tlb_.valid() && pwc_.valid() && pt_.valid() && regions_.valid() && stats().valid();
  }

 private:
  struct Xlat {
    uint32_t frame;
    PageSize size;
  };

  // What the per-translation path reads and writes on every step, held in locals (registers) for
  // a batch: stores through the TLB's and the policies' arrays would otherwise force the compiler
  // to reload the members after each one.  Written back (hot_out) before any call out of the hit
  // path (a miss, a page-crossing access), which works on the members, and read back after.
  struct Hot {
    uint64_t memo_page, memo_ref, va_mask;
  };
  HPMM_INLINE Hot hot_in() const { return {memo_page_, memo_ref_, va_mask_}; }
  HPMM_INLINE void hot_out(const Hot &h) {
    memo_page_ = h.memo_page;
    memo_ref_ = h.memo_ref;
  }

  // The hot path's counters live in locals: t, the next translation's index, in a register; the
  // L1 hits are derived at the end (translations - L1 misses, which the miss path counts in s_),
  // and only a configuration with several page sizes counts hits per size as it goes.
  struct Tally {
    uint64_t t0, misses0;
  };
  Tally begin() const {
    uint64_t m = 0;
    for (const TlbLevelStats &b : s_.l1_by_size) m += b.misses;
    return {s_.translations, m};
  }
  // t: the index of the next translation after the batch.
  void end(const Tally &n, uint64_t t) {
    uint64_t m = 0;
    for (const TlbLevelStats &b : s_.l1_by_size) m += b.misses;
    const uint64_t hits = (t - n.t0) - (m - n.misses0);
    s_.translations = t;
    if (tlb_.size_count() == 1) {
      s_.l1_by_size[index_of(tlb_.size(0))].hits += hits;
    } else {
      uint64_t sum = 0;
      for (int i = 0; i < kPageSizeCount; ++i) {
        s_.l1_by_size[i].hits += size_hits_[i];
        sum += size_hits_[i];
        size_hits_[i] = 0;
      }
      HPMM_CHECK(sum == hits, "mmu: L1 hits by size do not add up");
    }
  }

  // --verify: the batch loop with every touched 4 KiB chunk stamped (writes) or checked (reads);
  // counts as run_batch does.  Stops at the first mismatch (error() names it).
  [[gnu::noinline]] void run_batch_verify(std::span<const Access> batch) {
    const Tally n = begin();
    uint64_t t = n.t0;
    for (const Access &a : batch) {
      if (!verify_error_.empty()) break;
      switch (a.kind) {
        case AccessKind::kLoad:
          ++s_.reads;
          verified_range(a.addr, a.size, false, t);
          break;
        case AccessKind::kStore:
          ++s_.writes;
          verified_range(a.addr, a.size, true, t);
          break;
        case AccessKind::kModify:
          ++s_.reads;
          ++s_.writes;
          verified_range(a.addr, a.size, false, t);
          verified_range(a.addr, a.size, true, t);
          break;
        case AccessKind::kIfetch:
          if (ifetch_) {
            ++s_.ifetches;
            verified_range(a.addr, a.size, false, t);
          }
          break;
      }
    }
    end(n, t);
    settle_all();
  }

  // One translation per page of [addr, addr + size), as range(); then each 4 KiB chunk of the
  // access in that page is stamped or checked.
  void verified_range(uint64_t addr, uint64_t size, bool write, uint64_t &t) {
    if constexpr (kData) {
      addr &= va_mask_;
      const uint64_t end = size > va_mask_ + 1 - addr ? va_mask_ + 1 : addr + (size ? size : 1);
      Hot h = hot_in();  // translate's registers; written back before every return
      for (;;) {
        const Xlat x = translate(addr, write, t, h);
        const uint64_t pb = bytes_of(x.size).value;
        const uint64_t stop = std::min(end, (addr | (pb - 1)) + 1);
        FramePool<PR, SW> &pool = *pool_[index_of(x.size)];
        for (uint64_t c = addr >> 12; c <= (stop - 1) >> 12; ++c) {
          std::byte *mem = pool.data(x.frame, (c << 12) & (pb - 1), VerifyStamps::kChunk);
          if (write) {
            stamps_.stamp(c, mem);
          } else if (std::string bad = stamps_.check_header(c, mem); !bad.empty()) {
            hot_out(h);
            verify_failed(c, "a read", bad);
            return;
          } else {
            ++s_.verified_reads;
          }
        }
        if (stop >= end) break;
        addr = stop;
      }
      hot_out(h);
    }
  }

  // After a major fault brought the page [base, base + page) into frame: every chunk, every byte.
  void verify_page(uint64_t base, PageSize size, uint32_t frame) {
    if constexpr (kData) {
      FramePool<PR, SW> &pool = *pool_[index_of(size)];
      const uint64_t pb = bytes_of(size).value;
      for (uint64_t off = 0; off < pb; off += VerifyStamps::kChunk) {
        const std::string bad =
            stamps_.check_chunk((base + off) >> 12, pool.data(frame, off, VerifyStamps::kChunk));
        if (!bad.empty()) return verify_failed((base + off) >> 12, "a major fault", bad);
      }
      ++s_.verified_pages;
    }
  }

  void verify_failed(uint64_t chunk, const char *what, const std::string &bad) {
    if (!verify_error_.empty()) return;
    char buf[128];
    std::snprintf(buf, sizeof buf, "verify: access %llu, %s of 0x%llx: ",
                  static_cast<unsigned long long>(s_.reads + s_.writes + s_.ifetches), what,
                  static_cast<unsigned long long>(chunk << 12));
    verify_error_ = buf + bad;
  }

  // Modify and ifetch: off the hot path.
  [[gnu::noinline]] uint64_t other_access(const Access &a, uint64_t t) {
    Hot h = hot_in();
    if (a.kind == AccessKind::kModify) {
      ++s_.reads;
      ++s_.writes;
      range(a.addr, a.size, false, t, h);
      range(a.addr, a.size, true, t, h);
    } else if (a.kind == AccessKind::kIfetch && ifetch_) {
      ++s_.ifetches;
      range(a.addr, a.size, false, t, h);
    }
    hot_out(h);
    return t;
  }

  // One translation per page of [addr, addr + size).
  // t: the next translation's index, advanced by one per translation.
  HPMM_INLINE void range(uint64_t addr, uint64_t size, bool write, uint64_t &t, Hot &h) {
    addr &= h.va_mask;
    if (HPMM_LIKELY((addr & 4095) + size <= 4096)) {
      translate(addr, write, t, h);
    } else {
      hot_out(h);
      t = range_pages(addr, size, write, t);
      h = hot_in();
    }
  }
  // An access that crosses a 4 KiB boundary (it may still lie in one large page).
  [[gnu::noinline]] uint64_t range_pages(uint64_t addr, uint64_t size, bool write, uint64_t t) {
    const uint64_t end = size > va_mask_ + 1 - addr ? va_mask_ + 1 : addr + size;
    Hot h = hot_in();
    for (;;) {
      const Xlat x = translate(addr, write, t, h);
      addr = (addr | (bytes_of(x.size).value - 1)) + 1;
      if (addr >= end) break;
    }
    hot_out(h);
    return t;
  }

  // Data mode: moves n bytes from in to [addr, addr + n) (kWrite) or from there to out, page by
  // page.  n == 0 moves nothing and translates nothing.
  template <bool kWrite>
  void copy(uint64_t addr, std::byte *out, const std::byte *in, uint64_t n) {
    addr &= va_mask_;
    const Tally tally = begin();
    uint64_t t = tally.t0;
    Hot h = hot_in();
    while (n > 0) {
      const Xlat x = translate(addr, kWrite, t, h);
      const uint64_t pb = bytes_of(x.size).value, off = addr & (pb - 1);
      const uint64_t k = std::min(n, pb - off);
      std::byte *mem = pool_[index_of(x.size)]->data(x.frame, off, k);
      if constexpr (kWrite) {
        std::memcpy(mem, in, k);
        in += k;
      } else {
        std::memcpy(out, mem, k);
        out += k;
      }
      n -= k;
      addr = (addr + k) & va_mask_;
    }
    hot_out(h);
    end(tally, t);
    settle_all();
  }

  HPMM_INLINE Xlat translate(uint64_t va, bool write, uint64_t &next_t, Hot &h) {
    const uint64_t t = next_t++;
    PageSize size;
    uint32_t *d;
    if ((va >> 12) == h.memo_page) {
      size = static_cast<PageSize>(h.memo_ref & 3);
      d = memo_entry(h.memo_ref);
    } else {
      d = tlb_.probe_l1(va, &size);
      if (HPMM_UNLIKELY(d == nullptr)) {
        hot_out(h);
        const Xlat x = miss(va, write, t);
        h = hot_in();
        return x;
      }
      h.memo_page = va >> 12;
      h.memo_ref = reinterpret_cast<uintptr_t>(d) | index_of(size);
    }
    if (multi_size_) ++size_hits_[index_of(size)];
    return hit(*d, size, write, t);
  }

  // A translation served by a TLB entry whose data is d.
  HPMM_INLINE Xlat hit(uint32_t &d, PageSize size, bool write, uint64_t t) {
    const uint32_t frame = d >> 1;
    if (HPMM_UNLIKELY(write & !(d & 1))) {
      d |= 1;
      pool_[index_of(size)]->mark_dirty(frame);
    }
    if (touch_every_) pool_[index_of(size)]->table().touch(frame, t);
    return {frame, size};
  }

  HPMM_INLINE void remember(uint64_t va, PageSize size, uint32_t *d) {
    memo_page_ = va >> 12;
    memo_ref_ = reinterpret_cast<uintptr_t>(d) | index_of(size);
  }
  // The L1 data word a memo reference names.
  HPMM_INLINE static uint32_t *memo_entry(uint64_t ref) {
    return reinterpret_cast<uint32_t *>(static_cast<uintptr_t>(ref & ~uint64_t{3}));
  }

  // An L1 miss.  The usual machine (TlbHierarchy::one_line(): one 4 KiB size, the L1 of the usual
  // shape) takes miss_path<true>, in which the size, the pool, the page's offset mask and the TLB's
  // fill path are constants; any other machine miss_path<false>.  The same counts either way.
  [[gnu::noinline]] Xlat miss(uint64_t va, bool write, uint64_t t) {
    if (HPMM_LIKELY(tlb_.one_line())) return miss_path<true>(va, write, t);
    return miss_general(va, write, t);
  }
  [[gnu::noinline]] Xlat miss_general(uint64_t va, bool write, uint64_t t) {
    return miss_path<false>(va, write, t);
  }

  template <bool kLine>
  HPMM_INLINE Xlat miss_path(uint64_t va, bool write, uint64_t t) {
    PageSize size;
    if (tlb_.has_l2()) {
      uint32_t *d = tlb_.template probe_l2_fill_l1<kLine>(va, &size);
      if (d != nullptr) {
        ++s_.l1_by_size[index_of(size)].misses;
        ++s_.l2.hits;
        remember(va, size, d);
        return hit(*d, size, write, t);
      }
      ++s_.l2.misses;
    }
    return walk<kLine>(va, write, t);
  }

  template <bool kLine>
  HPMM_INLINE Xlat walk(uint64_t va, bool write, uint64_t t) {
    // One size in use: every address has it (no region lookup), and its offset mask is kept;
    // kLine: that size is 4 KiB.
    const PageSize size = kLine         ? PageSize::k4K
                          : multi_size_ ? regions_.size_at(VirtAddr(va))
                                        : size0_;
    const uint64_t base = va & ~(kLine         ? uint64_t{4095}
                                 : multi_size_ ? bytes_of(size).value - 1
                                               : offset0_);
    ++s_.l1_by_size[index_of(size)].misses;
    ++s_.walks;
    const WalkCaches::Walk w = pwc_.walk(VirtAddr(base), size);
    s_.walk_refs += w.refs;
    if (w.hit >= 0) ++s_.pwc_hits[w.hit];

    FramePool<PR, SW> &pool = *pool_[index_of(size)];
    Pte *pte = leaf_pte(base, size);
    pool.settle(pte);
    uint32_t frame;
    if (pte->present()) {
      frame = static_cast<uint32_t>(pte->pfn(size).value);
      pool.table().touch(frame, t);  // a walk references the page in both RefBits modes
    } else {
      const auto in = pool.fault_in(base >> 12, pte, t);
      ++(in.major ? s_.faults_major : s_.faults_minor);
      if constexpr (kData) {
        if (verify_ && in.major && !pool.io_failed()) verify_page(base, size, in.frame);
      }
      if (in.evicted) {
        ++s_.evictions;
        s_.writebacks += in.wrote_back;
        s_.shootdowns += shootdown(in.victim_key << 12, size, in.frame);
      }
      frame = in.frame;
    }
    pte->set_accessed(true);
    if (write) pool.mark_dirty(frame, pte);
    uint32_t *d =
        tlb_.template fill_from_walk<kLine>(base, size, frame << 1 | uint32_t{pte->dirty()});
    remember(va, size, d);
    return {frame, size};
  }

  // The PTE of the page at base, creating page-table nodes: for a 4 KiB page from the level-1
  // node a walk found before (leaf_nodes_), else by a descent from the root.
  HPMM_INLINE Pte *leaf_pte(uint64_t base, PageSize size) {
    if (size != PageSize::k4K) {
      Pte *pte = pt_.leaf_slot(canonical(base), size, true);
      HPMM_CHECK(pte != nullptr, "page table: out of memory for a node");
      return pte;
    }
    LeafNode &l = leaf_nodes_[(base >> 21) % kLeafNodes];
    if (l.tag == base >> 21) return l.first + ((base >> 12) & 511);
    Pte *pte = pt_.leaf_slot(canonical(base), size, true);
    HPMM_CHECK(pte != nullptr, "page table: out of memory for a node");
    l.tag = base >> 21;
    l.first = pte - ((base >> 12) & 511);
    return pte;
  }

  // A hint for the walks ahead of a miss-heavy batch: fetch the PTE of a 4 KiB page whose
  // page-table node a walk has seen.  It changes no state but the host's caches.
  HPMM_INLINE void prefetch_pte(uint64_t addr) const {
    prefetch_leaf(leaf_nodes_.data(), addr & va_mask_);
  }
  // prefetch_pte of va (masked) with leaf_nodes_' array in hand (a batch loop's local).
  struct LeafNode;
  HPMM_INLINE static void prefetch_leaf(const LeafNode *nodes, uint64_t va) {
    const uint64_t k = va >> 21;
    const LeafNode &l = nodes[k % kLeafNodes];
    if (l.tag == k) __builtin_prefetch(l.first + ((va >> 12) & 511), 1);
  }

  void settle_all() {
    for (auto &p : pool_)
      if (p) p->settle_all();
  }

  // The page table takes canonical addresses: sign-extend from the top address bit.
  VirtAddr canonical(uint64_t va) const {
    const unsigned u = static_cast<unsigned>(std::countl_zero(va_mask_));
    return VirtAddr(static_cast<uint64_t>(static_cast<int64_t>(va << u) >> u));
  }

  // The page at base, of size size, was evicted from frame.
  // The memo names an L1 entry of its page, so only a page that some level held can be the memo's.
  uint32_t shootdown(uint64_t base, PageSize size, uint32_t frame) {
    const uint32_t n = tlb_.shootdown(base, size, frame);
    const bool memo = (memo_page_ << 12 & ~(bytes_of(size).value - 1)) == base;
    HPMM_ASSERT(n != 0 || !memo);
    if (n != 0 && memo) memo_page_ = kNoMemo;
    return n;
  }

  // Memo of the last translation (see the file comment): the 4 KiB page number of its address
  // (kNoMemo: none; no 4 KiB page number is that large) and its L1 entry: the address of its data
  // word (4-byte aligned) | the size's index.
  static constexpr uint64_t kNoMemo = ~uint64_t{0};
  uint64_t memo_page_ = kNoMemo;
  uint64_t memo_ref_ = 0;

  SimStats s_;
  uint64_t size_hits_[kPageSizeCount] = {};  // L1 hits per size in this batch (several sizes)
  const bool ifetch_;
  const bool verify_;
  const bool touch_every_;
  bool multi_size_;
  PageSize size0_;    // tlb_.size(0), the one size of a machine with one (walk)
  uint64_t offset0_;  // bytes_of(size0_) - 1
  const uint64_t va_mask_;
  RegionMap regions_;
  TlbHierarchy<TR> tlb_;
  WalkCaches pwc_;
  PageTable pt_;
  std::optional<FramePool<PR, SW>> pool_[kPageSizeCount];
  std::vector<uint64_t> future_;  // OPT's next-use array (the policies hold spans of it)
  VerifyStamps stamps_;           // --verify
  std::string verify_error_;      // the first --verify mismatch

  // Where walks found level-1 page-table nodes, direct-mapped by va >> 21: a walk of a 4 KiB page
  // takes its PTE from here without a descent from the root (leaf_pte), and a miss-heavy batch
  // prefetches PTEs from here (prefetch_pte).  An entry never goes stale: page-table nodes are
  // never freed while the MMU lives (it never unmaps), and a 2 MiB region of 4 KiB pages never
  // becomes a huge leaf (region sizes are fixed by the configuration).
  static constexpr size_t kAhead = 8;  // accesses prefetched ahead
  static constexpr uint64_t kLeafNodes = 4096;
  struct LeafNode {
    uint64_t tag = ~uint64_t{0};
    Pte *first = nullptr;  // the node's entry 0
  };
  std::vector<LeafNode> leaf_nodes_ = std::vector<LeafNode>(kLeafNodes);
  bool prefetch_ = false;
};

}  // namespace hpmm::sim
