// mmu_sim/reference_string.hpp: the page-reference string of a stream of accesses, exactly as the
// MMU numbers its translations (DESIGN.md, "The simulator's counting rules"), for the analysis
// passes (mrc.hpp, wss.hpp) whose numbers must equal separate simulator runs.
//
// An access [addr, addr+size) becomes one reference per page it touches, in address order; a
// Modify is the load of the range followed by the store of the range (every page twice: p1 p2 ..
// p1 p2 ..); an Ifetch counts only when RefOptions::ifetch is set.  As in the MMU, the address is
// taken modulo the 2^(12 + 9 * levels)-byte address space and a range that runs past its end is
// cut there (the trace readers reject such accesses anyway), and a size of 0 counts as 1 byte.
// A reference is the page key (page base address >> 12): the vpn for 4 KiB pages, and a key
// unique across page sizes, as the MMU's own keys are.
//
// PageRefSource pulls accesses from an AccessSource a batch at a time (one virtual call per
// batch) and yields keys; an access touching many pages may be split across next() calls.
// Invariant: references() == the number of keys yielded so far == the sum over the accesses
// consumed of their page counts (times 2 for a Modify, 0 for a dropped Ifetch).  Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/units.hpp"
#include "mmu_sim/access.hpp"

namespace hpmm::sim {

struct RefOptions {
  PageSize page_size = PageSize::k4K;
  bool ifetch = false;  // count instruction fetches
  int levels = 4;       // page-table levels: a 48-bit (4) or 57-bit (5) address space

  // "" when usable, else what is wrong, naming the field.
  std::string validate() const;
  uint64_t va_mask() const { return (uint64_t{1} << (12 + 9 * levels)) - 1; }
};

// The pages an access touches: `passes` passes (2 for a Modify) over [first, last] by `step`.
struct PageSpan {
  uint64_t first;  // base address of the first page
  uint64_t last;   // base address of the last page
  uint64_t step;   // the page size in bytes
  int passes;      // 0 (a dropped Ifetch), 1, or 2 (a Modify)
  uint64_t pages() const { return (last - first) / step + 1; }
  uint64_t references() const { return pages() * static_cast<uint64_t>(passes); }
};
PageSpan page_span(const Access &a, const RefOptions &o);

// Calls emit(key) for each reference of access a, in order.
template <class F>
void for_each_page_ref(const Access &a, const RefOptions &o, F &&emit) {
  const PageSpan s = page_span(a, o);
  for (int pass = 0; pass < s.passes; ++pass)
    for (uint64_t p = s.first;; p += s.step) {
      emit(p >> 12);
      if (p == s.last) break;
    }
}

// Appends the references of a batch of accesses to *out.
void append_page_refs(std::span<const Access> batch, const RefOptions &o,
                      std::vector<uint64_t> *out);

class PageRefSource {
 public:
  // o must be valid (checked).  The source must outlive this object.
  PageRefSource(AccessSource &source, const RefOptions &o);

  // Fills up to out.size() keys; returns how many.  0 means the end, or an error of the source:
  // then error() is non-empty.
  size_t next(std::span<uint64_t> out);
  const std::string &error() const { return source_.error(); }
  const AccessSource &source() const { return source_; }
  uint64_t accesses() const { return accesses_; }      // accesses consumed
  uint64_t references() const { return references_; }  // keys yielded

 private:
  static constexpr size_t kBatch = 4096;

  AccessSource &source_;
  RefOptions o_;
  std::vector<Access> batch_;
  size_t pos_ = 0, len_ = 0;  // batch_[pos_, len_) not yet expanded
  // The access being expanded: the next page to yield, and the passes left after this one.
  PageSpan cur_{0, 0, 1, 0};
  uint64_t cur_page_ = 0;
  bool expanding_ = false;
  uint64_t accesses_ = 0;
  uint64_t references_ = 0;
};

// Pulls refs to its end, handing each batch of keys to sink(std::span<const uint64_t>), so that
// one pass can feed several analyses (an LRU curve, a SHARDS estimate, a working-set curve).
// Returns "" or the source's error.
template <class Sink>
std::string for_each_ref_batch(PageRefSource &refs, Sink &&sink) {
  uint64_t buf[4096];
  for (size_t n; (n = refs.next(buf)) != 0;) sink(std::span<const uint64_t>(buf, n));
  return refs.error();
}

// The whole string of a source (for OPT, which needs the future).  Returns "" or the source's
// error.
std::string read_page_refs(AccessSource &source, const RefOptions &o, std::vector<uint64_t> *out);

}  // namespace hpmm::sim
