// tests/mmu_sim/test_mrc_reference_string.cc: accesses become page references by the counting
// rules (one per page touched, in address order; a Modify is a load then a store of the range;
// ifetches only when asked; the address space of the page-table levels), checked case by case
// and against a byte-by-byte expansion; PageRefSource streams the same keys whatever its output
// size, reports the source's error; and the LRU curve of a source equals FrameTable runs.
#include <criterion/criterion.h>

#include <vector>

#include "mmu_sim/mrc.hpp"
#include "mmu_sim/reference_string.hpp"
#include "tests/mmu_sim/test_mrc_sources.hpp"
#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

std::vector<uint64_t> refs_of(const Access &a, const RefOptions &o) {
  std::vector<uint64_t> out;
  for_each_page_ref(a, o, [&](uint64_t k) { out.push_back(k); });
  return out;
}

// The same rules, written the slow way: every byte's page, consecutive duplicates merged.
std::vector<uint64_t> by_bytes(const Access &a, const RefOptions &o) {
  std::vector<uint64_t> pass;
  const uint64_t space = o.va_mask() + 1, shift = shift_of(o.page_size);
  uint64_t addr = a.addr % space, size = a.size == 0 ? 1 : a.size;
  for (uint64_t i = 0; i < size && addr + i < space; ++i) {
    uint64_t key = ((addr + i) >> shift << shift) >> 12;
    if (pass.empty() || pass.back() != key) pass.push_back(key);
  }
  int passes = a.kind == AccessKind::kModify                ? 2
               : a.kind == AccessKind::kIfetch && !o.ifetch ? 0
                                                            : 1;
  std::vector<uint64_t> out;
  for (int p = 0; p < passes; ++p) out.insert(out.end(), pass.begin(), pass.end());
  return out;
}

using V = std::vector<uint64_t>;

// A function's std::string result against a literal (criterion's string assertions need the
// string to outlive the macro's statements).
void expect_str(const std::string &got, const char *want) {
  cr_assert_str_eq(got.c_str(), want);
}

}  // namespace

Test(reference_string, counting_rules) {
  RefOptions o;
  cr_assert(refs_of({0x1ff8, 16, AccessKind::kLoad}, o) == (V{1, 2}));
  cr_assert(refs_of({0x1ff8, 8, AccessKind::kStore}, o) == (V{1}));
  cr_assert(refs_of({0x0ffc, 8, AccessKind::kModify}, o) == (V{0, 1, 0, 1}));
  cr_assert(refs_of({0x5000, 4, AccessKind::kIfetch}, o).empty());
  cr_assert(refs_of({0x5000, 0, AccessKind::kLoad}, o) == (V{5}));  // size 0 counts as 1 byte
  RefOptions fetch = o;
  fetch.ifetch = true;
  cr_assert(refs_of({0x5000, 4, AccessKind::kIfetch}, fetch) == (V{5}));
  // 2 MiB pages: the key is the page base >> 12, as the MMU's.
  RefOptions huge = o;
  huge.page_size = PageSize::k2M;
  cr_assert(refs_of({0x3ff000, 0x2000, AccessKind::kLoad}, huge) == (V{512, 1024}));
  // The address space of 4 levels is 2^48 bytes: addresses wrap into it, ranges stop at its end.
  const uint64_t top = uint64_t{1} << 48;
  cr_assert(refs_of({top + 0x3000, 8, AccessKind::kLoad}, o) == (V{3}));
  cr_assert(refs_of({top - 4096, 8192, AccessKind::kLoad}, o) == (V{(top >> 12) - 1}));
  RefOptions five = o;
  five.levels = 5;
  cr_assert(refs_of({top + 0x3000, 8, AccessKind::kLoad}, five) == (V{(top >> 12) + 3}));
  // Validation names the field.
  RefOptions bad = o;
  bad.levels = 3;
  expect_str(bad.validate(), "levels: must be 4 or 5");
  expect_str(o.validate(), "");
}

Test(reference_string, matches_byte_by_byte_expansion) {
  Xoshiro256 rng(21);
  for (int i = 0; i < 3000; ++i) {
    RefOptions o;
    o.ifetch = rng.below32(2) == 0;
    o.page_size = rng.below32(4) == 0 ? PageSize::k2M : PageSize::k4K;
    uint64_t addr =
        rng.below32(4) == 0 ? (uint64_t{1} << 48) - rng.below32(20000) : rng.next() >> 30;
    auto size = static_cast<uint32_t>(rng.below32(5) == 0 ? rng.below32(40000) : rng.below32(64));
    auto kind = static_cast<AccessKind>(rng.below32(4));
    Access a{addr, size, kind};
    cr_assert(refs_of(a, o) == by_bytes(a, o), "addr %lx size %u kind %d", addr, size,
              static_cast<int>(kind));
    cr_assert_eq(page_span(a, o).references(), by_bytes(a, o).size());
  }
}

Test(reference_string, source_streams_the_same_keys) {
  Xoshiro256 rng(22);
  std::vector<Access> accesses;
  for (int i = 0; i < 2000; ++i) {
    uint64_t addr = rng.below32(1 << 24);
    auto size = static_cast<uint32_t>(rng.below32(50) == 0 ? 1 << 20 : 1 + rng.below32(9000));
    accesses.push_back({addr, size, static_cast<AccessKind>(rng.below32(4))});
  }
  RefOptions o;
  o.ifetch = true;
  std::vector<uint64_t> want;
  append_page_refs(accesses, o, &want);
  for (size_t out_size : {size_t{1}, size_t{5}, size_t{4096}, size_t{100000}}) {
    ScriptedSource src(accesses, 1 + out_size % 13);
    PageRefSource refs(src, o);
    std::vector<uint64_t> got, buf(out_size);
    for (size_t n; (n = refs.next(buf)) != 0;) got.insert(got.end(), buf.begin(), buf.begin() + n);
    cr_assert(got == want, "out size %zu", out_size);
    cr_assert_eq(refs.references(), want.size());
    cr_assert_eq(refs.accesses(), accesses.size());
    expect_str(refs.error(), "");
    cr_assert_eq(refs.next(buf), 0u);  // stays at the end
  }
  ScriptedSource all(accesses);
  std::vector<uint64_t> read;
  expect_str(read_page_refs(all, o, &read), "");
  cr_assert(read == want);
}

Test(reference_string, source_error_is_reported) {
  std::vector<Access> accesses(100, Access{0x1000, 8, AccessKind::kLoad});
  ScriptedSource src(accesses, 7, 30);
  std::vector<uint64_t> read;
  RefOptions o;
  expect_str(read_page_refs(src, o, &read), "vector:3: bad record");
  cr_assert_eq(read.size(), 30u);
  ScriptedSource src2(accesses, 7, 30);
  PageRefSource refs(src2, o);
  FaultCurve c;
  expect_str(lru_fault_curve(refs, &c), "vector:3: bad record");
  cr_assert_eq(c.references(), 30u);
  RefOptions bad;
  bad.levels = 6;
  ScriptedSource src3(accesses);
  expect_str(read_page_refs(src3, bad, &read), "levels: must be 4 or 5");
}

// The LRU curve of a stream of accesses equals FrameTable<LruPolicy> on its references.
Test(reference_string, curve_of_a_source_equals_frame_table_runs) {
  Xoshiro256 rng(23);
  std::vector<Access> accesses;
  for (int i = 0; i < 6000; ++i) {
    uint64_t page = rng.below32(10) < 7 ? rng.below32(40) : rng.below32(700);
    accesses.push_back({page * 4096 + rng.below32(4096),
                        static_cast<uint32_t>(1 + rng.below32(6000)),
                        static_cast<AccessKind>(rng.below32(4))});
  }
  RefOptions o;
  ScriptedSource src(accesses, 100);
  PageRefSource refs(src, o);
  FaultCurve c;
  expect_str(lru_fault_curve(refs, &c), "");
  std::vector<uint64_t> keys;
  append_page_refs(accesses, o, &keys);
  cr_assert_eq(c.references(), keys.size());
  for (uint32_t f : {1u, 4u, 20u, 41u, 100u, 400u, 800u})
    cr_assert_eq(c.faults(f), faults_of<LruPolicy>(keys, f), "F=%u", f);
}
