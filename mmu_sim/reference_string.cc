// mmu_sim/reference_string.cc: accesses to page references (reference_string.hpp).
#include "mmu_sim/reference_string.hpp"

#include "base/bits.hpp"
#include "base/check.hpp"

namespace hpmm::sim {

std::string RefOptions::validate() const {
  if (levels != 4 && levels != 5) return "levels: must be 4 or 5";
  if (static_cast<unsigned>(page_size) >= static_cast<unsigned>(kPageSizeCount))
    return "page-size: must be 4k, 2m or 1g";
  return "";
}

PageSpan page_span(const Access &a, const RefOptions &o) {
  const uint64_t mask = o.va_mask();
  const uint64_t step = bytes_of(o.page_size).value;
  const uint64_t addr = a.addr & mask;
  const uint64_t size = a.size == 0 ? 1 : a.size;
  const uint64_t end = size > mask + 1 - addr ? mask + 1 : addr + size;  // exclusive
  int passes = 0;
  switch (a.kind) {
    case AccessKind::kLoad:
    case AccessKind::kStore:
      passes = 1;
      break;
    case AccessKind::kModify:
      passes = 2;
      break;
    case AccessKind::kIfetch:
      passes = o.ifetch ? 1 : 0;
      break;
  }
  return PageSpan{align_down(addr, step), align_down(end - 1, step), step, passes};
}

void append_page_refs(std::span<const Access> batch, const RefOptions &o,
                      std::vector<uint64_t> *out) {
  for (const Access &a : batch) for_each_page_ref(a, o, [out](uint64_t k) { out->push_back(k); });
}

PageRefSource::PageRefSource(AccessSource &source, const RefOptions &o)
    : source_(source), o_(o), batch_(kBatch) {
  HPMM_CHECK(o.validate().empty(), "PageRefSource: invalid RefOptions (validate() first)");
}

size_t PageRefSource::next(std::span<uint64_t> out) {
  size_t n = 0;
  while (n < out.size()) {
    if (!expanding_) {
      if (pos_ == len_) {
        len_ = source_.next(batch_);
        pos_ = 0;
        if (len_ == 0) break;  // the end, or an error
      }
      cur_ = page_span(batch_[pos_++], o_);
      ++accesses_;
      if (cur_.passes == 0) continue;
      cur_page_ = cur_.first;
      expanding_ = true;
    }
    // Yield pages of the current pass until out is full or the pass ends.
    while (n < out.size()) {
      out[n++] = cur_page_ >> 12;
      if (cur_page_ == cur_.last) {
        if (--cur_.passes == 0) {
          expanding_ = false;
        } else {
          cur_page_ = cur_.first;
        }
        break;
      }
      cur_page_ += cur_.step;
    }
  }
  references_ += n;
  return n;
}

std::string read_page_refs(AccessSource &source, const RefOptions &o, std::vector<uint64_t> *out) {
  std::string err = o.validate();
  if (!err.empty()) return err;
  PageRefSource refs(source, o);
  return for_each_ref_batch(refs, [out](std::span<const uint64_t> keys) {
    out->insert(out->end(), keys.begin(), keys.end());
  });
}

}  // namespace hpmm::sim
