// mmu_sim/workload.cc: the generators.  Each kind is a small pattern type that yields a byte
// offset into the region; Generator<Pattern> adds the base, the size and the load/store choice
// and fills a batch, so the per-access path has no virtual call.
#include "mmu_sim/workload.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>

#include "mmu_sim/workload_rng.hpp"
#include "mmu_sim/workload_zipf.hpp"

namespace hpmm::sim {
namespace {

template <class P>
concept OffsetPattern = requires(P p, WorkloadRng &rng) {
  { p.next(rng) } -> std::same_as<uint64_t>;
};

// Every element in address order, again and again.  Invariant: i < elements.
struct SeqPattern {
  uint64_t elements, size, i = 0;
  uint64_t next(WorkloadRng &) {
    uint64_t off = i * size;
    if (++i == elements) i = 0;
    return off;
  }
};

// Column-major walk of a row-major matrix.  Invariants: r < rows, c < cols.
struct ColumnPattern {
  uint64_t rows, cols, row_bytes, size, r = 0, c = 0;
  uint64_t next(WorkloadRng &) {
    uint64_t off = r * row_bytes + c * size;
    if (++r == rows) {
      r = 0;
      if (++c == cols) c = 0;
    }
    return off;
  }
};

// A page number -> a random element of that page.
struct Placement {
  uint64_t pagesize, size, per_page;
  uint64_t at(uint64_t page, WorkloadRng &rng) const {
    return page * pagesize + (per_page == 1 ? 0 : rng.below(per_page) * size);
  }
};

struct UniformPattern {
  Placement place;
  uint64_t pages;
  uint64_t next(WorkloadRng &rng) { return place.at(rng.below(pages), rng); }
};

struct ZipfPattern {
  Placement place;
  ZipfSampler zipf;
  PagePermutation perm;
  bool scatter;
  uint64_t next(WorkloadRng &rng) {
    uint64_t page = zipf.sample(rng) - 1;
    return place.at(scatter ? perm.apply(page) : page, rng);
  }
};

struct HotColdPattern {
  Placement place;
  uint64_t pages, hot_pages;
  double hotfrac;
  PagePermutation perm;
  bool scatter;
  uint64_t next(WorkloadRng &rng) {
    uint64_t page =
        rng.real() < hotfrac ? rng.below(hot_pages) : hot_pages + rng.below(pages - hot_pages);
    return place.at(scatter ? perm.apply(page) : page, rng);
  }
};

// Invariants: start < pages, shift < pages, left >= 1.
struct PhasesPattern {
  Placement place;
  uint64_t pages, ws, shift, per_phase, start = 0, left;
  uint64_t next(WorkloadRng &rng) {
    if (left == 0) {
      start = (start + shift) % pages;
      left = per_phase;
    }
    --left;
    uint64_t page = start + rng.below(ws);
    return place.at(page >= pages ? page - pages : page, rng);
  }
};

template <OffsetPattern P>
class Generator final : public AccessSource {
 public:
  Generator(const WorkloadSpec &spec, uint64_t seed, P pattern)
      : pattern_(std::move(pattern)),
        rng_(seed),
        base_(spec.base),
        size_(static_cast<uint32_t>(spec.size)),
        write_(spec.write),
        total_(spec.total()),
        describe_(spec.canonical()) {}

  size_t next(std::span<Access> out) override {
    auto n = static_cast<size_t>(std::min<uint64_t>(out.size(), total_ - done_));
    for (size_t i = 0; i < n; ++i) {
      uint64_t off = pattern_.next(rng_);
      AccessKind kind = AccessKind::kLoad;
      if (write_ > 0 && rng_.real() < write_) kind = AccessKind::kStore;
      out[i] = Access{base_ + off, size_, kind};
    }
    done_ += n;
    return n;
  }
  const std::string &error() const override { return error_; }
  std::string describe() const override { return describe_; }
  uint64_t progress_done() const override { return done_; }
  uint64_t progress_total() const override { return total_; }

 private:
  P pattern_;
  WorkloadRng rng_;
  uint64_t base_;
  uint32_t size_;
  double write_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::string describe_;
  std::string error_;  // generators cannot fail; stays empty
};

template <OffsetPattern P>
std::unique_ptr<AccessSource> make(const WorkloadSpec &spec, uint64_t seed, P pattern) {
  return std::make_unique<Generator<P>>(spec, seed, std::move(pattern));
}

}  // namespace

std::unique_ptr<AccessSource> make_workload(const WorkloadSpec &s, uint64_t seed) {
  if (s.has_seed) seed = s.seed;
  const uint64_t per_page = s.pagesize / s.size;
  const Placement place{s.pagesize, s.size, per_page};
  const uint64_t perm_seed = seed * 0x2545f4914f6cdd1dull + 1;
  switch (s.kind) {
    case WorkloadKind::kSeq:
      return make(s, seed, SeqPattern{s.pages * per_page, s.size});
    case WorkloadKind::kStride:
      if (!s.column_order) return make(s, seed, SeqPattern{s.pages * per_page, s.size});
      return make(s, seed,
                  ColumnPattern{s.pages / s.step, s.step * per_page, s.step * s.pagesize, s.size});
    case WorkloadKind::kUniform:
      return make(s, seed, UniformPattern{place, s.pages});
    case WorkloadKind::kZipf:
      return make(s, seed,
                  ZipfPattern{place, ZipfSampler(s.pages, s.s), PagePermutation(s.pages, perm_seed),
                              s.scatter});
    case WorkloadKind::kHotCold: {
      auto hot = static_cast<uint64_t>(std::llround(s.hot * static_cast<double>(s.pages)));
      return make(s, seed,
                  HotColdPattern{place, s.pages, hot, s.hotfrac,
                                 PagePermutation(s.pages, perm_seed), s.scatter});
    }
    case WorkloadKind::kPhases:
      return make(
          s, seed,
          PhasesPattern{place, s.pages, s.ws, s.shift % s.pages, s.accesses, 0, s.accesses});
  }
  return nullptr;
}

}  // namespace hpmm::sim
