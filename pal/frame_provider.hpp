// pal/frame_provider.hpp: the simulator's pool of real frame memory, reserved once.
//
// reserve() maps one range of `size` bytes with the backing asked for, falling back along
// hugetlb -> THP -> plain unless `strict`, and says why it got what it got:
//   kHugetlb  MAP_HUGETLB | MAP_HUGE_2MB/1GB from the kernel's pool, tried only when the pool has
//             enough available pages (free - reserved + overcommit room); ENOMEM at mmap (the
//             pool raced away) falls back too.
//   kThp      over-map by 2 MiB, trim to a 2 MiB-aligned range, madvise(MADV_HUGEPAGE); tried
//             unless the effective PMD THP mode is never or unsupported.  THP has 2 MiB pages
//             only, whatever huge_page says.
//   kPlain    anonymous mmap with MADV_NOHUGEPAGE, so that "plain" means 4 KiB pages even when
//             THP is "always".
// kAuto is kHugetlb without strict.  THP and plain mappings are charged to the commit limit (no
// MAP_NORESERVE), so a size the machine cannot hold fails at reserve time, not at first touch.
// With `prefault` every page is populated now (MADV_POPULATE_WRITE, else touching each page), so
// that no page fault of the pool lands inside a measured region.
//
// The split of what was obtained is measured, not assumed: hugetlb_bytes is the mapping size of a
// hugetlb pool; for THP and plain, thp_bytes is huge_mapped_bytes() of the range after prefault
// (or after measure()), and plain_bytes the rest.
//
// Invariants (valid()):
//   ok()  => hugetlb_bytes + thp_bytes + plain_bytes == size,  size % bytes_of(page_size) == 0,
//            base % bytes_of(page_size) == 0,  backing != kAuto,
//            backing == kHugetlb <=> hugetlb_bytes == size,  !reason.empty()
//   !ok() => base == nullptr, size == 0, error != 0, !reason.empty()  (or all zero: default or
//            released)
// Not thread-safe: one owner; move-only, released by the destructor.  reserve() leaves errno as it
// found it; the error is in the result.
#pragma once

#include <cstdint>

#include "base/units.hpp"
#include "pal/fixed_text.hpp"
#include "pal/hugepage_info.hpp"

namespace hpmm::pal {

enum class Backing : uint8_t { kAuto, kHugetlb, kThp, kPlain };
const char *name_of(Backing b);  // "auto", "hugetlb", "thp", "plain"

struct ReserveOptions {
  Backing backing = Backing::kAuto;
  PageSize huge_page = PageSize::k2M;  // hugetlb page size: k2M or k1G
  bool prefault = false;
  bool strict = false;  // fail instead of falling back; needs a backing other than kAuto
};

using Reason = FixedText<512>;
using Description = FixedText<128>;

class FrameReservation {
 public:
  FrameReservation() = default;
  ~FrameReservation() { release(); }
  FrameReservation(FrameReservation &&other) noexcept;
  FrameReservation &operator=(FrameReservation &&other) noexcept;
  FrameReservation(const FrameReservation &) = delete;
  FrameReservation &operator=(const FrameReservation &) = delete;

  bool ok() const { return base_ != nullptr; }
  void *base() const { return base_; }
  Bytes size() const { return size_; }  // the size asked for, rounded up to page_size()
  Backing backing() const { return backing_; }
  // The page the backing maps with: the hugetlb page, 2 MiB for THP, the base page for plain.
  PageSize page_size() const { return page_size_; }
  Bytes hugetlb_bytes() const { return hugetlb_bytes_; }
  Bytes thp_bytes() const { return thp_bytes_; }
  Bytes plain_bytes() const { return plain_bytes_; }
  bool populated() const { return populated_; }  // prefaulted, or measured after use
  int error() const { return error_; }           // errno value when !ok()
  const char *reason() const { return reason_.c_str(); }

  // "hugetlb 2MB: 128 MiB", "thp: 126 MiB on hugepages, 2 MiB plain", "plain: 64 MiB".
  Description describe() const;
  // Re-reads the THP/plain split (after the caller has touched the pool).  0 or errno value.
  int measure();
  // Unmaps; afterwards ok() is false.  Safe to call twice.
  void release();
  bool valid() const;

 private:
  friend FrameReservation reserve(Bytes size, const ReserveOptions &opts, const HugePageInfo &info);

  void *base_ = nullptr;
  Bytes size_;
  Backing backing_ = Backing::kAuto;
  PageSize page_size_ = PageSize::k4K;
  Bytes hugetlb_bytes_;
  Bytes thp_bytes_;
  Bytes plain_bytes_;
  bool populated_ = false;
  int error_ = 0;
  Reason reason_;
};

// Discovers the machine with discover_raw() and reserves.  hpmm-sim may pass its own discovery
// (discover_with_libhugetlbfs()) to the second form; tests pass made-up machines.
FrameReservation reserve(Bytes size, const ReserveOptions &opts);
FrameReservation reserve(Bytes size, const ReserveOptions &opts, const HugePageInfo &info);

}  // namespace hpmm::pal
