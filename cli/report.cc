// cli/report.cc: builds the report tree and renders it as JSON, CSV or a human summary.  JSON
// and CSV are written by hand (no library): one tree, two walks, so both carry the same fields.
#include "cli/report.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace hpmm::cli {

using Kind = ReportNode::Kind;

namespace {
ReportNode node(const std::string &key, Kind kind) {
  ReportNode n;
  n.key = key;
  n.kind = kind;
  return n;
}
}  // namespace

ReportNode &ReportNode::object(const std::string &k) {
  children.push_back(node(k, Kind::kObject));
  return children.back();
}
void ReportNode::add(const std::string &k, uint64_t v) {
  ReportNode n = node(k, Kind::kCount);
  n.count = v;
  children.push_back(std::move(n));
}
void ReportNode::add_real(const std::string &k, double v) {
  ReportNode n = node(k, Kind::kReal);
  n.real = std::isfinite(v) ? v : 0;  // JSON has no NaN or infinity
  children.push_back(std::move(n));
}
void ReportNode::add(const std::string &k, const std::string &v) {
  ReportNode n = node(k, Kind::kString);
  n.text = v;
  children.push_back(std::move(n));
}
void ReportNode::add(const std::string &k, bool v) {
  ReportNode n = node(k, Kind::kBool);
  n.flag = v;
  children.push_back(std::move(n));
}
void ReportNode::add(const std::string &k, std::vector<std::string> v) {
  ReportNode n = node(k, Kind::kList);
  n.list = std::move(v);
  children.push_back(std::move(n));
}

const ReportNode *ReportNode::find(const std::string &path) const {
  size_t dot = path.find('.');
  std::string head = path.substr(0, dot);
  for (const ReportNode &c : children)
    if (c.key == head) return dot == std::string::npos ? &c : c.find(path.substr(dot + 1));
  return nullptr;
}

std::string real_text(double v) {
  // Whole numbers print as integers (200000, not the shortest form 2e+05).
  if (std::fabs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

namespace {

double ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : static_cast<double>(a) / b;
}

std::string shape_text(const sim::TlbShape &t) {
  return t.present() ? std::to_string(t.sets) + "x" + std::to_string(t.ways) : "none";
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(v));
  return buf;
}

std::string size_text(uint64_t bytes) {
  const char *units[] = {"", "k", "m", "g", "t"};
  int u = 0;
  while (u < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + units[u];
}

const char *const kPwcNames[3] = {"pml4e", "pdpte", "pde"};

void add_config(ReportNode &root, const sim::SimConfig &c, const RunInfo &info) {
  ReportNode &cfg = root.object("config");
  cfg.add("source", info.source);
  if (!info.format.empty()) {
    cfg.add("format", info.format);
    cfg.add("format_detected", info.format_detected);
  }
  cfg.add("limit", info.limit);
  cfg.add("page_size", std::string(name_of(c.page_size)));
  cfg.add("levels", static_cast<uint64_t>(c.levels));
  ReportNode &frames = cfg.object("frames");
  for (int i = 0; i < kPageSizeCount; ++i)
    frames.add(name_of(static_cast<PageSize>(i)), c.frames[i]);
  std::vector<std::string> regions;
  for (const sim::Region &r : c.regions)
    regions.push_back(hex(r.start.value) + ":" + size_text(r.length.value) + ":" + name_of(r.size));
  cfg.add("regions", std::move(regions));
  cfg.add("policy", std::string(sim::name_of(c.replacement)));
  cfg.add("ref_bits", std::string(sim::name_of(c.ref_bits)));
  ReportNode &tlb = cfg.object("tlb");
  ReportNode &l1 = tlb.object("l1");
  for (int i = 0; i < kPageSizeCount; ++i)
    l1.add(name_of(static_cast<PageSize>(i)), shape_text(c.l1[i]));
  tlb.add("l2", shape_text(c.l2));
  tlb.add("policy", std::string(sim::name_of(c.tlb_replacement)));
  ReportNode &pwc = cfg.object("pwc");
  for (int i = 0; i < 3; ++i) pwc.add(kPwcNames[i], uint64_t{c.pwc_entries[i]});
  cfg.add("ifetch", c.ifetch);
  cfg.add("data", c.data);
  cfg.add("verify", c.verify);
  if (!c.swap.path.empty()) {
    ReportNode &sw = cfg.object("swap");
    sw.add("path", c.swap.path);
    sw.add("keep", c.swap.keep);
    sw.add("direct", c.swap.direct);
    sw.add("readahead", uint64_t{c.swap.readahead});
    sw.add("io", std::string(sim::name_of(c.swap.io)));
  }
  cfg.add("seed", c.seed);
  ReportNode &cost = cfg.object("cost");
  cost.add_real("l1_hit", c.cost.l1_hit);
  cost.add_real("l2_hit", c.cost.l2_hit);
  cost.add_real("walk_ref", c.cost.walk_ref);
  cost.add_real("pwc_hit", c.cost.pwc_hit);
  cost.add_real("minor_fault", c.cost.minor_fault);
  cost.add_real("major_fault", c.cost.major_fault);
  cost.add_real("writeback", c.cost.writeback);
}

void add_swap(ReportNode &root, const sim::SwapIoStats &w, const RunInfo &info) {
  ReportNode &sw = root.object("swap");
  sw.add("store", info.swap);
  sw.add("reads", w.reads);
  sw.add("reads_from_file", w.reads_from_file);
  sw.add("reads_from_writeback", w.reads_from_writeback);
  sw.add("reads_of_zero", w.reads_of_zero);
  ReportNode &ra = sw.object("readahead");
  ra.add("issued", w.readahead_issued);
  ra.add("hits", w.readahead_hits);
  sw.add("writes", w.writes);
  sw.add("bytes_read", w.bytes_read);
  sw.add("bytes_written", w.bytes_written);
  sw.add("submits", w.submits);
  sw.add("write_stalls", w.write_stalls);
  sw.add("slots_high_water", w.slots_high_water);
  ReportNode &us = sw.object("io_us");
  us.add_real("major_fault_p50", w.fault_us_p50);
  us.add_real("major_fault_p99", w.fault_us_p99);
  us.add_real("writeback_p50", w.writeback_us_p50);
  us.add_real("writeback_p99", w.writeback_us_p99);
  us.add_real("write_complete_p50", w.write_io_us_p50);
  us.add_real("write_complete_p99", w.write_io_us_p99);
}

void json_walk(const ReportNode &n, int depth, std::string *out) {
  std::string pad(static_cast<size_t>(depth) * 2, ' ');
  switch (n.kind) {
    case Kind::kObject: {
      *out += "{\n";
      size_t i = 0;
      for (const ReportNode &c : n.children) {
        *out += pad + "  \"" + json_escape(c.key) + "\": ";
        json_walk(c, depth + 1, out);
        *out += ++i < n.children.size() ? ",\n" : "\n";
      }
      *out += pad + "}";
      return;
    }
    case Kind::kCount:
      *out += std::to_string(n.count);
      return;
    case Kind::kReal:
      *out += real_text(n.real);
      return;
    case Kind::kString:
      *out += "\"" + json_escape(n.text) + "\"";
      return;
    case Kind::kBool:
      *out += n.flag ? "true" : "false";
      return;
    case Kind::kList:
      *out += "[";
      for (size_t i = 0; i < n.list.size(); ++i)
        *out += (i ? ", \"" : "\"") + json_escape(n.list[i]) + "\"";
      *out += "]";
      return;
  }
}

void csv_walk(const ReportNode &n, const std::string &prefix, std::vector<std::string> *keys,
              std::vector<std::string> *values) {
  std::string key = prefix.empty() ? n.key : prefix + "." + n.key;
  switch (n.kind) {
    case Kind::kObject:
      for (const ReportNode &c : n.children) csv_walk(c, key, keys, values);
      return;
    case Kind::kCount:
      values->push_back(std::to_string(n.count));
      break;
    case Kind::kReal:
      values->push_back(real_text(n.real));
      break;
    case Kind::kString:
      values->push_back(n.text);
      break;
    case Kind::kBool:
      values->push_back(n.flag ? "true" : "false");
      break;
    case Kind::kList: {
      std::string joined;
      for (const std::string &s : n.list) joined += (joined.empty() ? "" : " ") + s;
      values->push_back(joined);
      break;
    }
  }
  keys->push_back(key);
}

}  // namespace

std::string json_escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string csv_field(const std::string &s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

ReportNode build_report(const sim::SimConfig &config, const sim::SimStats &s, const RunInfo &info) {
  ReportNode root;
  root.add("accesses", s.accesses);
  root.add("reads", s.reads);
  root.add("writes", s.writes);
  root.add("ifetches", s.ifetches);
  root.add("translations", s.translations);
  ReportNode &tlb = root.object("tlb");
  ReportNode &l1 = tlb.object("l1");
  l1.add("hits", s.l1.hits);
  l1.add("misses", s.l1.misses);
  l1.add_real("hit_rate", ratio(s.l1.hits, s.translations));
  l1.add_real("miss_rate", ratio(s.l1.misses, s.translations));
  for (int i = 0; i < kPageSizeCount; ++i) {
    ReportNode &by = l1.object(name_of(static_cast<PageSize>(i)));
    by.add("hits", s.l1_by_size[i].hits);
    by.add("misses", s.l1_by_size[i].misses);
  }
  if (s.has_l2) {
    ReportNode &l2 = tlb.object("l2");
    uint64_t lookups = s.l2.hits + s.l2.misses;
    l2.add("hits", s.l2.hits);
    l2.add("misses", s.l2.misses);
    l2.add_real("hit_rate", ratio(s.l2.hits, lookups));
    l2.add_real("miss_rate", ratio(s.l2.misses, lookups));
  }
  root.add("walks", s.walks);
  root.add("walk_refs", s.walk_refs);
  ReportNode &pwc = root.object("pwc_hits");
  for (int i = 0; i < 3; ++i) pwc.add(kPwcNames[i], s.pwc_hits[i]);
  ReportNode &faults = root.object("faults");
  faults.add("minor", s.faults_minor);
  faults.add("major", s.faults_major);
  faults.add("total", s.faults());
  faults.add_real("rate", ratio(s.faults(), s.accesses));
  root.add("evictions", s.evictions);
  root.add("writebacks", s.writebacks);
  root.add("shootdowns", s.shootdowns);
  root.add("resident_pages", s.resident_pages);
  if (!config.swap.path.empty()) add_swap(root, s.swap, info);
  if (config.verify) {
    ReportNode &v = root.object("verify");
    v.add("reads", s.verified_reads);
    v.add("pages", s.verified_pages);
  }
  root.add_real("cycles", info.cycles);
  root.add_real("cycles_per_access", info.cycles_per_access);
  root.add("backing", info.backing);
  root.add_real("elapsed_seconds", info.seconds);
  add_config(root, config, info);
  return root;
}

std::string format_json(const ReportNode &root) {
  std::string out;
  json_walk(root, 0, &out);
  return out + "\n";
}

std::string format_csv(const ReportNode &root, bool header) {
  std::vector<std::string> keys, values;
  for (const ReportNode &c : root.children) csv_walk(c, "", &keys, &values);
  std::string out;
  if (header) {
    for (size_t i = 0; i < keys.size(); ++i) out += (i ? "," : "") + csv_field(keys[i]);
    out += "\n";
  }
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + csv_field(values[i]);
  return out + "\n";
}

std::string format_text(const sim::SimConfig &c, const sim::SimStats &s, const RunInfo &info) {
  std::string out;
  char line[256];
  auto put = [&](const char *fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    out += line;
  };
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  auto pct = [](uint64_t a, uint64_t b) { return 100.0 * ratio(a, b); };
  out += "source          " + info.source;
  if (!info.format.empty())
    out += " (" + info.format + (info.format_detected ? ", detected)" : ")");
  out += "\n";
  put("machine         %s pages, %d levels, frames 4k=%llu 2m=%llu 1g=%llu, policy %s%s\n",
      name_of(c.page_size), c.levels, u(c.frames[0]), u(c.frames[1]), u(c.frames[2]),
      sim::name_of(c.replacement),
      c.ref_bits == sim::RefBits::kTlbFill ? ", ref bits on TLB fill" : "");
  out += "tlb             l1 4k=" + shape_text(c.l1[0]) + " 2m=" + shape_text(c.l1[1]) +
         " 1g=" + shape_text(c.l1[2]) + ", l2 " + shape_text(c.l2) + ", " +
         sim::name_of(c.tlb_replacement) + "\n";
  put("accesses        %llu (reads %llu, writes %llu, ifetches %llu)\n", u(s.accesses), u(s.reads),
      u(s.writes), u(s.ifetches));
  put("translations    %llu\n", u(s.translations));
  put("tlb l1          hits %llu, misses %llu (miss rate %.3f%%)\n", u(s.l1.hits), u(s.l1.misses),
      pct(s.l1.misses, s.translations));
  if (s.has_l2)
    put("tlb l2          hits %llu, misses %llu (miss rate %.3f%%)\n", u(s.l2.hits), u(s.l2.misses),
        pct(s.l2.misses, s.l2.hits + s.l2.misses));
  put("page walks      %llu (%llu memory refs; pwc hits %llu/%llu/%llu)\n", u(s.walks),
      u(s.walk_refs), u(s.pwc_hits[0]), u(s.pwc_hits[1]), u(s.pwc_hits[2]));
  put("page faults     %llu (minor %llu, major %llu; %.4f%% of accesses)\n", u(s.faults()),
      u(s.faults_minor), u(s.faults_major), pct(s.faults(), s.accesses));
  put("evictions       %llu (writebacks %llu, tlb shootdowns %llu)\n", u(s.evictions),
      u(s.writebacks), u(s.shootdowns));
  put("resident pages  %llu\n", u(s.resident_pages));
  if (!c.swap.path.empty()) {
    const sim::SwapIoStats &w = s.swap;
    out += "swap file       " + info.swap + "\n";
    put("swap reads      %llu (file %llu, write-back buffers %llu, readahead hits %llu of %llu "
        "issued)\n",
        u(w.reads), u(w.reads_from_file), u(w.reads_from_writeback), u(w.readahead_hits),
        u(w.readahead_issued));
    put("swap writes     %llu (%llu submits, %llu stalls; %llu slots used)\n", u(w.writes),
        u(w.submits), u(w.write_stalls), u(w.slots_high_water));
    put("swap i/o time   major fault p50 %.1f us, p99 %.1f us; write-back p50 %.1f us, p99 "
        "%.1f us (model: %.0f and %.0f cycles)\n",
        w.fault_us_p50, w.fault_us_p99, w.writeback_us_p50, w.writeback_us_p99, c.cost.major_fault,
        c.cost.writeback);
  }
  if (c.verify)
    put("verified        %llu reads, %llu pages after major faults: no byte lost\n",
        u(s.verified_reads), u(s.verified_pages));
  put("cycles/access   %.3f (cost model: hpmm-sim(1))\n", info.cycles_per_access);
  out += "frame backing   " + info.backing + "\n";
  put("elapsed         %.3f s (%.1f M accesses/s)\n", info.seconds,
      info.seconds > 0 ? static_cast<double>(s.accesses) / info.seconds / 1e6 : 0.0);
  return out;
}

}  // namespace hpmm::cli
