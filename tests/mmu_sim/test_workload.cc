// tests/mmu_sim/test_workload.cc: the --workload spec parser (every kind of bad input names the
// key), the number parsers, and the generators: exact counts, order, determinism per seed,
// Zipf skew, hot/cold fractions, phases, write fraction.
#include <criterion/criterion.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mmu_sim/workload.hpp"
#include "mmu_sim/workload_numbers.hpp"
#include "mmu_sim/workload_rng.hpp"
#include "mmu_sim/workload_spec.hpp"
#include "mmu_sim/workload_zipf.hpp"

using namespace hpmm::sim;

namespace {

WorkloadSpec spec_of(const std::string &text) {
  WorkloadSpec s;
  std::string err;
  cr_assert(parse_workload_spec(text, &s, &err), "'%s': %s", text.c_str(), err.c_str());
  cr_assert(s.valid(), "'%s' parsed into an invalid spec", text.c_str());
  return s;
}

std::vector<Access> generate(const std::string &text, uint64_t seed = 1) {
  WorkloadSpec s = spec_of(text);
  auto src = make_workload(s, seed);
  cr_assert(src != nullptr);
  std::vector<Access> all, batch(1000);
  for (size_t n; (n = src->next(batch)) != 0;)
    all.insert(all.end(), batch.begin(), batch.begin() + n);
  cr_assert_eq(src->error(), "");
  cr_assert_eq(all.size(), s.total(), "'%s' yields exactly total() accesses", text.c_str());
  cr_assert_eq(src->progress_done(), src->progress_total());
  return all;
}

void expect_bad(const std::string &text, const std::string &what) {
  WorkloadSpec s;
  std::string err;
  cr_assert(!parse_workload_spec(text, &s, &err), "'%s' should be rejected", text.c_str());
  cr_assert(err.find(what) != std::string::npos, "'%s': error '%s' should contain '%s'",
            text.c_str(), err.c_str(), what.c_str());
}

uint64_t page_of(const Access &a, const WorkloadSpec &s) {
  return (a.addr - s.base) / s.pagesize;
}

}  // namespace

Test(workload_numbers, sizes_counts_addresses_reals) {
  uint64_t v = 0;
  std::string why;
  cr_assert(parse_size("4k", &v, &why) && v == 4096);
  cr_assert(parse_size("2M", &v, &why) && v == (2u << 20));
  cr_assert(parse_size("1GiB", &v, &why) && v == (1u << 30));
  cr_assert(parse_size("64MB", &v, &why) && v == (64u << 20));
  cr_assert(parse_size("512", &v, &why) && v == 512);
  cr_assert(!parse_size("4q", &v, &why) && why == "unknown suffix 'q'");
  cr_assert(!parse_size("4kx", &v, &why));
  cr_assert(!parse_size("", &v, &why));
  cr_assert(!parse_size("-4k", &v, &why));
  cr_assert(!parse_size("99999999999999999999", &v, &why) && why == "too large");
  cr_assert(!parse_size("17179869184G", &v, &why) && why == "too large");
  cr_assert(parse_count("18446744073709551615", &v, &why) && v == UINT64_MAX);
  cr_assert(!parse_count("18446744073709551616", &v, &why));
  cr_assert(!parse_count("1e6", &v, &why));
  cr_assert(!parse_count(" 1", &v, &why));
  cr_assert(parse_address("0x7F00", &v, &why) && v == 0x7f00);
  cr_assert(parse_address("4096", &v, &why) && v == 4096);
  cr_assert(!parse_address("0xg", &v, &why));
  cr_assert(!parse_address("0x10000000000000000", &v, &why));
  double d = 0;
  cr_assert(parse_real("0.99", &d, &why) && d == 0.99);
  cr_assert(parse_real("1e-2", &d, &why) && d == 0.01);
  cr_assert(!parse_real("-1", &d, &why));
  cr_assert(!parse_real("nan", &d, &why));
  cr_assert(!parse_real("inf", &d, &why));
  cr_assert(!parse_real("1e999", &d, &why));
  cr_assert(!parse_real("0.5x", &d, &why));
}

Test(workload_spec, parses_every_kind_and_round_trips) {
  const char *specs[] = {
      "seq:pages=16,passes=2",
      "stride:pages=64,step=16,passes=4",
      "stride:pages=64,step=16,order=row,size=64,write=0.5",
      "uniform:pages=100,accesses=1000,pagesize=2m,base=0x80000000",
      "zipf:pages=1000,s=0.99,accesses=5000,scatter=0,seed=9",
      "hotcold:pages=1000,hot=0.1,hotfrac=0.9,accesses=1000",
      "phases:pages=1000,ws=100,phases=5,accesses=200,shift=50",
  };
  for (const char *text : specs) {
    WorkloadSpec a = spec_of(text);
    WorkloadSpec b = spec_of(a.canonical());
    cr_assert_eq(a.canonical(), b.canonical(), "%s", text);
  }
  WorkloadSpec s = spec_of("stride:pages=65536,step=16,passes=4");
  cr_assert_eq(s.kind, WorkloadKind::kStride);
  cr_assert_eq(s.total(), 65536ull * 512 * 4);
  cr_assert_eq(s.pagesize, 4096u);
  cr_assert_eq(s.size, 8u);
  cr_assert_eq(s.base, 1ull << 30);
  cr_assert(s.column_order);
  cr_assert_eq(spec_of("phases:pages=10,ws=4,phases=3,accesses=5").shift, 4u,
               "shift defaults to ws");
  cr_assert_eq(spec_of("uniform:pages=100,accesses=1000,pagesize=2m").pagesize, 2u << 20);
  WorkloadSpec broken = s;
  broken.size = 3;
  cr_assert(!broken.valid());
  broken = s;
  broken.step = 3;
  cr_assert(!broken.valid(), "pages must be a multiple of step");
}

Test(workload_spec, rejects_bad_input_naming_the_key) {
  expect_bad("foo:pages=1", "unknown workload 'foo'");
  expect_bad("", "unknown workload ''");
  expect_bad("seq", "seq: missing key 'pages'");
  expect_bad("zipf:pages=10,accesses=10", "zipf: missing key 's'");
  expect_bad("stride:pages=64", "stride: missing key 'step'");
  expect_bad("uniform:pages=10", "uniform: missing key 'accesses'");
  expect_bad("hotcold:pages=10,hot=0.1,accesses=5", "missing key 'hotfrac'");
  expect_bad("phases:pages=10,phases=2,accesses=5", "missing key 'ws'");
  expect_bad("seq:pages=10,colour=red", "seq: unknown key 'colour'");
  expect_bad("seq:pages=10,s=1", "seq: unknown key 's'");
  expect_bad("uniform:pages=10,accesses=5,passes=2", "unknown key 'passes'");
  expect_bad("seq:pages=10,pages=11", "key 'pages' given twice");
  expect_bad("seq:pages", "'pages' is not key=value");
  expect_bad("seq:pages=10,,passes=1", "'' is not key=value");
  expect_bad("seq:=3", "is not key=value");
  expect_bad("seq:pages=abc", "seq: pages: not a number ('abc')");
  expect_bad("seq:pages=0", "pages: must be >= 1");
  expect_bad("seq:pages=-5", "pages: not a number");
  expect_bad("seq:pages=10,passes=0", "passes: must be >= 1");
  expect_bad("zipf:pages=10,s=0,accesses=5", "s: must be > 0");
  expect_bad("zipf:pages=10,s=abc,accesses=5", "s: not a number");
  expect_bad("zipf:pages=10,s=101,accesses=5", "s: must be > 0 and <= 100");
  expect_bad("hotcold:pages=10,hot=1,hotfrac=0.5,accesses=5", "hot: must be > 0 and < 1");
  expect_bad("hotcold:pages=10,hot=0.5,hotfrac=1.5,accesses=5", "hotfrac: must be in [0, 1]");
  expect_bad("hotcold:pages=10,hot=0.01,hotfrac=0.5,accesses=5", "hot: hot * pages");
  expect_bad("seq:pages=10,write=2", "write: must be in [0, 1]");
  expect_bad("seq:pages=10,pagesize=3000", "pagesize: must be a power of two");
  expect_bad("seq:pages=10,pagesize=4q", "pagesize: unknown suffix 'q'");
  expect_bad("seq:pages=10,size=3", "size: must be a power of two");
  expect_bad("seq:pages=10,size=8k", "size: must be <= pagesize");
  expect_bad("seq:pages=10,base=0x1001", "base: must be a multiple of pagesize");
  expect_bad("seq:pages=10,base=0xzz", "base: bad hexadecimal digit");
  expect_bad("seq:pages=100000000000000", "pages: base + pages * pagesize goes past 2^57");
  expect_bad("stride:pages=10,step=3", "step: pages (10) must be a multiple of step");
  expect_bad("stride:pages=10,step=5,order=diag", "order: must be row or col");
  expect_bad("zipf:pages=10,s=1,accesses=5,scatter=yes", "scatter: must be 0 or 1");
  expect_bad("phases:pages=10,ws=11,phases=2,accesses=5", "ws: must be <= pages");
  expect_bad("phases:pages=10,ws=5,phases=4294967296,accesses=4294967296", "too many accesses");
}

Test(workload, seq_walks_every_element_in_order) {
  auto a = generate("seq:pages=3,passes=2,size=1k");
  cr_assert_eq(a.size(), 3u * 4 * 2);
  for (size_t i = 0; i < a.size(); ++i) {
    cr_assert_eq(a[i].addr, (1ull << 30) + (i % 12) * 1024);
    cr_assert_eq(a[i].size, 1024u);
    cr_assert_eq(a[i].kind, AccessKind::kLoad, "write=0: loads only");
  }
}

Test(workload, stride_column_and_row_order) {
  // 8 pages, rows of 2 pages: 4 rows; 1k elements: 8 columns per row.
  auto col = generate("stride:pages=8,step=2,size=1k,base=0");
  cr_assert_eq(col.size(), 32u);
  for (size_t i = 0; i < col.size(); ++i) {
    uint64_t r = i % 4, c = i / 4;
    cr_assert_eq(col[i].addr, r * 8192 + c * 1024, "access %zu", i);
  }
  auto row = generate("stride:pages=8,step=2,size=1k,base=0,order=row,passes=2");
  cr_assert_eq(row.size(), 64u);
  for (size_t i = 0; i < row.size(); ++i) cr_assert_eq(row[i].addr, (i % 32) * 1024);
  // Every element is visited exactly once per pass in both orders.
  std::set<uint64_t> seen;
  for (auto &x : col) seen.insert(x.addr);
  cr_assert_eq(seen.size(), 32u);
}

Test(workload, deterministic_per_seed) {
  const char *specs[] = {"uniform:pages=1000,accesses=2000,write=0.3",
                         "zipf:pages=1000,s=0.9,accesses=2000",
                         "hotcold:pages=1000,hot=0.2,hotfrac=0.8,accesses=2000",
                         "phases:pages=1000,ws=50,phases=4,accesses=500"};
  for (const char *text : specs) {
    auto a = generate(text, 7), b = generate(text, 7), c = generate(text, 8);
    bool same = true, differ = false;
    for (size_t i = 0; i < a.size(); ++i) {
      same = same && a[i].addr == b[i].addr && a[i].kind == b[i].kind;
      differ = differ || a[i].addr != c[i].addr;
    }
    cr_assert(same, "%s: one seed, one stream", text);
    cr_assert(differ, "%s: another seed, another stream", text);
  }
  // A spec's seed= overrides the run's seed.
  auto x = generate("uniform:pages=1000,accesses=100,seed=5", 1);
  auto y = generate("uniform:pages=1000,accesses=100,seed=5", 2);
  for (size_t i = 0; i < x.size(); ++i) cr_assert_eq(x[i].addr, y[i].addr);
}

Test(workload, uniform_stays_in_the_region_and_spreads) {
  WorkloadSpec s = spec_of("uniform:pages=100,accesses=100000,size=64");
  auto a = generate("uniform:pages=100,accesses=100000,size=64");
  std::vector<int> count(100);
  for (auto &x : a) {
    cr_assert(x.addr >= s.base && x.addr + x.size <= s.end());
    cr_assert_eq(x.addr % 64, 0u, "element aligned");
    ++count[page_of(x, s)];
  }
  for (int c : count) cr_assert(c > 800 && c < 1200, "each page ~1000 times, got %d", c);
}

Test(workload, zipf_skew_matches_the_distribution) {
  const uint64_t n = 1000, samples = 200000;
  for (double s : {0.6, 0.99, 1.0, 1.5}) {
    char text[128];
    std::snprintf(text, sizeof text, "zipf:pages=%lu,s=%g,accesses=%lu,scatter=0",
                  static_cast<unsigned long>(n), s, static_cast<unsigned long>(samples));
    WorkloadSpec spec = spec_of(text);
    auto a = generate(text);
    std::vector<double> count(n);
    for (auto &x : a) count[page_of(x, spec)] += 1;
    double h = 0;
    for (uint64_t k = 1; k <= n; ++k) h += std::pow(static_cast<double>(k), -s);
    for (uint64_t k : {1, 2, 10}) {
      double want = std::pow(static_cast<double>(k), -s) / h * samples;
      double got = count[k - 1];
      cr_assert(std::fabs(got - want) < 5 * std::sqrt(want) + 0.01 * want,
                "s=%g rank %lu: %g accesses, expected %g", s, static_cast<unsigned long>(k), got,
                want);
    }
  }
}

Test(workload, zipf_scatter_moves_hot_pages_but_keeps_the_skew) {
  WorkloadSpec s = spec_of("zipf:pages=4096,s=1.2,accesses=50000");
  auto a = generate("zipf:pages=4096,s=1.2,accesses=50000");
  std::map<uint64_t, int> count;
  for (auto &x : a) ++count[page_of(x, s)];
  uint64_t top = 0;
  int top_count = 0;
  for (auto [p, c] : count)
    if (c > top_count) top = p, top_count = c;
  double h = 0;
  for (int k = 1; k <= 4096; ++k) h += std::pow(k, -1.2);
  cr_assert(std::fabs(top_count - 50000 / h) < 0.05 * 50000 / h, "top page %d", top_count);
  cr_assert(count.size() > 500, "the tail reaches many pages");
  (void)top;
}

Test(workload, page_permutation_is_a_bijection) {
  for (uint64_t n : {1ull, 2ull, 3ull, 1000ull, 4096ull, 5000ull}) {
    PagePermutation p(n, 42);
    std::set<uint64_t> seen;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t v = p.apply(i);
      cr_assert(v < n);
      seen.insert(v);
    }
    cr_assert_eq(seen.size(), n, "n=%lu", static_cast<unsigned long>(n));
  }
}

Test(workload, hotcold_fractions) {
  const char *text = "hotcold:pages=1000,hot=0.1,hotfrac=0.9,accesses=100000,scatter=0";
  WorkloadSpec s = spec_of(text);
  auto a = generate(text);
  uint64_t hot = 0;
  std::set<uint64_t> hot_pages;
  for (auto &x : a) {
    uint64_t p = page_of(x, s);
    if (p < 100) {
      ++hot;
      hot_pages.insert(p);
    }
  }
  double f = static_cast<double>(hot) / static_cast<double>(a.size());
  cr_assert(std::fabs(f - 0.9) < 0.01, "hot fraction %g", f);
  cr_assert_eq(hot_pages.size(), 100u, "all 100 hot pages are used");
  // Scattered: the same fractions, over a set of 100 pages that is not [0, 100).
  auto b = generate("hotcold:pages=1000,hot=0.1,hotfrac=0.9,accesses=100000");
  std::map<uint64_t, uint64_t> count;
  for (auto &x : b) ++count[page_of(x, s)];
  std::vector<uint64_t> sorted;
  for (auto [p, c] : count) sorted.push_back(c);
  std::sort(sorted.rbegin(), sorted.rend());
  uint64_t top100 = 0;
  for (int i = 0; i < 100; ++i) top100 += sorted[i];
  cr_assert(std::fabs(static_cast<double>(top100) / 100000 - 0.9) < 0.01);
}

Test(workload, phases_stay_in_their_working_sets) {
  const char *text = "phases:pages=100,ws=30,phases=5,accesses=1000,shift=40";
  WorkloadSpec s = spec_of(text);
  auto a = generate(text);
  for (size_t i = 0; i < a.size(); ++i) {
    uint64_t phase = i / 1000, start = (phase * 40) % 100;
    uint64_t p = page_of(a[i], s), rel = (p + 100 - start) % 100;
    cr_assert(rel < 30, "access %zu of phase %lu on page %lu", i, static_cast<unsigned long>(phase),
              static_cast<unsigned long>(p));
  }
}

Test(workload, write_fraction) {
  auto a = generate("uniform:pages=100,accesses=100000,write=0.25");
  uint64_t stores = 0;
  for (auto &x : a) stores += x.kind == AccessKind::kStore;
  cr_assert(std::fabs(static_cast<double>(stores) / 100000 - 0.25) < 0.01);
  auto b = generate("seq:pages=4,write=1");
  for (auto &x : b) cr_assert_eq(x.kind, AccessKind::kStore);
}

Test(workload, rng_below_is_in_range_and_covers) {
  WorkloadRng rng(3);
  std::vector<int> seen(7);
  for (int i = 0; i < 7000; ++i) {
    uint64_t v = rng.below(7);
    cr_assert(v < 7);
    ++seen[v];
  }
  for (int c : seen) cr_assert(c > 800 && c < 1200);
  for (int i = 0; i < 1000; ++i) {
    double r = rng.real();
    cr_assert(r >= 0 && r < 1);
  }
  ZipfSampler z(1, 1.0);
  cr_assert(z.valid());
  cr_assert_eq(z.sample(rng), 1u, "one page: always rank 1");
}
