// pal/frame_provider.cc: reserving the simulator's frame pool (see frame_provider.hpp).
#include "pal/frame_provider.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <utility>

#include "base/bits.hpp"
#include "pal/errno_guard.hpp"
#include "pal/os_memory.hpp"

namespace hpmm::pal {
namespace {

// What one link of the fallback chain mapped.  Each try_* function appends to the reason what it
// found, fills an Attempt and returns 0, or returns the errno value of its failure.
struct Attempt {
  void *base = nullptr;
  Bytes size;
  PageSize page = PageSize::k4K;
};

void append_failure(Reason *r, const char *what, Bytes size, int err) {
  r->append(what).append(" of ").append_bytes(size).append(" failed: ").append(errno_name(err));
}

int try_hugetlb(Bytes want, const ReserveOptions &opts, const HugePageInfo &info, Reason *r,
                Attempt *out) {
  const Bytes hp = bytes_of(opts.huge_page);
  r->append("hugetlb ").append_page_size(hp);
  const HugetlbPool *pool = info.pool(hp);
  if (pool == nullptr) {
    r->append(": no pool of that size on this kernel");
    return EINVAL;
  }
  const uint64_t need = align_up(want.value, hp.value) / hp.value;
  const uint64_t have = pool->available();
  if (have < need) {
    r->append(" pool has ").append_u64(have).append(" free pages, need ").append_u64(need);
    if (pool->resv != 0) r->append(" (").append_u64(pool->resv).append(" free ones reserved)");
    return ENOMEM;
  }
  const Bytes size = hp * need;
  MapResult m = map_hugetlb(size, opts.huge_page, hp, /*prefault=*/false);
  if (!m.ok()) {
    r->append(": ");
    append_failure(r, "mmap(MAP_HUGETLB)", size, m.error);
    if (m.error == ENOMEM) {
      r->append(" (the pool shrank since it showed ").append_u64(have).append(" available)");
    }
    return m.error;
  }
  r->append(": ").append_u64(need).append(" pages from the pool");
  out->base = m.ptr;
  out->size = size;
  out->page = opts.huge_page;
  return 0;
}

// Maps, charged to the commit limit, `size` bytes aligned to `align`, and applies `advice`.
int map_with_advice(Bytes size, Bytes align, int advice, const char *advice_name, Reason *r,
                    Attempt *out, PageSize page) {
  MapResult m = detail::map_aligned(size, align, Access::kReadWrite, /*noreserve=*/false);
  if (!m.ok()) {
    append_failure(r, "mmap", size, m.error);
    return m.error;
  }
  const int err = ::madvise(m.ptr, size.value, advice) == 0 ? 0 : errno;
  if (err != 0) {
    unmap(m.ptr, size);
    append_failure(r, advice_name, size, err);
    return err;
  }
  out->base = m.ptr;
  out->size = size;
  out->page = page;
  return 0;
}

int try_thp(Bytes want, const ReserveOptions &opts, const HugePageInfo &info, Reason *r,
            Attempt *out) {
  const ThpMode mode = info.thp_pmd_enabled;
  r->append("THP ").append(name_of(mode));
  if (mode == ThpMode::kUnsupported || mode == ThpMode::kNever) {
    r->append(": no transparent huge pages");
    return EINVAL;
  }
  r->append(": ");
  if (opts.huge_page != PageSize::k2M) r->append("THP has 2MB pages only; ");
  const Bytes hp = bytes_of(PageSize::k2M);
  const Bytes size(align_up(want.value, hp.value));
  int err =
      map_with_advice(size, hp, MADV_HUGEPAGE, "madvise(MADV_HUGEPAGE)", r, out, PageSize::k2M);
  if (err == 0) r->append("using madvise(MADV_HUGEPAGE)");
  return err;
}

int try_plain(Bytes want, const HugePageInfo &info, Reason *r, Attempt *out) {
  r->append("plain: ");
  const Bytes page = base_page_size();
  const Bytes size(align_up(want.value, page.value));
  // Without THP support MADV_NOHUGEPAGE is EINVAL and pointless: skip it.
  const bool thp = info.thp_enabled != ThpMode::kUnsupported;
  int err = map_with_advice(size, page, thp ? MADV_NOHUGEPAGE : MADV_NORMAL,
                            thp ? "madvise(MADV_NOHUGEPAGE)" : "madvise(MADV_NORMAL)", r, out,
                            PageSize::k4K);
  if (err == 0) r->append(thp ? "4KB pages, madvise(MADV_NOHUGEPAGE)" : "4KB pages");
  return err;
}

}  // namespace

const char *name_of(Backing b) {
  switch (b) {
    case Backing::kAuto:
      return "auto";
    case Backing::kHugetlb:
      return "hugetlb";
    case Backing::kThp:
      return "thp";
    case Backing::kPlain:
      return "plain";
  }
  return "?";
}

FrameReservation::FrameReservation(FrameReservation &&other) noexcept {
  *this = std::move(other);
}

FrameReservation &FrameReservation::operator=(FrameReservation &&other) noexcept {
  if (this != &other) {
    release();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, Bytes(0));
    backing_ = std::exchange(other.backing_, Backing::kAuto);
    page_size_ = std::exchange(other.page_size_, PageSize::k4K);
    hugetlb_bytes_ = std::exchange(other.hugetlb_bytes_, Bytes(0));
    thp_bytes_ = std::exchange(other.thp_bytes_, Bytes(0));
    plain_bytes_ = std::exchange(other.plain_bytes_, Bytes(0));
    populated_ = std::exchange(other.populated_, false);
    error_ = std::exchange(other.error_, 0);
    reason_ = other.reason_;
    other.reason_.clear();
  }
  return *this;
}

void FrameReservation::release() {
  if (base_ != nullptr) unmap(base_, size_);
  base_ = nullptr;
  size_ = hugetlb_bytes_ = thp_bytes_ = plain_bytes_ = Bytes(0);
  backing_ = Backing::kAuto;
  page_size_ = PageSize::k4K;
  populated_ = false;
  error_ = 0;
  reason_.clear();
}

int FrameReservation::measure() {
  if (!ok()) return EINVAL;
  populated_ = true;
  if (backing_ == Backing::kHugetlb) return 0;
  Bytes huge;
  int err = huge_mapped_bytes(base_, size_, &huge);
  if (err != 0) return err;
  thp_bytes_ = huge;
  plain_bytes_ = size_ - huge;
  return 0;
}

Description FrameReservation::describe() const {
  Description d;
  if (!ok()) {
    d.append("none: ").append(error_ != 0 ? errno_name(error_) : "released");
    return d;
  }
  switch (backing_) {
    case Backing::kHugetlb:
      d.append("hugetlb ").append_page_size(bytes_of(page_size_)).append(": ");
      d.append_bytes(hugetlb_bytes_);
      break;
    case Backing::kThp:
      d.append("thp: ").append_bytes(thp_bytes_).append(" on hugepages, ");
      d.append_bytes(plain_bytes_).append(" plain");
      break;
    default:
      d.append("plain: ").append_bytes(plain_bytes_);
      if (thp_bytes_.value != 0) d.append(", ").append_bytes(thp_bytes_).append(" on hugepages");
      break;
  }
  if (!populated_) d.append(" (not populated yet)");
  return d;
}

bool FrameReservation::valid() const {
  if (!ok()) {
    return base_ == nullptr && size_.value == 0 && (error_ != 0) == !reason_.empty() &&
           reason_.valid();
  }
  const uint64_t page = bytes_of(page_size_).value;
  if ((hugetlb_bytes_ + thp_bytes_ + plain_bytes_) != size_) return false;
  if (size_.value % page != 0 || reinterpret_cast<uintptr_t>(base_) % page != 0) return false;
  if (backing_ == Backing::kAuto) return false;
  if ((backing_ == Backing::kHugetlb) != (hugetlb_bytes_ == size_)) return false;
  return error_ == 0 && !reason_.empty() && reason_.valid();
}

FrameReservation reserve(Bytes size, const ReserveOptions &opts) {
  return reserve(size, opts, discover_raw());
}

FrameReservation reserve(Bytes size, const ReserveOptions &opts, const HugePageInfo &info) {
  ErrnoGuard keep_errno;
  FrameReservation res;
  Reason &r = res.reason_;
  auto fail = [&](int err) {
    res.error_ = err;
    return std::move(res);
  };
  if (size.value == 0) {
    r.append("size 0: nothing to reserve");
    return fail(EINVAL);
  }
  if (size.value > kMaxMapBytes) {
    r.append("size ").append_u64(size.value).append(" bytes exceeds the ");
    r.append_bytes(Bytes(kMaxMapBytes)).append(" user address space");
    return fail(ENOMEM);
  }
  if (opts.huge_page == PageSize::k4K) {
    r.append("huge_page 4k is not a huge page size; use 2m or 1g");
    return fail(EINVAL);
  }
  if (opts.strict && opts.backing == Backing::kAuto) {
    r.append("strict needs backing hugetlb, thp or plain, not auto");
    return fail(EINVAL);
  }

  // The chain starts at the backing asked for; strict stops after the first link.
  Backing first = opts.backing == Backing::kAuto ? Backing::kHugetlb : opts.backing;
  Attempt got;
  int err = EINVAL;
  for (Backing b = first;;) {
    if (!r.empty()) r.append("; ");
    if (b == Backing::kHugetlb) {
      err = try_hugetlb(size, opts, info, &r, &got);
    } else if (b == Backing::kThp) {
      err = try_thp(size, opts, info, &r, &got);
    } else {
      err = try_plain(size, info, &r, &got);
    }
    if (err == 0) {
      res.backing_ = b;
      break;
    }
    if (opts.strict || b == Backing::kPlain) return fail(err);
    b = b == Backing::kHugetlb ? Backing::kThp : Backing::kPlain;
  }

  if (opts.prefault) {
    err = populate(got.base, got.size);
    if (err != 0) {
      unmap(got.base, got.size);
      res.backing_ = Backing::kAuto;
      r.append("; ");
      append_failure(&r, "prefault", got.size, err);
      return fail(err);
    }
    r.append("; prefaulted");
  }
  res.base_ = got.base;
  res.size_ = got.size;
  res.page_size_ = got.page;
  if (res.backing_ == Backing::kHugetlb) {
    res.hugetlb_bytes_ = got.size;
    res.populated_ = opts.prefault;
  } else {
    res.plain_bytes_ = got.size;
    // A failed measurement leaves the conservative split: all plain.
    if (opts.prefault) (void)res.measure();
  }
  return res;
}

}  // namespace hpmm::pal
