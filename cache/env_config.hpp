// cache/env_config.hpp: libhpmm's settings from the environment, read without allocating (the
// shim walks `environ` itself, before constructors run if need be), and the choice of backing
// from what the machine offers.  man/hpmm.3 documents every variable.
//
//   HPMM_HUGEPAGES=auto|hugetlb|thp|off   backing (default auto)
//   HPMM_RELEASE_DELAY_MS=N                free hugepages wait N ms before release (default 1000)
//   HPMM_THP_THRESHOLD_MB=N                plain pages until N MiB of hugepages are in use, then
//                                          THP/pool pages and the plain ones promoted (12)
//   HPMM_HUGETLB_PAGES=N                   at most N pages of the hugetlb pool (default: half of
//                                          the pool's available pages at start in auto mode, all
//                                          of them in hugetlb mode)
//   HPMM_LIMIT_MB=N                        above N MiB resident, release at once and then break
//                                          hugepages (default 0: no limit)
//   HPMM_THREAD_CACHE_KB=N                 per-thread cache bound (default 4096)
//   HPMM_STATS=1                           print statistics to stderr at exit
// A value that does not parse is ignored (the default stays) and noted in `bad`, which the shim
// reports once on stderr.
#pragma once

#include <cstdint>
#include <cstring>

namespace hpmm {

enum class HugeMode : uint8_t { kAuto, kHugetlb, kThp, kOff };

struct EnvConfig {
  HugeMode huge = HugeMode::kAuto;
  uint64_t release_delay_ms = 1000;
  uint64_t thp_threshold_mb = 12;
  int64_t hugetlb_pages = -1;  // -1: half the available pool
  uint64_t limit_mb = 0;
  uint64_t thread_cache_kb = 4096;
  bool stats = false;
  const char *bad = nullptr;  // the first variable whose value was ignored
};

namespace env_detail {
// Parses a decimal number of at most 15 digits; false on anything else.
inline bool parse_u64(const char *s, uint64_t *out) {
  uint64_t v = 0;
  int n = 0;
  for (; *s != '\0'; ++s, ++n) {
    if (*s < '0' || *s > '9' || n >= 15) return false;
    v = v * 10 + static_cast<uint64_t>(*s - '0');
  }
  if (n == 0) return false;
  *out = v;
  return true;
}
// "NAME=value" -> value if the entry is NAME, else nullptr.
inline const char *value_of(const char *entry, const char *name) {
  size_t n = std::strlen(name);
  return std::strncmp(entry, name, n) == 0 && entry[n] == '=' ? entry + n + 1 : nullptr;
}
}  // namespace env_detail

// Reads the HPMM_* variables of env (a NULL-terminated array like environ; may be null).
inline EnvConfig parse_env(char *const *env) {
  using namespace env_detail;
  EnvConfig c;
  if (env == nullptr) return c;
  for (; *env != nullptr; ++env) {
    const char *e = *env;
    if (std::strncmp(e, "HPMM_", 5) != 0) continue;
    const char *v;
    uint64_t u;
    if ((v = value_of(e, "HPMM_HUGEPAGES")) != nullptr) {
      if (std::strcmp(v, "auto") == 0) {
        c.huge = HugeMode::kAuto;
      } else if (std::strcmp(v, "hugetlb") == 0) {
        c.huge = HugeMode::kHugetlb;
      } else if (std::strcmp(v, "thp") == 0) {
        c.huge = HugeMode::kThp;
      } else if (std::strcmp(v, "off") == 0) {
        c.huge = HugeMode::kOff;
      } else if (c.bad == nullptr) {
        c.bad = e;
      }
    } else if ((v = value_of(e, "HPMM_RELEASE_DELAY_MS")) != nullptr) {
      if (parse_u64(v, &u))
        c.release_delay_ms = u;
      else if (c.bad == nullptr)
        c.bad = e;
    } else if ((v = value_of(e, "HPMM_THP_THRESHOLD_MB")) != nullptr) {
      if (parse_u64(v, &u))
        c.thp_threshold_mb = u;
      else if (c.bad == nullptr)
        c.bad = e;
    } else if ((v = value_of(e, "HPMM_HUGETLB_PAGES")) != nullptr) {
      if (parse_u64(v, &u))
        c.hugetlb_pages = static_cast<int64_t>(u);
      else if (c.bad == nullptr)
        c.bad = e;
    } else if ((v = value_of(e, "HPMM_LIMIT_MB")) != nullptr) {
      if (parse_u64(v, &u))
        c.limit_mb = u;
      else if (c.bad == nullptr)
        c.bad = e;
    } else if ((v = value_of(e, "HPMM_THREAD_CACHE_KB")) != nullptr) {
      if (parse_u64(v, &u) && u >= 64)
        c.thread_cache_kb = u;
      else if (c.bad == nullptr)
        c.bad = e;
    } else if ((v = value_of(e, "HPMM_STATS")) != nullptr) {
      c.stats = v[0] != '\0' && std::strcmp(v, "0") != 0;
    }
  }
  return c;
}

// What the machine offers, as the shim found it (pal's discovery).
struct MachineHuge {
  uint64_t hugetlb_available = 0;  // 2 MiB pool pages a new mapping can get
  bool thp_usable = false;         // THP mode is always or madvise
};

// The backing decision: hugetlb pages and their budget, and THP.
struct BackingChoice {
  bool hugetlb = false;
  uint64_t hugetlb_budget = 0;
  bool thp = false;
};

inline BackingChoice choose_backing(const EnvConfig &c, const MachineHuge &m) {
  BackingChoice b;
  // By default auto takes half of what the pool has (the rest covers copy-on-write after a
  // fork, and other programs); an explicit hugetlb takes it all.
  uint64_t budget = c.hugetlb_pages >= 0        ? static_cast<uint64_t>(c.hugetlb_pages)
                    : c.huge == HugeMode::kAuto ? m.hugetlb_available / 2
                                                : m.hugetlb_available;
  if (budget > m.hugetlb_available) budget = m.hugetlb_available;
  switch (c.huge) {
    case HugeMode::kAuto:
      b.hugetlb = budget > 0;
      b.thp = m.thp_usable;
      break;
    case HugeMode::kHugetlb:
      b.hugetlb = budget > 0;
      break;
    case HugeMode::kThp:
      b.thp = m.thp_usable;
      break;
    case HugeMode::kOff:
      break;
  }
  b.hugetlb_budget = b.hugetlb ? budget : 0;
  return b;
}

// "hugetlb+thp", "hugetlb", "thp" or "plain": the backing in use, as reported.
inline const char *backing_name(const BackingChoice &b) {
  if (b.hugetlb) return b.thp ? "hugetlb+thp" : "hugetlb";
  return b.thp ? "thp" : "plain";
}

inline const char *mode_name(HugeMode m) {
  switch (m) {
    case HugeMode::kAuto:
      return "auto";
    case HugeMode::kHugetlb:
      return "hugetlb";
    case HugeMode::kThp:
      return "thp";
    case HugeMode::kOff:
      return "off";
  }
  return "?";
}

}  // namespace hpmm
