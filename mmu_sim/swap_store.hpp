// mmu_sim/swap_store.hpp: where evicted pages go.  One interface (the concept SwapStore) with
// three implementations: MemorySwap keeps the bytes (SimConfig::data on: data survives eviction),
// CountingSwap keeps only slot numbers (trace replay: nothing to copy), and FileSwap
// (swap_file.hpp) writes them to a file through io_uring.  A store that can fail (FileSwap) says
// why in error(); write()/read() return false from then on, and drain() waits for writes still
// in flight.
//
// A slot holds one page of the store's page size.  Invariants (valid()):
//   slots_in_use() + free slots == high water;   every free slot is < high water and listed once;
//   MemorySwap: a slot that was written reads back the last bytes written to it; a slot that was
//   allocated but never written reads as zeros.
// Not thread-safe: owned by one MMU.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "base/check.hpp"

namespace hpmm::sim {

inline constexpr uint64_t kNoSlot = ~uint64_t{0};

template <class S>
concept SwapStore = requires(S s, const S cs, uint64_t slot, std::span<const std::byte> in,
                             std::span<std::byte> out) {
  { S::kKeepsData } -> std::convertible_to<bool>;  // read() returns what write() stored
  { s.allocate() } -> std::same_as<uint64_t>;      // a free slot, or kNoSlot when full
  s.free(slot);
  { s.write(slot, in) } -> std::same_as<bool>;  // in.size() == page bytes; false on I/O error
  { s.read(slot, out) } -> std::same_as<bool>;  // out.size() == page bytes
  { s.drain() } -> std::same_as<bool>;          // every write done; false on an I/O error
  { cs.error() } -> std::convertible_to<std::string_view>;  // "" unless an operation failed
  { cs.slots_in_use() } -> std::same_as<uint64_t>;
  { cs.valid() } -> std::same_as<bool>;
};

// Slot numbers: a free list over [0, high water), reused last-freed first.
class SlotAllocator {
 public:
  explicit SlotAllocator(uint64_t max_slots) : max_(max_slots) {}
  uint64_t allocate() {
    if (!free_.empty()) {
      uint64_t s = free_.back();
      free_.pop_back();
      return s;
    }
    return high_ < max_ ? high_++ : kNoSlot;
  }
  void free(uint64_t slot) {
    HPMM_CHECK(slot < high_, "swap: freeing a slot that was never allocated");
    free_.push_back(slot);
  }
  uint64_t in_use() const { return high_ - free_.size(); }
  uint64_t high_water() const { return high_; }
  bool valid() const {
    std::vector<bool> seen(high_, false);
    for (uint64_t s : free_) {
      if (s >= high_ || seen[s]) return false;
      seen[s] = true;
    }
    return high_ <= max_;
  }

 private:
  uint64_t max_;
  uint64_t high_ = 0;
  std::vector<uint64_t> free_;
};

// Counts slots; moves no bytes.
class CountingSwap {
 public:
  static constexpr bool kKeepsData = false;
  CountingSwap(uint64_t page_bytes, uint64_t max_slots)
      : page_bytes_(page_bytes), slots_(max_slots) {}
  uint64_t allocate() { return slots_.allocate(); }
  void free(uint64_t slot) { slots_.free(slot); }
  bool write(uint64_t slot, std::span<const std::byte> in) {
    return slot < slots_.high_water() && in.size() == page_bytes_;
  }
  bool read(uint64_t slot, std::span<std::byte> out) {
    return slot < slots_.high_water() && out.size() == page_bytes_;
  }
  bool drain() { return true; }
  std::string_view error() const { return {}; }
  uint64_t slots_in_use() const { return slots_.in_use(); }
  bool valid() const { return slots_.valid(); }

 private:
  uint64_t page_bytes_;
  SlotAllocator slots_;
};

// Keeps each written slot's bytes in memory.  A slot's buffer is allocated on its first write and
// kept for reuse when the slot is freed, so steady-state write-backs do not allocate.
class MemorySwap {
 public:
  static constexpr bool kKeepsData = true;
  MemorySwap(uint64_t page_bytes, uint64_t max_slots)
      : page_bytes_(page_bytes), slots_(max_slots) {}
  uint64_t allocate() {
    uint64_t s = slots_.allocate();
    if (s != kNoSlot && s >= buf_.size()) buf_.resize(s + 1);
    if (s != kNoSlot && buf_[s]) std::memset(buf_[s].get(), 0, page_bytes_);  // reads as zeros
    return s;
  }
  void free(uint64_t slot) { slots_.free(slot); }
  bool write(uint64_t slot, std::span<const std::byte> in) {
    if (slot >= buf_.size() || in.size() != page_bytes_) return false;
    if (!buf_[slot]) buf_[slot] = std::make_unique_for_overwrite<std::byte[]>(page_bytes_);
    std::memcpy(buf_[slot].get(), in.data(), page_bytes_);
    return true;
  }
  bool read(uint64_t slot, std::span<std::byte> out) {
    if (slot >= buf_.size() || out.size() != page_bytes_) return false;
    if (buf_[slot])
      std::memcpy(out.data(), buf_[slot].get(), page_bytes_);
    else
      std::memset(out.data(), 0, page_bytes_);
    return true;
  }
  bool drain() { return true; }
  std::string_view error() const { return {}; }
  uint64_t slots_in_use() const { return slots_.in_use(); }
  bool valid() const { return slots_.valid() && buf_.size() >= slots_.high_water(); }

 private:
  uint64_t page_bytes_;
  SlotAllocator slots_;
  std::vector<std::unique_ptr<std::byte[]>> buf_;  // index slot; null until first written
};

static_assert(SwapStore<CountingSwap>);
static_assert(SwapStore<MemorySwap>);

}  // namespace hpmm::sim
