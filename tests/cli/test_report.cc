// tests/cli/test_report.cc: hpmm-sim's report: JSON (nested, valid, every documented key with
// the counter it names), CSV (header and row agree with the JSON leaves), human summary, quoting.
#include <criterion/criterion.h>

#include <map>
#include <string>
#include <vector>

#include "cli/report.hpp"
#include "tests/cli/json_flat.hpp"

using namespace hpmm;
using namespace hpmm::cli;

namespace {

sim::SimStats sample_stats(bool l2) {
  sim::SimStats s;
  s.reads = 700;
  s.writes = 250;
  s.ifetches = 50;
  s.accesses = 1000;
  s.translations = 1010;
  s.l1 = {900, 110};
  s.l1_by_size[0] = {800, 100};
  s.l1_by_size[1] = {100, 10};
  s.has_l2 = l2;
  if (l2) s.l2 = {60, 50};
  s.walks = l2 ? 50 : 110;
  s.walk_refs = 120;
  s.pwc_hits[0] = 40;
  s.pwc_hits[1] = 30;
  s.pwc_hits[2] = 20;
  s.faults_minor = 30;
  s.faults_major = 5;
  s.evictions = 20;
  s.writebacks = 7;
  s.shootdowns = 12;
  s.resident_pages = 16;
  return s;
}

RunInfo sample_info() {
  RunInfo i;
  i.source = "stride:pages=64,step=16,order=col,passes=1";
  i.backing = "plain (no huge pages: \"test\")";
  i.cycles = 12345.5;
  i.cycles_per_access = 12.3455;
  i.seconds = 0.25;
  return i;
}

std::map<std::string, std::string> json_of(const sim::SimConfig &c, const sim::SimStats &s,
                                           const RunInfo &info) {
  std::string text = format_json(build_report(c, s, info));
  std::map<std::string, std::string> flat;
  cr_assert(json_flat::parse(text, &flat), "not valid JSON:\n%s", text.c_str());
  return flat;
}

// Splits one CSV row (RFC 4180 quoting).
std::vector<std::string> csv_row(const std::string &line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        out.back() += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

Test(report, json_has_every_documented_key_with_its_value) {
  sim::SimConfig c;
  sim::SimStats s = sample_stats(true);
  auto j = json_of(c, s, sample_info());
  const std::map<std::string, std::string> want = {
      {"accesses", "1000"},
      {"reads", "700"},
      {"writes", "250"},
      {"ifetches", "50"},
      {"translations", "1010"},
      {"tlb.l1.hits", "900"},
      {"tlb.l1.misses", "110"},
      {"tlb.l2.hits", "60"},
      {"tlb.l2.misses", "50"},
      {"tlb.l1.4k.hits", "800"},
      {"tlb.l1.2m.misses", "10"},
      {"walks", "50"},
      {"walk_refs", "120"},
      {"pwc_hits.pml4e", "40"},
      {"pwc_hits.pde", "20"},
      {"faults.minor", "30"},
      {"faults.major", "5"},
      {"faults.total", "35"},
      {"evictions", "20"},
      {"writebacks", "7"},
      {"shootdowns", "12"},
      {"resident_pages", "16"},
      {"cycles", "12345.5"},
      {"cycles_per_access", "12.3455"},
      {"backing", "plain (no huge pages: \"test\")"},
      {"config.page_size", "4k"},
      {"config.frames.4k", "256"},
      {"config.policy", "clock"},
      {"config.tlb.l1.4k", "16x4"},
      {"config.tlb.l2", "128x12"},
      {"config.tlb.policy", "lru"},
      {"config.levels", "4"},
      {"config.ref_bits", "every-access"},
      {"config.ifetch", "false"},
      {"config.seed", "1"},
      {"config.cost.walk_ref", "25"},
      {"config.pwc.pde", "32"},
      {"config.source", "stride:pages=64,step=16,order=col,passes=1"}};
  for (auto &[k, v] : want) {
    cr_assert(j.count(k) == 1, "missing key %s", k.c_str());
    cr_assert_eq(j[k], v, "%s = %s, expected %s", k.c_str(), j[k].c_str(), v.c_str());
  }
  cr_assert_eq(std::stod(j["tlb.l1.miss_rate"]), 110.0 / 1010);
  cr_assert_eq(std::stod(j["tlb.l1.hit_rate"]), 900.0 / 1010);
  cr_assert_eq(std::stod(j["tlb.l2.miss_rate"]), 50.0 / 110, "the L2's local miss rate");
  cr_assert_eq(std::stod(j["faults.rate"]), 35.0 / 1000);
  cr_assert_eq(j.count("config.format"), 0u, "a workload has no trace format");
  cr_assert_eq(j["tlb"], "{}", "dotted names are nested objects");
}

Test(report, no_l2_means_no_l2_key) {
  sim::SimConfig c;
  c.l2 = sim::TlbShape{};
  auto j = json_of(c, sample_stats(false), sample_info());
  cr_assert_eq(j.count("tlb.l2.hits"), 0u);
  cr_assert_eq(j.count("tlb.l2"), 0u);
  cr_assert_eq(j["config.tlb.l2"], "none");
}

Test(report, config_echo_of_a_trace_run) {
  sim::SimConfig c;
  c.page_size = PageSize::k2M;
  c.frames[1] = 64;
  c.regions.push_back(sim::Region{VirtAddr(0x40000000), Bytes(1 << 30), PageSize::k1G});
  c.replacement = sim::PageReplacement::kOpt;
  RunInfo info = sample_info();
  info.source = "trace:ls.trace";
  info.format = "lackey";
  info.format_detected = true;
  info.limit = 500;
  auto j = json_of(c, sample_stats(true), info);
  cr_assert_eq(j["config.format"], "lackey");
  cr_assert_eq(j["config.format_detected"], "true");
  cr_assert_eq(j["config.limit"], "500");
  cr_assert_eq(j["config.frames.2m"], "64");
  cr_assert_eq(j["config.regions.0"], "0x40000000:1g:1g");
  cr_assert_eq(j["config.policy"], "opt");
}

Test(report, zero_denominators_give_zero_rates) {
  sim::SimConfig c;
  sim::SimStats s;
  s.has_l2 = true;
  RunInfo info;
  auto j = json_of(c, s, info);
  cr_assert_eq(j["tlb.l1.miss_rate"], "0");
  cr_assert_eq(j["tlb.l2.hit_rate"], "0");
  cr_assert_eq(j["faults.rate"], "0");
}

Test(report, csv_header_and_row_match_the_json_leaves) {
  sim::SimConfig c;
  c.regions.push_back(sim::Region{VirtAddr(0x40000000), Bytes(4 << 20), PageSize::k2M});
  c.regions.push_back(sim::Region{VirtAddr(0x80000000), Bytes(2 << 20), PageSize::k2M});
  c.frames[1] = 4;
  RunInfo info = sample_info();
  ReportNode root = build_report(c, sample_stats(true), info);
  std::string csv = format_csv(root, true);
  size_t nl = csv.find('\n');
  cr_assert(nl != std::string::npos && csv.back() == '\n');
  auto header = csv_row(csv.substr(0, nl));
  auto row = csv_row(csv.substr(nl + 1, csv.size() - nl - 2));
  cr_assert_eq(header.size(), row.size(), "%zu header fields, %zu values", header.size(),
               row.size());
  std::map<std::string, std::string> j;
  cr_assert(json_flat::parse(format_json(root), &j));
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "config.regions") {
      cr_assert_eq(row[i], "0x40000000:4m:2m 0x80000000:2m:2m", "lists are one cell");
      continue;
    }
    cr_assert(j.count(header[i]) == 1, "CSV column %s is not a JSON leaf", header[i].c_str());
    cr_assert_eq(row[i], j[header[i]], "column %s", header[i].c_str());
  }
  size_t leaves = 0;
  for (auto &[k, v] : j)
    if (v != "{}" && v != "[]" && k.rfind("config.regions.", 0) != 0) ++leaves;
  cr_assert_eq(leaves + 1, header.size(), "every JSON leaf is a CSV column");
  std::string data_only = format_csv(root, false);
  cr_assert_eq(data_only, csv.substr(nl + 1), "--no-header: the data row only");
}

Test(report, quoting) {
  cr_assert_eq(json_escape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
  cr_assert_eq(csv_field("plain"), "plain");
  cr_assert_eq(csv_field("a,b"), "\"a,b\"");
  cr_assert_eq(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  cr_assert_eq(real_text(0.1), "0.1");
  cr_assert_eq(real_text(25), "25");
  cr_assert_eq(real_text(200000), "200000", "not 2e+05");
  cr_assert_eq(real_text(-3), "-3");
  cr_assert_eq(real_text(1e300), "1e+300");
  cr_assert_eq(real_text(0.012057877813504822), "0.012057877813504822");
}

Test(report, human_summary) {
  sim::SimConfig c;
  RunInfo info = sample_info();
  info.source = "trace:ls.trace";
  info.format = "lackey";
  info.format_detected = true;
  std::string t = format_text(c, sample_stats(true), info);
  for (const char *want :
       {"source          trace:ls.trace (lackey, detected)", "accesses        1000 (reads 700",
        "tlb l1          hits 900, misses 110", "tlb l2          hits 60, misses 50",
        "page faults     35 (minor 30, major 5", "evictions       20 (writebacks 7",
        "cycles/access   12.34", "frame backing   plain"})
    cr_assert(t.find(want) != std::string::npos, "summary lacks '%s':\n%s", want, t.c_str());
  c.l2 = sim::TlbShape{};
  std::string no_l2 = format_text(c, sample_stats(false), info);
  cr_assert(no_l2.find("tlb l2 ") == std::string::npos);
}
