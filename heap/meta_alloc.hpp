// heap/meta_alloc.hpp: memory for the heap's own metadata (spans, hugepage records, thread
// caches), kept off the object pages and never taken from malloc.
//
// Blocks are multiples of kQuantum (64 bytes, one cache line, so two spans never share a line),
// up to kMaxSmall; each size has a free list threaded through freed blocks.  Fresh blocks are
// carved from chunks of kChunk bytes mapped with Os::map_meta; larger requests are mapped
// directly.  Metadata is never given back to the OS (it is small: about 1-3% of the heap).
// Invariants: bump_ <= end_; every block on free_[k] is (k + 1) * kQuantum bytes and was carved
// here.  Not synchronised: the owner (the page heap) holds its lock around every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/bits.hpp"
#include "heap/os_source.hpp"

namespace hpmm {

template <HeapOs Os>
class MetaAlloc {
 public:
  static constexpr size_t kQuantum = 64;
  static constexpr size_t kMaxSmall = 4096;
  static constexpr size_t kChunk = 1 << 20;

  explicit MetaAlloc(Os *os) : os_(os) {}

  // Zeroed block of at least `bytes`, aligned to 64; nullptr when the OS refuses memory.
  void *alloc(size_t bytes) {
    size_t n = align_up(bytes == 0 ? 1 : bytes, kQuantum);
    if (n > kMaxSmall) {
      void *p = os_->map_meta(align_up(n, 4096));
      if (p != nullptr) mapped_ += align_up(n, 4096);
      return p;
    }
    size_t k = n / kQuantum - 1;
    if (free_[k] != nullptr) {
      Free *f = free_[k];
      free_[k] = f->next;
      std::memset(static_cast<void *>(f), 0, n);
      in_use_ += n;
      return f;
    }
    if (end_ - bump_ < n) {
      void *c = os_->map_meta(kChunk);
      if (c == nullptr) return nullptr;
      mapped_ += kChunk;
      bump_ = reinterpret_cast<uintptr_t>(c);
      end_ = bump_ + kChunk;
    }
    void *p = reinterpret_cast<void *>(bump_);
    bump_ += n;
    in_use_ += n;
    return p;  // fresh mapped memory is zero
  }

  // Gives back a block alloc(bytes) returned (small blocks only; big ones stay mapped).
  void free(void *p, size_t bytes) {
    size_t n = align_up(bytes == 0 ? 1 : bytes, kQuantum);
    if (p == nullptr || n > kMaxSmall) return;
    size_t k = n / kQuantum - 1;
    Free *f = static_cast<Free *>(p);
    f->next = free_[k];
    free_[k] = f;
    in_use_ -= n;
  }

  uint64_t mapped_bytes() const { return mapped_; }
  uint64_t in_use_bytes() const { return in_use_; }

 private:
  struct Free {
    Free *next;
  };
  Os *os_;
  uintptr_t bump_ = 0;
  uintptr_t end_ = 0;
  uint64_t mapped_ = 0;
  uint64_t in_use_ = 0;
  Free *free_[kMaxSmall / kQuantum] = {};
};

}  // namespace hpmm
