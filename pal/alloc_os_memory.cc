// pal/alloc_os_memory.cc: see alloc_os_memory.hpp.
#include "pal/alloc_os_memory.hpp"

#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pal/errno_guard.hpp"
#include "pal/os_memory.hpp"

namespace hpmm::pal {

namespace {
constexpr uint64_t k2M = uint64_t{2} << 20;
bool aligned(const void *p, uint64_t n) {
  return p != nullptr && (reinterpret_cast<uintptr_t>(p) | n) % k2M == 0 && n != 0;
}
}  // namespace

int map_hugetlb_at(void *p) {
  ErrnoGuard guard;
  if (!aligned(p, k2M)) return EINVAL;
  MapResult m = map_hugetlb(Bytes(k2M), PageSize::k2M, Bytes(k2M), false);
  if (!m.ok()) return m.error;
  void *r = ::mremap(m.ptr, k2M, k2M, MREMAP_MAYMOVE | MREMAP_FIXED, p);
  if (r == MAP_FAILED) {
    int err = errno;
    ::munmap(m.ptr, k2M);
    return err;
  }
  ::madvise(p, k2M, MADV_DONTFORK);
  return 0;
}

int replace_with_plain(void *p, Bytes size) {
  ErrnoGuard guard;
  if (!aligned(p, size.value)) return EINVAL;
  void *r = ::mmap(p, size.value, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return r == MAP_FAILED ? errno : 0;
}

int move_mapping(void *from, void *to, Bytes size) {
  ErrnoGuard guard;
  if (!aligned(from, size.value) || !aligned(to, size.value)) return EINVAL;
  void *r = ::mremap(from, size.value, size.value, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  return r == MAP_FAILED ? errno : 0;
}

int move_pages_keep_source(void *from, void *to, Bytes size) {
  ErrnoGuard guard;
  if (!aligned(from, size.value) || !aligned(to, size.value)) return EINVAL;
  void *r =
      ::mremap(from, size.value, size.value, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);
  return r == MAP_FAILED ? errno : 0;
}

uint64_t copy_readable(void *dst, const void *src, Bytes n) {
  ErrnoGuard guard;
  uint64_t done = 0;
  pid_t self = ::getpid();
  while (done < n.value) {
    // A partial read stops at the first unreadable page; the next round then reads nothing.
    uint64_t chunk = n.value - done;
    struct iovec local = {static_cast<char *>(dst) + done, chunk};
    struct iovec remote = {const_cast<char *>(static_cast<const char *>(src)) + done, chunk};
    ssize_t r = ::process_vm_readv(self, &local, 1, &remote, 1, 0);
    if (r <= 0) break;
    done += static_cast<uint64_t>(r);
  }
  return done;
}

bool is_mapped(const void *p) {
  ErrnoGuard guard;
  unsigned char v;
  void *page = reinterpret_cast<void *>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{4095});
  return ::mincore(page, 1, &v) == 0 || errno != ENOMEM;
}

uint64_t coarse_now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace hpmm::pal
