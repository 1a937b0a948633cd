// pal/os_memory.cc: the malloc's kernel memory calls (see os_memory.hpp).  Allocation-free;
// every entry point holds an ErrnoGuard and returns errno values instead of leaving them in errno.
#include "pal/os_memory.hpp"

#include <fcntl.h>
#include <linux/mman.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>

#include "base/bits.hpp"
#include "pal/errno_guard.hpp"
#include "pal/proc_text.hpp"

namespace hpmm::pal {
namespace {

// PAGEMAP_SCAN (Linux 6.7, include/uapi/linux/fs.h), declared here because the installed kernel
// headers predate it.  The layout is kernel ABI.
struct PageRegion {
  uint64_t start;
  uint64_t end;
  uint64_t categories;
};
struct PmScanArg {
  uint64_t size;
  uint64_t flags;
  uint64_t start;
  uint64_t end;
  uint64_t walk_end;
  uint64_t vec;
  uint64_t vec_len;
  uint64_t max_pages;
  uint64_t category_inverted;
  uint64_t category_mask;
  uint64_t category_anyof_mask;
  uint64_t return_mask;
};
constexpr uint64_t kPageIsHuge = 1u << 6;
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);

uintptr_t addr(const void *p) {
  return reinterpret_cast<uintptr_t>(p);
}

bool page_aligned(const void *p) {
  return (addr(p) & (base_page_size().value - 1)) == 0;
}

// Checks shared by the range calls: non-null, base-page aligned, non-empty, not absurd.
bool range_ok(const void *p, Bytes size) {
  return p != nullptr && page_aligned(p) && size.value != 0 && size.value <= kMaxMapBytes;
}

int mmap_flags_for(PageSize page) {
  return MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
         static_cast<int>(shift_of(page) << MAP_HUGE_SHIFT);
}

// "7f12a0000000-7f12a4000000 rw-p ..." -> [start, end); false for any other line.
bool parse_vma_header(std::string_view line, uint64_t *start, uint64_t *end) {
  uint64_t v[2] = {0, 0};
  size_t i = 0;
  for (int k = 0; k < 2; ++k) {
    size_t digits = 0;
    for (; i < line.size(); ++i, ++digits) {
      char c = line[i];
      unsigned d;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else {
        break;
      }
      if (digits >= 16) return false;
      v[k] = v[k] << 4 | d;
    }
    if (digits == 0 || i == line.size()) return false;
    if (line[i] != (k == 0 ? '-' : ' ')) return false;
    ++i;
  }
  *start = v[0];
  *end = v[1];
  return true;
}

}  // namespace

Bytes base_page_size() {
  return Bytes(getauxval(AT_PAGESZ));
}

MapResult reserve_aligned(Bytes size, Bytes alignment, Access access) {
  return detail::map_aligned(size, alignment, access, /*noreserve=*/true);
}

int commit(void *p, Bytes size) {
  ErrnoGuard keep_errno;
  if (!range_ok(p, size)) return EINVAL;
  return ::mprotect(p, size.value, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
}

int populate(void *p, Bytes size) {
  ErrnoGuard keep_errno;
  if (!range_ok(p, size)) return EINVAL;
  if (::madvise(p, size.value, MADV_POPULATE_WRITE) == 0) return 0;
  if (errno != EINVAL) return errno;
  // EINVAL is both "range not writable" (PROT_NONE, read-only: touching would fault) and "advice
  // unknown" (Linux < 5.14).  The kernel checks the advice before the length, so an empty call
  // tells them apart.
  if (::madvise(p, 0, MADV_POPULATE_WRITE) == 0) return EINVAL;
  detail::touch_pages(p, size);
  return 0;
}

int decommit(void *p, Bytes size) {
  ErrnoGuard keep_errno;
  if (!range_ok(p, size)) return EINVAL;
  return ::madvise(p, size.value, MADV_DONTNEED) == 0 ? 0 : errno;
}

int madvise_hugepage(void *p, Bytes size) {
  ErrnoGuard keep_errno;
  if (!range_ok(p, size)) return EINVAL;
  return ::madvise(p, size.value, MADV_HUGEPAGE) == 0 ? 0 : errno;
}

int collapse_hugepages(void *p, Bytes size) {
  ErrnoGuard keep_errno;
  constexpr uint64_t k2M = uint64_t{2} << 20;
  if (!range_ok(p, size) || addr(p) % k2M != 0 || size.value % k2M != 0) return EINVAL;
#ifndef MADV_COLLAPSE
  constexpr int MADV_COLLAPSE = 25;  // Linux 6.1's value, for headers older than the kernel
#endif
  return ::madvise(p, size.value, MADV_COLLAPSE) == 0 ? 0 : errno;
}

MapResult map_hugetlb(Bytes size, PageSize page, Bytes alignment, bool prefault) {
  ErrnoGuard keep_errno;
  if (page == PageSize::k4K) return {nullptr, EINVAL};
  const uint64_t hp = bytes_of(page).value;
  if (size.value == 0 || size.value > kMaxMapBytes || size.value % hp != 0) {
    return {nullptr, size.value > kMaxMapBytes ? ENOMEM : EINVAL};
  }
  if (alignment.value != 0 && !is_pow2(alignment.value)) return {nullptr, EINVAL};
  void *p = nullptr;
  if (alignment.value <= hp) {
    // The kernel aligns hugetlb mappings to their page size by itself.
    p = ::mmap(nullptr, size.value, PROT_READ | PROT_WRITE, mmap_flags_for(page), -1, 0);
    if (p == MAP_FAILED) return {nullptr, errno};
  } else {
    // Aligned address space first, then the hugetlb mapping over it.
    MapResult space = reserve_aligned(size, alignment, Access::kNone);
    if (!space.ok()) return space;
    p = ::mmap(space.ptr, size.value, PROT_READ | PROT_WRITE, mmap_flags_for(page) | MAP_FIXED, -1,
               0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::munmap(space.ptr, size.value);
      return {nullptr, err};
    }
  }
  if (prefault) {
    int err = populate(p, size);
    if (err != 0) {
      ::munmap(p, size.value);
      return {nullptr, err};
    }
  }
  return {p, 0};
}

int decommit_hugetlb(void *p, Bytes size, PageSize page) {
  ErrnoGuard keep_errno;
  const uint64_t hp = bytes_of(page).value;
  if (page == PageSize::k4K || !range_ok(p, size) || addr(p) % hp != 0 || size.value % hp != 0) {
    return EINVAL;
  }
  return ::madvise(p, size.value, MADV_DONTNEED) == 0 ? 0 : errno;
}

int unmap(void *p, Bytes size) {
  ErrnoGuard keep_errno;
  if (!range_ok(p, size)) return EINVAL;
  return ::munmap(p, size.value) == 0 ? 0 : errno;
}

int read_memory_usage(MemoryUsage *out) {
  ErrnoGuard keep_errno;
  LineReader lines("/proc/self/smaps_rollup");
  if (!lines.ok()) return lines.error();
  MemoryUsage u;
  uint64_t v = 0, hugetlb = 0;
  bool seen_rss = false;
  std::string_view line;
  while (lines.next(&line)) {
    if (parse_kb_field(line, "Rss", &v)) {
      u.rss = Bytes(v);
      seen_rss = true;
    } else if (parse_kb_field(line, "Anonymous", &v)) {
      u.anonymous = Bytes(v);
    } else if (parse_kb_field(line, "AnonHugePages", &v)) {
      u.anon_huge = Bytes(v);
    } else if (parse_kb_field(line, "Private_Hugetlb", &v) ||
               parse_kb_field(line, "Shared_Hugetlb", &v)) {
      hugetlb += v;
    }
  }
  if (lines.error() != 0) return lines.error();
  if (!seen_rss) return ENODATA;
  u.hugetlb = Bytes(hugetlb);
  *out = u;
  return 0;
}

Bytes rss_bytes() {
  MemoryUsage u;
  return read_memory_usage(&u) == 0 ? u.rss : Bytes(0);
}

Bytes anon_huge_bytes() {
  MemoryUsage u;
  return read_memory_usage(&u) == 0 ? u.anon_huge : Bytes(0);
}

int huge_mapped_bytes(const void *p, Bytes size, Bytes *out) {
  int err = detail::huge_bytes_pagemap(p, size, out);
  if (err == ENOTTY || err == EINVAL || err == EOPNOTSUPP) {
    if (!range_ok(p, size)) return EINVAL;
    err = detail::huge_bytes_smaps(p, size, out);
  }
  return err;
}

namespace detail {

MapResult map_aligned(Bytes size, Bytes alignment, Access access, bool noreserve) {
  ErrnoGuard keep_errno;
  const uint64_t page = base_page_size().value;
  if (size.value == 0 || (alignment.value != 0 && !is_pow2(alignment.value))) {
    return {nullptr, EINVAL};
  }
  if (size.value > kMaxMapBytes || alignment.value > kMaxMapBytes) return {nullptr, ENOMEM};
  const uint64_t len = align_up(size.value, page);
  const uint64_t align = alignment.value < page ? page : alignment.value;
  const uint64_t over = len + (align - page);
  const int prot = access == Access::kReadWrite ? PROT_READ | PROT_WRITE : PROT_NONE;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0);
  void *raw = ::mmap(nullptr, over, prot, flags, -1, 0);
  if (raw == MAP_FAILED) return {nullptr, errno};
  const uintptr_t start = align_up(addr(raw), align);
  const uint64_t head = start - addr(raw);
  const uint64_t tail = over - head - len;
  if (head != 0) ::munmap(raw, head);
  if (tail != 0) ::munmap(reinterpret_cast<void *>(start + len), tail);
  return {reinterpret_cast<void *>(start), 0};
}

int huge_bytes_pagemap(const void *p, Bytes size, Bytes *out) {
  ErrnoGuard keep_errno;
  if (!range_ok(p, size)) return EINVAL;
  int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const uint64_t end = addr(p) + align_up(size.value, base_page_size().value);
  PageRegion vec[32];
  uint64_t total = 0;
  int err = 0;
  for (uint64_t cur = addr(p); cur < end;) {
    PmScanArg arg = {};
    arg.size = sizeof(arg);
    arg.start = cur;
    arg.end = end;
    arg.vec = addr(vec);
    arg.vec_len = sizeof(vec) / sizeof(vec[0]);
    arg.category_mask = kPageIsHuge;
    arg.return_mask = kPageIsHuge;
    long n = ::ioctl(fd, kPagemapScan, &arg);
    if (n < 0) {
      err = errno;
      break;
    }
    for (long i = 0; i < n; ++i) total += vec[i].end - vec[i].start;
    if (arg.walk_end <= cur) break;  // no progress: stop rather than spin
    cur = arg.walk_end;
  }
  ::close(fd);
  if (err == 0) *out = Bytes(total);
  return err;
}

int huge_bytes_smaps(const void *p, Bytes size, Bytes *out) {
  ErrnoGuard keep_errno;
  if (!range_ok(p, size)) return EINVAL;
  const uint64_t lo = addr(p);
  const uint64_t hi = lo + size.value;
  LineReader lines("/proc/self/smaps");
  if (!lines.ok()) return lines.error();
  uint64_t total = 0, overlap = 0, vstart = 0, vend = 0, v = 0;
  std::string_view line;
  while (lines.next(&line)) {
    if (parse_vma_header(line, &vstart, &vend)) {
      if (vstart >= hi) break;  // mappings are listed in address order
      uint64_t a = vstart > lo ? vstart : lo;
      uint64_t b = vend < hi ? vend : hi;
      overlap = b > a ? b - a : 0;
      continue;
    }
    if (overlap == 0) continue;
    if (parse_kb_field(line, "AnonHugePages", &v) || parse_kb_field(line, "Private_Hugetlb", &v) ||
        parse_kb_field(line, "Shared_Hugetlb", &v)) {
      total += v < overlap ? v : overlap;
    }
  }
  if (lines.error() != 0) return lines.error();
  *out = Bytes(total);
  return 0;
}

void touch_pages(void *p, Bytes size) {
  const uint64_t page = base_page_size().value;
  auto *bytes = static_cast<volatile uint8_t *>(p);
  for (uint64_t off = 0; off < size.value; off += page) {
    // A locked or of zero: a write access for the MMU, no change to the contents even if another
    // thread writes the same byte concurrently.
    __atomic_fetch_or(bytes + off, uint8_t{0}, __ATOMIC_RELAXED);
  }
}

}  // namespace detail
}  // namespace hpmm::pal
