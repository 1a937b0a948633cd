// mmu_sim/swap_file.hpp: FileSwap, the SwapStore that keeps evicted pages in a real file, moved
// by pal/'s IoQueue (io_uring, or pread/pwrite).  Slot s lives at byte s * page_bytes.
//
// Write-back is asynchronous: write() copies the page into one of K staging buffers and queues
// its write; queued writes are submitted in batches (kBatch, or when a read is submitted, or when
// a buffer is needed), writes to consecutive slots as one vectored write (pwritev); completions are
// reaped whenever the store is used.  An eviction waits only when every buffer is busy, or when its
// slot's previous write is still in flight (two writes to one offset in flight at once could land
// in either order).  Pages larger than 4 MiB (1 GiB) get no staging buffers: their writes go
// straight from the frame and are waited for.  With O_DIRECT every buffer the kernel sees is
// 4096-aligned (staging, cache, frames; a read into an unaligned caller's buffer goes through a
// bounce page).
// read() serves, in order: a slot not written since it was allocated (zeros); a slot with a
// staged write (its buffer: never stale data); a slot read ahead (waiting for that read if
// needed); else the file, and a read of the file also reads ahead up to `readahead` following
// slots that hold data, into a cache of 2 * readahead buffers.
// Every completion is checked: an error or a short transfer (a short write is first completed
// synchronously, so the error names the kernel's reason) sets error(), naming the file, slot,
// offset and errno; after it write() and read() return false and the MMU stops the run (no
// silent loss).  drain() waits for every write (end of a run).
//
// Invariants (valid()):
//   slots_in_use() + free slots == slots_high_water();
//   every staging buffer is free (in free_bufs_ once) or holds one slot's write (kQueued: in
//   queued_bufs_, not submitted; kInFlight: submitted), and no two hold the same slot;
//   written_[s] => s is allocated and its last write() is in a staging buffer or the file;
//   a cache entry holds slot s only while written_[s] and s has no staged write;
//   io.queued() + io.in_flight() <= io.depth().
// Not thread-safe: owned by one MMU's frame pool.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/units.hpp"
#include "mmu_sim/config.hpp"
#include "mmu_sim/latency_histogram.hpp"
#include "mmu_sim/stats.hpp"
#include "mmu_sim/swap_store.hpp"
#include "pal/block_file.hpp"
#include "pal/uring_queue.hpp"

namespace hpmm::sim {

struct SwapFileOptions {
  std::string path;
  bool keep = false;
  bool direct = false;
  uint32_t readahead = 0;
  pal::IoMode io = pal::IoMode::kAuto;
};

// The options of the pool of page size s: path for the default page size, path + ".2m" / ".1g"
// for the others.
SwapFileOptions swap_file_options(const SimConfig &c, PageSize s);

class FileSwap {
 public:
  static constexpr bool kKeepsData = true;
  static constexpr uint32_t kBatch = 32;                    // writes per submission
  static constexpr uint64_t kStagingBytes = 1 << 20;        // write-back buffers, in all
  static constexpr uint64_t kMaxStagedPage = 4 << 20;       // larger pages: no staging
  static constexpr uint64_t kReadaheadBytes = 16ull << 20;  // readahead cache at most

  // Creates the file and the queue; on failure error() says why and every operation fails.
  FileSwap(uint64_t page_bytes, uint64_t max_slots, const SwapFileOptions &o);
  ~FileSwap();
  FileSwap(FileSwap &&) = default;
  FileSwap &operator=(FileSwap &&) = delete;

  uint64_t allocate() { return slots_.allocate(); }
  void free(uint64_t slot);
  bool write(uint64_t slot, std::span<const std::byte> in);
  bool read(uint64_t slot, std::span<std::byte> out);
  // Submits and waits for every request; false if any failed (error() says which).
  bool drain();

  uint64_t slots_in_use() const { return slots_.in_use(); }
  // "" while every operation succeeded.
  const std::string &error() const { return error_; }
  // "hpmm.swap: io_uring, O_DIRECT, readahead 4, 256 write-back buffers" (+ notes).
  std::string describe() const;
  SwapIoStats io_stats() const;
  bool valid() const;

 private:
  enum class BufState : uint8_t { kFree, kQueued, kInFlight, kReady };
  struct Buf {
    std::byte *mem = nullptr;
    uint64_t slot = kNoSlot;  // kNoSlot with kInFlight: a readahead whose slot was dropped
    BufState state = BufState::kFree;
    uint64_t submitted_ns = 0;
  };
  enum Kind : uint64_t { kWrite = 0, kDemandRead = 1, kReadahead = 2, kDirectWrite = 3 };
  static uint64_t tag(Kind k, uint64_t i) { return uint64_t{k} << 32 | i; }

  bool fail(std::string what);
  bool submit();
  // Reaps completions; wait: block until at least one arrives.  false on a failure.
  bool poll(bool wait);
  void complete(const pal::IoCompletion &c);
  int staged(uint64_t slot) const;  // staging buffer holding slot's write, or -1
  int cached(uint64_t slot) const;  // readahead entry holding slot, or -1
  void uncache(uint64_t slot);
  void read_ahead(uint64_t slot);
  bool write_direct(uint64_t slot, std::span<const std::byte> in);
  struct Group;
  int64_t finish_short_write(Group &g, uint64_t first_slot, uint64_t done);
  std::string where(uint64_t slot) const;

  uint64_t page_bytes_;
  SlotAllocator slots_;
  std::string path_;
  uint32_t readahead_;
  pal::BlockFile file_;
  std::unique_ptr<pal::IoQueue> io_;
  std::string error_;
  bool failed_ = false;

  struct FreeDeleter {
    void operator()(std::byte *p) const;
  };
  std::unique_ptr<std::byte, FreeDeleter> arena_;  // staging then readahead buffers, aligned
  std::vector<Buf> stage_;                         // write-back buffers
  std::vector<uint32_t> free_bufs_;                // free staging buffers
  std::vector<uint32_t> queued_bufs_;              // kQueued staging buffers, in queue order
  std::vector<Buf> cache_;                         // readahead entries (kFree/kInFlight/kReady)
  std::byte *bounce_ = nullptr;                    // O_DIRECT reads into unaligned buffers
  // A vectored write of consecutive slots, indexed by its first staging buffer (its tag).
  struct Group {
    std::vector<uint32_t> members;  // staging buffers, slots leader.slot + 0, 1, ...
    std::vector<iovec> iov;         // their memory, valid until the completion
  };
  std::vector<Group> groups_;
  uint32_t cache_next_ = 0;       // round-robin victim
  std::vector<uint8_t> written_;  // per slot: holds a page written since alloc
  bool demand_done_ = false;
  int64_t demand_res_ = 0;
  bool direct_done_ = false;
  int64_t direct_res_ = 0;

  SwapIoStats st_;
  LatencyHistogram fault_ns_, writeback_ns_, write_io_ns_;
};

static_assert(SwapStore<FileSwap>);

}  // namespace hpmm::sim
