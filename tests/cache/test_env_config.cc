// tests/cache/test_env_config.cc: the HPMM_* variables and the backing choice.
#include <criterion/criterion.h>

#include "cache/env_config.hpp"

using namespace hpmm;

Test(env_config, defaults_without_environment) {
  EnvConfig c = parse_env(nullptr);
  cr_assert_eq(c.huge, HugeMode::kAuto);
  cr_assert_eq(c.release_delay_ms, 1000u);
  cr_assert_eq(c.thp_threshold_mb, 12u);
  cr_assert_eq(c.hugetlb_pages, -1);
  cr_assert_not(c.stats);
  cr_assert_null(c.bad);
}

Test(env_config, every_variable) {
  char a[] = "PATH=/bin", b[] = "HPMM_HUGEPAGES=thp", c[] = "HPMM_RELEASE_DELAY_MS=250",
       d[] = "HPMM_THP_THRESHOLD_MB=0", e[] = "HPMM_HUGETLB_PAGES=3", f[] = "HPMM_LIMIT_MB=512",
       g[] = "HPMM_THREAD_CACHE_KB=1024", h[] = "HPMM_STATS=1", i[] = "HPMM_HUGEPAGESX=off";
  char *env[] = {a, b, c, d, e, f, g, h, i, nullptr};
  EnvConfig cfg = parse_env(env);
  cr_assert_eq(cfg.huge, HugeMode::kThp);
  cr_assert_eq(cfg.release_delay_ms, 250u);
  cr_assert_eq(cfg.thp_threshold_mb, 0u);
  cr_assert_eq(cfg.hugetlb_pages, 3);
  cr_assert_eq(cfg.limit_mb, 512u);
  cr_assert_eq(cfg.thread_cache_kb, 1024u);
  cr_assert(cfg.stats);
  cr_assert_null(cfg.bad, "HPMM_HUGEPAGESX is another variable, not a bad value");
}

Test(env_config, bad_values_keep_defaults_and_are_named) {
  char a[] = "HPMM_HUGEPAGES=huge", b[] = "HPMM_RELEASE_DELAY_MS=12x",
       c[] = "HPMM_LIMIT_MB=", d[] = "HPMM_THREAD_CACHE_KB=8", e[] = "HPMM_STATS=0";
  char *env[] = {a, b, c, d, e, nullptr};
  EnvConfig cfg = parse_env(env);
  cr_assert_eq(cfg.huge, HugeMode::kAuto);
  cr_assert_eq(cfg.release_delay_ms, 1000u);
  cr_assert_eq(cfg.limit_mb, 0u);
  cr_assert_eq(cfg.thread_cache_kb, 4096u, "below 64 KiB is refused");
  cr_assert_not(cfg.stats);
  cr_assert_str_eq(cfg.bad, "HPMM_HUGEPAGES=huge");
}

Test(env_config, backing_choice) {
  EnvConfig c;
  MachineHuge pool{4, true}, none{0, true}, nothp{0, false};
  BackingChoice b = choose_backing(c, pool);
  cr_assert(b.hugetlb && b.thp);
  cr_assert_eq(b.hugetlb_budget, 2u, "auto takes half the pool");
  cr_assert_str_eq(backing_name(b), "hugetlb+thp");
  cr_assert_str_eq(backing_name(choose_backing(c, none)), "thp");
  cr_assert_str_eq(backing_name(choose_backing(c, nothp)), "plain");
  c.huge = HugeMode::kHugetlb;
  b = choose_backing(c, pool);
  cr_assert(b.hugetlb && !b.thp);
  cr_assert_eq(b.hugetlb_budget, 4u, "hugetlb mode takes all of it");
  cr_assert_str_eq(backing_name(choose_backing(c, none)), "plain", "an empty pool: plain pages");
  c.hugetlb_pages = 9;
  cr_assert_eq(choose_backing(c, pool).hugetlb_budget, 4u, "never more than available");
  c.huge = HugeMode::kThp;
  cr_assert_str_eq(backing_name(choose_backing(c, pool)), "thp");
  cr_assert_str_eq(backing_name(choose_backing(c, nothp)), "plain", "THP never: no advice");
  c.huge = HugeMode::kAuto;
  cr_assert_str_eq(backing_name(choose_backing(c, MachineHuge{4, false})), "hugetlb",
                   "THP never: the pool alone");
  c.huge = HugeMode::kOff;
  cr_assert_str_eq(backing_name(choose_backing(c, pool)), "plain");
  cr_assert_str_eq(mode_name(HugeMode::kOff), "off");
}
