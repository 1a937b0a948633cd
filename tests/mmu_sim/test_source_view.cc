// tests/mmu_sim/test_source_view.cc: AccessSource::next_view, the zero-copy batch API Mmu::run
// pulls through.  A source that lends its own buffer (in views of any length, across the ends of
// its buffer) must give the MMU exactly what the same accesses copied through next() give; the
// default next_view is next() into the scratch batch.
#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim_test_util.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

// Lends views of its vector, at most `batch` accesses each; next() copies the same views.
class LendingSource final : public AccessSource {
 public:
  LendingSource(std::vector<Access> v, size_t batch) : v_(std::move(v)), batch_(batch) {}
  std::span<const Access> next_view(std::span<Access> scratch) override {
    const size_t n = std::min({scratch.size(), v_.size() - pos_, batch_});
    const std::span<const Access> out(v_.data() + pos_, n);
    pos_ += n;
    ++views_;
    return out;
  }
  size_t next(std::span<Access> out) override {
    const std::span<const Access> v = next_view(out);
    std::copy(v.begin(), v.end(), out.begin());
    return v.size();
  }
  const std::string &error() const override { return error_; }
  std::string describe() const override { return "lending"; }
  uint64_t views() const { return views_; }

 private:
  std::vector<Access> v_;
  size_t pos_ = 0, batch_;
  uint64_t views_ = 0;
  std::string error_;
};

// Loads, stores, modifies, ifetches and page-crossing accesses over 48 pages: hits, misses,
// faults (32 frames) and evictions.
std::vector<Access> mixed_accesses(size_t n) {
  std::vector<Access> v;
  uint64_t x = 99;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t addr = kBase + ((x >> 20) % 48) * kPage + ((x >> 40) % kPage);
    const uint32_t size = (x >> 60) == 0 ? 6000 : 8;  // 1 in 16 crosses one or two pages
    v.push_back({addr, size, static_cast<AccessKind>((x >> 33) % 4)});
  }
  return v;
}

void expect_same(const SimStats &a, const SimStats &b, const char *what) {
  cr_assert_eq(a.translations, b.translations, "%s: translations", what);
  cr_assert_eq(a.reads, b.reads, "%s: reads", what);
  cr_assert_eq(a.writes, b.writes, "%s: writes", what);
  cr_assert_eq(a.ifetches, b.ifetches, "%s: ifetches", what);
  cr_assert_eq(a.l1.hits, b.l1.hits, "%s: L1 hits", what);
  cr_assert_eq(a.l1.misses, b.l1.misses, "%s: L1 misses", what);
  cr_assert_eq(a.l2.hits, b.l2.hits, "%s: L2 hits", what);
  cr_assert_eq(a.walks, b.walks, "%s: walks", what);
  cr_assert_eq(a.faults_minor, b.faults_minor, "%s: minor faults", what);
  cr_assert_eq(a.faults_major, b.faults_major, "%s: major faults", what);
  cr_assert_eq(a.evictions, b.evictions, "%s: evictions", what);
  cr_assert_eq(a.writebacks, b.writebacks, "%s: writebacks", what);
  cr_assert_eq(a.shootdowns, b.shootdowns, "%s: shootdowns", what);
}

}  // namespace

Test(source_view, a_lent_buffer_counts_as_the_copied_accesses) {
  const std::vector<Access> acc = mixed_accesses(20000);
  for (TlbReplacement tr : {TlbReplacement::kLru, TlbReplacement::kPlru, TlbReplacement::kFifo,
                            TlbReplacement::kRandom}) {
    for (PageReplacement pr :
         {PageReplacement::kClock, PageReplacement::kLru, PageReplacement::kOpt}) {
      SimConfig c = small_config();
      c.frames[0] = 32;
      c.ifetch = true;
      c.tlb_replacement = tr;
      c.replacement = pr;
      for (size_t batch : {size_t{1}, size_t{7}, size_t{5000}}) {
        auto lent = make(c), copied = make(c);
        LendingSource ls(acc, batch);
        VectorSource vs(acc, batch);
        cr_assert_eq(lent->run(ls), "");
        cr_assert_eq(copied->run(vs), "");
        cr_assert_geq(ls.views(), acc.size() / batch, "Mmu::run pulls through next_view");
        expect_same(lent->stats(), copied->stats(), name_of(pr));
        cr_assert(lent->valid());
      }
    }
  }
}

Test(source_view, the_default_view_is_next_into_the_scratch_batch) {
  const std::vector<Access> acc = mixed_accesses(10);
  VectorSource vs(acc, 4);
  std::vector<Access> scratch(3);
  size_t seen = 0;
  for (;;) {
    const std::span<const Access> v = vs.next_view(scratch);
    if (v.empty()) break;
    cr_assert_eq(v.data(), scratch.data(), "the default lends the scratch batch");
    cr_assert_leq(v.size(), scratch.size());
    for (const Access &a : v) {
      cr_assert_eq(a.addr, acc[seen].addr);
      cr_assert_eq(a.size, acc[seen].size);
      cr_assert(a.kind == acc[seen].kind);
      ++seen;
    }
  }
  cr_assert_eq(seen, acc.size());
  cr_assert(vs.error().empty());
}
