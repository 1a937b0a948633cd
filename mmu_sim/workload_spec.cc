// mmu_sim/workload_spec.cc: the --workload parser.  One table says which keys each kind takes
// and which it requires; each key's setter checks its own range, and the checks that involve two
// keys run after all are read.
#include "mmu_sim/workload_spec.hpp"

#include <charconv>
#include <string_view>

#include "base/bits.hpp"
#include "mmu_sim/workload_numbers.hpp"

namespace hpmm::sim {

const char *name_of(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kSeq:
      return "seq";
    case WorkloadKind::kStride:
      return "stride";
    case WorkloadKind::kUniform:
      return "uniform";
    case WorkloadKind::kZipf:
      return "zipf";
    case WorkloadKind::kHotCold:
      return "hotcold";
    case WorkloadKind::kPhases:
      return "phases";
  }
  return "?";
}

namespace {

constexpr int kKinds = 6;
constexpr unsigned bit(WorkloadKind k) {
  return 1u << static_cast<unsigned>(k);
}
constexpr unsigned kAll = (1u << kKinds) - 1;
constexpr unsigned kSeqB = bit(WorkloadKind::kSeq), kStrideB = bit(WorkloadKind::kStride),
                   kUniformB = bit(WorkloadKind::kUniform), kZipfB = bit(WorkloadKind::kZipf),
                   kHotB = bit(WorkloadKind::kHotCold), kPhasesB = bit(WorkloadKind::kPhases);
constexpr uint64_t kAddressLimit = uint64_t{1} << 57;

using Setter = bool (*)(std::string_view, WorkloadSpec *, std::string *);

struct KeyDef {
  const char *name;
  unsigned allowed;   // kinds that take the key
  unsigned required;  // kinds that need it
  Setter set;
};

bool count_at_least(std::string_view v, uint64_t min, uint64_t *out, std::string *why) {
  if (!parse_count(v, out, why)) return false;
  if (*out < min) {
    *why = "must be >= " + std::to_string(min);
    return false;
  }
  return true;
}

bool real_in(std::string_view v, double lo, bool lo_open, double hi, bool hi_open, double *out,
             std::string *why, const char *range) {
  if (!parse_real(v, out, why)) return false;
  bool ok = (lo_open ? *out > lo : *out >= lo) && (hi_open ? *out < hi : *out <= hi);
  if (!ok) *why = std::string("must be ") + range;
  return ok;
}

bool pow2_size(std::string_view v, uint64_t lo, uint64_t hi, uint64_t *out, std::string *why) {
  if (!parse_size(v, out, why)) return false;
  if (!is_pow2(*out) || *out < lo || *out > hi) {
    *why = "must be a power of two from " + std::to_string(lo) + " to " + std::to_string(hi);
    return false;
  }
  return true;
}

const KeyDef kKeys[] = {
    {"pages", kAll, kAll,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return count_at_least(v, 1, &s->pages, w);
     }},
    {"pagesize", kAll, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return pow2_size(v, 64, uint64_t{1} << 30, &s->pagesize, w);
     }},
    {"size", kAll, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return pow2_size(v, 1, uint64_t{1} << 20, &s->size, w);
     }},
    {"base", kAll, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return parse_address(v, &s->base, w);
     }},
    {"write", kAll, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return real_in(v, 0, false, 1, false, &s->write, w, "in [0, 1]");
     }},
    {"seed", kAll, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       s->has_seed = true;
       return parse_count(v, &s->seed, w);
     }},
    {"passes", kSeqB | kStrideB, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return count_at_least(v, 1, &s->passes, w);
     }},
    {"step", kStrideB, kStrideB,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return count_at_least(v, 1, &s->step, w);
     }},
    {"order", kStrideB, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       if (v != "row" && v != "col") {
         *w = "must be row or col";
         return false;
       }
       s->column_order = v == "col";
       return true;
     }},
    {"accesses", kUniformB | kZipfB | kHotB | kPhasesB, kUniformB | kZipfB | kHotB | kPhasesB,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return count_at_least(v, 1, &s->accesses, w);
     }},
    {"s", kZipfB, kZipfB,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return real_in(v, 0, true, 100, false, &s->s, w, "> 0 and <= 100");
     }},
    {"hot", kHotB, kHotB,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return real_in(v, 0, true, 1, true, &s->hot, w, "> 0 and < 1");
     }},
    {"hotfrac", kHotB, kHotB,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return real_in(v, 0, false, 1, false, &s->hotfrac, w, "in [0, 1]");
     }},
    {"scatter", kZipfB | kHotB, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       if (v != "0" && v != "1") {
         *w = "must be 0 or 1";
         return false;
       }
       s->scatter = v == "1";
       return true;
     }},
    {"ws", kPhasesB, kPhasesB,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return count_at_least(v, 1, &s->ws, w);
     }},
    {"phases", kPhasesB, kPhasesB,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return count_at_least(v, 1, &s->phases, w);
     }},
    {"shift", kPhasesB, 0,
     [](std::string_view v, WorkloadSpec *s, std::string *w) {
       return parse_count(v, &s->shift, w);
     }},
};
constexpr size_t kKeyCount = sizeof(kKeys) / sizeof(kKeys[0]);

bool mul(uint64_t a, uint64_t b, uint64_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}

std::string real_text(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string hex_text(uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  return "0x" + std::string(buf, r.ptr);
}

// The checks that involve more than one key.  "" when the spec is consistent.
std::string cross_check(const WorkloadSpec &s) {
  if (s.size > s.pagesize) return "size: must be <= pagesize (" + std::to_string(s.pagesize) + ")";
  if (s.base % s.pagesize != 0) return "base: must be a multiple of pagesize";
  uint64_t bytes;
  if (!mul(s.pages, s.pagesize, &bytes) || s.base >= kAddressLimit ||
      bytes > kAddressLimit - s.base)
    return "pages: base + pages * pagesize goes past 2^57, the largest address space";
  if (s.kind == WorkloadKind::kStride && s.pages % s.step != 0)
    return "step: pages (" + std::to_string(s.pages) + ") must be a multiple of step";
  if (s.kind == WorkloadKind::kHotCold) {
    double h = s.hot * static_cast<double>(s.pages);
    if (h < 0.5 || h > static_cast<double>(s.pages) - 0.5)
      return "hot: hot * pages must round to at least 1 page and leave at least 1 cold page";
  }
  if (s.kind == WorkloadKind::kPhases && s.ws > s.pages)
    return "ws: must be <= pages (" + std::to_string(s.pages) + ")";
  uint64_t total = 1;
  bool ok = true;
  switch (s.kind) {
    case WorkloadKind::kSeq:
    case WorkloadKind::kStride:
      ok = mul(bytes / s.size, s.passes, &total);
      break;
    case WorkloadKind::kPhases:
      ok = mul(s.phases, s.accesses, &total);
      break;
    default:
      total = s.accesses;
  }
  if (!ok || total >= (uint64_t{1} << 63)) return "too many accesses (2^63 or more)";
  return "";
}

}  // namespace

uint64_t WorkloadSpec::total() const {
  switch (kind) {
    case WorkloadKind::kSeq:
    case WorkloadKind::kStride:
      return pages * (pagesize / size) * passes;
    case WorkloadKind::kPhases:
      return phases * accesses;
    default:
      return accesses;
  }
}

bool WorkloadSpec::valid() const {
  bool ranges = pages >= 1 && is_pow2(pagesize) && pagesize >= 64 && pagesize <= (1u << 30) &&
                is_pow2(size) && size <= (1u << 20) && write >= 0 && write <= 1 && passes >= 1;
  switch (kind) {
    case WorkloadKind::kStride:
      ranges = ranges && step >= 1;
      break;
    case WorkloadKind::kUniform:
      ranges = ranges && accesses >= 1;
      break;
    case WorkloadKind::kZipf:
      ranges = ranges && accesses >= 1 && s > 0 && s <= 100;
      break;
    case WorkloadKind::kHotCold:
      ranges = ranges && accesses >= 1 && hot > 0 && hot < 1 && hotfrac >= 0 && hotfrac <= 1;
      break;
    case WorkloadKind::kPhases:
      ranges = ranges && accesses >= 1 && ws >= 1 && phases >= 1;
      break;
    case WorkloadKind::kSeq:
      break;
  }
  return ranges && cross_check(*this).empty();
}

std::string WorkloadSpec::canonical() const {
  std::string out = std::string(name_of(kind)) + ":pages=" + std::to_string(pages);
  auto add = [&](const char *key, const std::string &v) {
    out += std::string(",") + key + "=" + v;
  };
  switch (kind) {
    case WorkloadKind::kSeq:
      add("passes", std::to_string(passes));
      break;
    case WorkloadKind::kStride:
      add("step", std::to_string(step));
      add("order", column_order ? "col" : "row");
      add("passes", std::to_string(passes));
      break;
    case WorkloadKind::kUniform:
      add("accesses", std::to_string(accesses));
      break;
    case WorkloadKind::kZipf:
      add("s", real_text(s));
      add("accesses", std::to_string(accesses));
      add("scatter", scatter ? "1" : "0");
      break;
    case WorkloadKind::kHotCold:
      add("hot", real_text(hot));
      add("hotfrac", real_text(hotfrac));
      add("accesses", std::to_string(accesses));
      add("scatter", scatter ? "1" : "0");
      break;
    case WorkloadKind::kPhases:
      add("ws", std::to_string(ws));
      add("phases", std::to_string(phases));
      add("accesses", std::to_string(accesses));
      add("shift", std::to_string(shift));
      break;
  }
  add("pagesize", std::to_string(pagesize));
  add("size", std::to_string(size));
  add("base", hex_text(base));
  add("write", real_text(write));
  if (has_seed) add("seed", std::to_string(seed));
  return out;
}

bool parse_workload_spec(const std::string &text, WorkloadSpec *out, std::string *error) {
  std::string_view t(text);
  size_t colon = t.find(':');
  std::string_view kind_name = t.substr(0, colon);
  WorkloadSpec s;
  bool known = false;
  for (int k = 0; k < kKinds; ++k)
    if (kind_name == name_of(static_cast<WorkloadKind>(k))) {
      s.kind = static_cast<WorkloadKind>(k);
      known = true;
    }
  if (!known) {
    *error = "unknown workload '" + std::string(kind_name) +
             "' (seq, stride, uniform, zipf, hotcold, phases)";
    return false;
  }
  const std::string kind(kind_name);
  const unsigned me = bit(s.kind);
  bool seen[kKeyCount] = {};
  std::string_view rest =
      colon == std::string_view::npos ? std::string_view() : t.substr(colon + 1);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      *error = kind + ": '" + std::string(item) + "' is not key=value";
      return false;
    }
    std::string key(item.substr(0, eq));
    std::string_view value = item.substr(eq + 1);
    size_t i = 0;
    while (i < kKeyCount && (key != kKeys[i].name || (kKeys[i].allowed & me) == 0)) ++i;
    if (i == kKeyCount) {
      *error = kind + ": unknown key '" + key + "'";
      return false;
    }
    if (seen[i]) {
      *error = kind + ": key '" + key + "' given twice";
      return false;
    }
    seen[i] = true;
    std::string why;
    if (!kKeys[i].set(value, &s, &why)) {
      *error = kind + ": " + key + ": " + why + " ('" + std::string(value) + "')";
      return false;
    }
  }
  bool has_shift = false;
  for (size_t i = 0; i < kKeyCount; ++i) {
    if ((kKeys[i].required & me) != 0 && !seen[i]) {
      *error = kind + ": missing key '" + kKeys[i].name + "'";
      return false;
    }
    if (std::string_view(kKeys[i].name) == "shift") has_shift = seen[i];
  }
  if (s.kind == WorkloadKind::kPhases && !has_shift) s.shift = s.ws;
  std::string bad = cross_check(s);
  if (!bad.empty()) {
    *error = kind + ": " + bad;
    return false;
  }
  *out = s;
  return true;
}

}  // namespace hpmm::sim
