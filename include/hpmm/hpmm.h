/* include/hpmm/hpmm.h: libhpmm's C API: statistics and explicit release.  See hpmm(3).
 *
 * Every function may be called at any time, from any thread, also before the first malloc (the
 * allocator then initialises itself).  None allocates memory.  Counters are a near-snapshot: each
 * group is read under its own lock, so totals may lag by a batch of objects. */
#ifndef HPMM_HPMM_H
#define HPMM_HPMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hpmm_stats {
  uint64_t in_use_bytes;        /* held by the program: small objects (class sizes) + large */
  uint64_t small_in_use_bytes;  /* objects of <= 32 KiB, counted at their class size */
  uint64_t large_in_use_bytes;  /* objects > 32 KiB, counted in 8 KiB pages */
  uint64_t thread_cache_bytes;  /* free objects in thread caches */
  uint64_t central_cache_bytes; /* free objects in central lists (spans, transfer caches) */
  uint64_t page_free_bytes;     /* free pages inside partly used hugepages */
  uint64_t free_hugepage_bytes; /* whole free hugepages not yet released (release delay) */
  uint64_t mapped_bytes;        /* address space reserved for the heap */
  uint64_t resident_bytes;      /* heap pages that may be resident (touched, not released) */
  uint64_t released_bytes;      /* cumulative bytes given back to the OS */
  uint64_t hugetlb_bytes;       /* resident on pages of the hugetlbfs pool */
  uint64_t thp_advised_bytes;   /* hugepages in use advised MADV_HUGEPAGE */
  uint64_t huge_mapped_bytes;   /* heap bytes the kernel maps with 2 MiB pages (THP + hugetlb) */
  uint64_t metadata_bytes;      /* spans, hugepage records, page map nodes, thread caches */
  uint64_t hugepages_filler;    /* hugepages holding small spans or runs < 2 MiB */
  uint64_t hugepages_large;     /* hugepages wholly inside large objects */
  uint64_t hugepages_free;      /* free hugepages (released or not) */
  uint64_t foreign_frees;       /* free/realloc of pointers hpmm never gave out, left alone */
  uint64_t thread_caches;       /* live thread caches */
  double hugepage_coverage;     /* huge_mapped_bytes / resident_bytes (0 when nothing) */
  char backing[16];             /* "hugetlb+thp", "hugetlb", "thp" or "plain" */
  char mode[8];                 /* HPMM_HUGEPAGES as read: "auto", "hugetlb", "thp", "off" */
};

struct hpmm_class_stats {
  uint32_t size;             /* bytes per object */
  uint32_t pages;            /* 8 KiB pages per span */
  uint64_t spans;            /* spans of this class */
  uint64_t in_use;           /* objects held by the program */
  uint64_t in_thread_caches; /* free objects in thread caches */
  uint64_t in_central;       /* free objects in the central list */
};

/* Fills *out (size: sizeof(struct hpmm_stats), for growth).  0, or -1 if size is too small. */
int hpmm_get_stats(struct hpmm_stats *out, size_t size);

/* Fills out[0 .. n) with the size classes (smallest first) and returns how many classes there
 * are (71): call with n == 0 to ask. */
int hpmm_get_class_stats(struct hpmm_class_stats *out, int n);

/* Writes the statistics as text to fd (what HPMM_STATS=1 prints at exit). */
void hpmm_print_stats(int fd);

/* Gives free memory back to the OS now: every free hugepage whatever its age, and with
 * break_hugepages also the free pages of partly used hugepages.  Returns the bytes released. */
uint64_t hpmm_release(int break_hugepages);

#ifdef __cplusplus
}
#endif

#endif /* HPMM_HPMM_H */
