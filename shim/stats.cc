// shim/stats.cc: the statistics API of include/hpmm/hpmm.h and the text HPMM_STATS=1 prints at
// exit.  Allocation-free: numbers are gathered under the allocator's locks into fixed structs
// and written with write(2) from fixed buffers.
#include <unistd.h>

#include <cstring>

#include "include/hpmm/hpmm.h"
#include "pal/fixed_text.hpp"
#include "pal/os_memory.hpp"
#include "shim/global.hpp"

using namespace hpmm;
using namespace hpmm::shim;

namespace {

constexpr int kMaxArenas = 64;

// Bytes of the heap's arenas that the kernel maps with 2 MiB pages.
uint64_t huge_mapped() {
  uintptr_t base[kMaxArenas];
  uint64_t len[kMaxArenas];
  int n = 0;
  {
    PageHeap<RealOs> &ph = heap().page_heap();
    LockGuard g(ph.lock());
    ph.for_each_arena([&](uintptr_t b, uint64_t l) {
      if (n < kMaxArenas) base[n] = b, len[n] = l, ++n;
    });
  }
  uint64_t total = 0;
  for (int i = 0; i < n; ++i) {
    Bytes b;
    if (pal::huge_mapped_bytes(reinterpret_cast<void *>(base[i]), Bytes(len[i]), &b) == 0)
      total += b.value;
  }
  return total;
}

void copy_name(char *dst, size_t cap, const char *src) {
  size_t n = std::strlen(src);
  if (n >= cap) n = cap - 1;
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

void fill(hpmm_stats *s) {
  ensure_init();
  AllocatorStats st = heap().stats();
  uint64_t resident;
  {
    PageHeap<RealOs> &ph = heap().page_heap();
    LockGuard g(ph.lock());
    resident = ph.resident_bytes();
  }
  *s = {};
  s->small_in_use_bytes = st.small_in_use_bytes;
  s->large_in_use_bytes = st.heap.large_bytes;
  s->in_use_bytes = st.small_in_use_bytes + st.heap.large_bytes;
  s->thread_cache_bytes = st.thread_cache_bytes;
  s->central_cache_bytes = st.central_free_bytes;
  s->page_free_bytes = st.heap.filler_free_bytes;
  s->free_hugepage_bytes = st.heap.free_resident_bytes;
  s->mapped_bytes = st.heap.reserved_bytes;
  s->resident_bytes = resident;
  s->released_bytes = st.heap.released_bytes;
  s->hugetlb_bytes = st.heap.hugetlb_bytes;
  s->thp_advised_bytes = st.heap.thp_bytes;
  s->huge_mapped_bytes = huge_mapped();
  s->metadata_bytes = st.heap.metadata_bytes;
  s->hugepages_filler = st.heap.filler_hugepages;
  s->hugepages_large = st.heap.large_hugepages;
  s->hugepages_free = st.heap.free_hugepages;
  s->foreign_frees = g_foreign_frees.load(std::memory_order_relaxed);
  s->thread_caches = st.thread_caches;
  s->hugepage_coverage =
      resident != 0 ? static_cast<double>(s->huge_mapped_bytes) / static_cast<double>(resident)
                    : 0.0;
  copy_name(s->backing, sizeof(s->backing), backing_name(g_backing));
  copy_name(s->mode, sizeof(s->mode), mode_name(g_env.huge));
}

void put(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

template <size_t N>
void line(int fd, pal::FixedText<N> &t) {
  t.append("\n");
  put(fd, t.c_str(), t.size());
  t.clear();
}

// "name  value" with the value in bytes and in MiB (one decimal).
template <size_t N>
void field(pal::FixedText<N> &t, const char *name, uint64_t bytes) {
  t.append("hpmm: ").append(name).append(" ").append_u64(bytes).append(" (");
  uint64_t tenths = bytes * 10 / (1u << 20);
  t.append_u64(tenths / 10).append(".").append_u64(tenths % 10).append(" MiB)");
}

}  // namespace

extern "C" {

int hpmm_get_stats(struct hpmm_stats *out, size_t size) {
  if (out == nullptr || size < sizeof(hpmm_stats)) return -1;
  fill(out);
  return 0;
}

int hpmm_get_class_stats(struct hpmm_class_stats *out, int n) {
  int classes = kNumClasses - 1;
  if (out == nullptr || n <= 0) return classes;
  ensure_init();
  AllocatorStats st = heap().stats();
  for (int i = 0; i < n && i < classes; ++i) {
    const ClassStats &c = st.classes[i + 1];
    out[i] = {static_cast<uint32_t>(c.size),
              kSizeClasses[i + 1].pages,
              c.spans,
              c.in_use,
              c.in_thread_caches,
              c.in_central};
  }
  return classes;
}

uint64_t hpmm_release(int break_hugepages) {
  ensure_init();
  return heap().release(true, break_hugepages != 0);
}

void hpmm_print_stats(int fd) {
  hpmm_stats s;
  fill(&s);
  pal::FixedText<256> t;
  t.append("hpmm: backing ").append(s.backing).append(" (HPMM_HUGEPAGES=").append(s.mode);
  t.append("), hugetlb pages budget ").append_u64(g_backing.hugetlb_budget);
  line(fd, t);
  field(t, "in use           ", s.in_use_bytes);
  line(fd, t);
  field(t, "  small          ", s.small_in_use_bytes);
  line(fd, t);
  field(t, "  large          ", s.large_in_use_bytes);
  line(fd, t);
  field(t, "thread caches    ", s.thread_cache_bytes);
  line(fd, t);
  field(t, "central lists    ", s.central_cache_bytes);
  line(fd, t);
  field(t, "free pages       ", s.page_free_bytes);
  line(fd, t);
  field(t, "free hugepages   ", s.free_hugepage_bytes);
  line(fd, t);
  field(t, "resident (heap)  ", s.resident_bytes);
  line(fd, t);
  field(t, "on huge pages    ", s.huge_mapped_bytes);
  t.append(", coverage ").append_u64(static_cast<uint64_t>(s.hugepage_coverage * 100)).append("%");
  line(fd, t);
  field(t, "  hugetlb        ", s.hugetlb_bytes);
  line(fd, t);
  field(t, "  THP advised    ", s.thp_advised_bytes);
  line(fd, t);
  field(t, "released (total) ", s.released_bytes);
  line(fd, t);
  field(t, "mapped           ", s.mapped_bytes);
  line(fd, t);
  field(t, "metadata         ", s.metadata_bytes);
  line(fd, t);
  t.append("hpmm: hugepages: filler ").append_u64(s.hugepages_filler);
  t.append(", large ").append_u64(s.hugepages_large).append(", free ").append_u64(s.hugepages_free);
  t.append("; thread caches ").append_u64(s.thread_caches);
  t.append("; foreign frees ").append_u64(s.foreign_frees);
  line(fd, t);
  hpmm_class_stats cs[kNumClasses];
  int n = hpmm_get_class_stats(cs, kNumClasses);
  t.append("hpmm: class     size pages    spans       in use   thread-cached  central");
  line(fd, t);
  for (int i = 0; i < n; ++i) {
    if (cs[i].spans == 0 && cs[i].in_thread_caches == 0) continue;
    t.append("hpmm: ").append_u64(i + 1).append(" ").append_u64(cs[i].size).append(" ");
    t.append_u64(cs[i].pages).append(" ").append_u64(cs[i].spans).append(" ");
    t.append_u64(cs[i].in_use).append(" ").append_u64(cs[i].in_thread_caches).append(" ");
    t.append_u64(cs[i].in_central);
    line(fd, t);
  }
}

}  // extern "C"
