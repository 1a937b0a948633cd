// cli/options.cc: the hpmm-sim command-line parser.  Flags are collected first (so their order
// does not matter: --frames 256 means frames of the --page-size given anywhere), then resolved
// into a SimConfig and checked as a whole.
#include "cli/options.hpp"

#include <map>
#include <string_view>

#include "mmu_sim/workload_numbers.hpp"

namespace hpmm::cli {
namespace {

using sim::SimConfig;

const char *const kSizeNames[] = {"4k", "2m", "1g"};
const char *const kPolicyChoices = "fifo, lru, clock, opt, random, 2q, arc, lirs or linux";

std::vector<std::string> split(const std::string &v, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = v.find(sep, start);
    out.push_back(v.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::string count_value(const std::string &v, uint64_t min, uint64_t max, uint64_t *out) {
  std::string why;
  if (!sim::parse_count(v, out, &why)) return why + " ('" + v + "')";
  if (*out < min || *out > max)
    return "must be from " + std::to_string(min) + " to " + std::to_string(max) + " ('" + v + "')";
  return "";
}

template <class Enum, int N>
std::string enum_value(const std::string &v, Enum *out, const char *choices) {
  for (int i = 0; i < N; ++i)
    if (v == sim::name_of(static_cast<Enum>(i))) {
      *out = static_cast<Enum>(i);
      return "";
    }
  return "unknown value '" + v + "' (" + choices + ")";
}

// "SxW" (sets x ways), or "0"/"none" for an absent array.
std::string tlb_shape(const std::string &v, sim::TlbShape *out) {
  if (v == "0" || v == "none") {
    *out = sim::TlbShape{};
    return "";
  }
  size_t x = v.find('x');
  if (x == std::string::npos) return "'" + v + "' is not SETSxWAYS (e.g. 16x4) or none";
  uint64_t sets = 0, ways = 0;
  std::string why;
  if (!sim::parse_count(v.substr(0, x), &sets, &why) ||
      !sim::parse_count(v.substr(x + 1), &ways, &why))
    return "'" + v + "' is not SETSxWAYS (e.g. 16x4) or none";
  if (sets < 1 || ways < 1) return "'" + v + "': sets and ways must be >= 1";
  if (sets > (uint64_t{1} << 24) || ways > 4096)
    return "'" + v + "': at most 16777216 sets and 4096 ways";
  *out = sim::TlbShape{static_cast<uint32_t>(sets), static_cast<uint32_t>(ways)};
  return "";
}

std::string cost_value(const std::string &v, sim::CostModel *cost) {
  std::map<std::string, double *> keys = {
      {"l1-hit", &cost->l1_hit},           {"l2-hit", &cost->l2_hit},
      {"walk-ref", &cost->walk_ref},       {"pwc-hit", &cost->pwc_hit},
      {"minor-fault", &cost->minor_fault}, {"major-fault", &cost->major_fault},
      {"writeback", &cost->writeback}};
  for (const std::string &item : split(v, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) return "'" + item + "' is not KEY=CYCLES";
    auto it = keys.find(item.substr(0, eq));
    if (it == keys.end())
      return "unknown key '" + item.substr(0, eq) +
             "' (l1-hit, l2-hit, walk-ref, pwc-hit, minor-fault, major-fault, writeback)";
    std::string why;
    if (!sim::parse_real(item.substr(eq + 1), it->second, &why))
      return it->first + ": " + why + " ('" + item.substr(eq + 1) + "')";
  }
  return "";
}

std::string pwc_value(const std::string &v, SimConfig *c) {
  if (v == "none" || v == "0") {
    for (uint32_t &e : c->pwc_entries) e = 0;
    return "";
  }
  auto parts = split(v, ',');
  if (parts.size() != 3) return "want three counts PML4E,PDPTE,PDE (e.g. 2,4,32) or none";
  for (int i = 0; i < 3; ++i) {
    uint64_t n = 0;
    std::string bad = count_value(parts[i], 0, 65536, &n);
    if (!bad.empty()) return bad;
    c->pwc_entries[i] = static_cast<uint32_t>(n);
  }
  return "";
}

// The flags that take a value; the others are switches.
bool takes_value(std::string_view f) {
  for (const char *v : {"--trace", "--format", "--workload", "--page-size", "--frames", "--memory",
                        "--region", "--policy", "--tlb", "--tlb-policy", "--ref-bits", "--levels",
                        "--seed", "--output", "--limit", "--pwc", "--cost"})
    if (f == v) return true;
  for (const char *v : {"--swap", "--readahead", "--swap-io"})  // swap to a file
    if (f == v) return true;
  return false;
}
bool is_switch(std::string_view f) {
  for (const char *v : {"--ifetch", "--json", "--csv", "--quiet", "--no-header", "--help"})
    if (f == v) return true;
  for (const char *v : {"--keep-swap", "--swap-direct", "--verify"})  // swap to a file
    if (f == v) return true;
  return false;
}

std::string resolve(const std::map<std::string, std::string> &flags,
                    const std::vector<std::string> &regions, Options *o);

// --swap FILE, --keep-swap, --swap-direct, --readahead N, --swap-io auto|uring|sync, --verify.
// A swap file or --verify turns data on (frames hold bytes).
std::string resolve_swap(const std::map<std::string, std::string> &flags, SimConfig *c) {
  auto has = [&](const char *f) { return flags.count(f) != 0; };
  if (has("--swap")) {
    c->swap.path = flags.at("--swap");
    if (c->swap.path.empty()) return "--swap: empty file name";
    c->data = true;
  } else {
    for (const char *f : {"--keep-swap", "--swap-direct", "--readahead", "--swap-io"})
      if (has(f)) return std::string(f) + " needs --swap FILE";
  }
  c->swap.keep = has("--keep-swap");
  c->swap.direct = has("--swap-direct");
  if (has("--readahead")) {
    uint64_t n = 0;
    std::string bad = count_value(flags.at("--readahead"), 0, 64, &n);
    if (!bad.empty()) return "--readahead: " + bad;
    c->swap.readahead = static_cast<uint32_t>(n);
  }
  if (has("--swap-io")) {
    const std::string v = flags.at("--swap-io");
    bool found = false;
    for (int i = 0; i < 3 && !found; ++i)
      if (v == sim::name_of(static_cast<sim::SwapIo>(i))) {
        c->swap.io = static_cast<sim::SwapIo>(i);
        found = true;
      }
    if (!found) return "--swap-io: unknown value '" + v + "' (auto, uring or sync)";
  }
  c->verify = has("--verify");
  if (c->verify) c->data = true;
  return "";
}

}  // namespace

std::string parse_page_size(const std::string &v, PageSize *out) {
  uint64_t bytes = 0;
  std::string why;
  if (sim::parse_size(v, &bytes, &why))
    for (int i = 0; i < kPageSizeCount; ++i)
      if (bytes == bytes_of(static_cast<PageSize>(i)).value) {
        *out = static_cast<PageSize>(i);
        return "";
      }
  return "unknown page size '" + v + "' (4k, 2m or 1g)";
}

std::string parse_tlb(const std::string &v, SimConfig *c) {
  std::map<std::string, sim::TlbShape> given;
  for (const std::string &item : split(v, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) return "'" + item + "' is not KEY=SETSxWAYS";
    std::string key = item.substr(0, eq);
    if (key != "l1" && key != "l2" && key != "l1-4k" && key != "l1-2m" && key != "l1-1g")
      return "unknown key '" + key + "' (l1, l2, l1-4k, l1-2m, l1-1g)";
    if (given.count(key) != 0) return "key '" + key + "' given twice";
    std::string bad = tlb_shape(item.substr(eq + 1), &given[key]);
    if (!bad.empty()) return key + ": " + bad;
  }
  if (given.count("l1") != 0)
    for (sim::TlbShape &t : c->l1) t = given["l1"];
  for (int i = 0; i < kPageSizeCount; ++i) {
    auto it = given.find(std::string("l1-") + kSizeNames[i]);
    if (it != given.end()) c->l1[i] = it->second;
  }
  if (given.count("l2") != 0) c->l2 = given["l2"];
  return "";
}

std::string parse_frames(const std::string &v, bool memory, SimConfig *c) {
  bool seen[kPageSizeCount] = {};
  for (const std::string &item : split(v, ',')) {
    size_t eq = item.find('=');
    PageSize size = c->page_size;
    std::string value = item;
    if (eq != std::string::npos) {
      std::string bad = parse_page_size(item.substr(0, eq), &size);
      if (!bad.empty()) return bad;
      value = item.substr(eq + 1);
    }
    int i = index_of(size);
    if (seen[i]) return std::string("the ") + kSizeNames[i] + " pool is given twice";
    seen[i] = true;
    uint64_t n = 0;
    std::string why;
    if (memory) {
      if (!sim::parse_size(value, &n, &why)) return why + " ('" + value + "')";
      n /= bytes_of(size).value;  // whole frames: rounded down
      if (n == 0) return "'" + value + "' is less than one " + kSizeNames[i] + " frame";
    } else {
      if (!sim::parse_count(value, &n, &why)) return why + " ('" + value + "')";
      if (n == 0) return "must be >= 1 ('" + value + "')";
    }
    if (n > (uint64_t{1} << 31)) return "more than 2^31 frames ('" + value + "')";
    c->frames[i] = n;
  }
  return "";
}

std::string parse_region(const std::string &v, sim::Region *out) {
  auto parts = split(v, ':');
  if (parts.size() != 3) return "'" + v + "' is not START:LENGTH:PAGESIZE";
  uint64_t start = 0, length = 0;
  std::string why;
  if (!sim::parse_address(parts[0], &start, &why))
    return "'" + v + "': start: " + why + " ('" + parts[0] + "')";
  if (!sim::parse_size(parts[1], &length, &why))
    return "'" + v + "': length: " + why + " ('" + parts[1] + "')";
  PageSize size;
  std::string bad = parse_page_size(parts[2], &size);
  if (!bad.empty()) return "'" + v + "': " + bad;
  uint64_t pb = bytes_of(size).value;
  if (length == 0) return "'" + v + "': length must be > 0";
  if (start % pb != 0 || length % pb != 0)
    return "'" + v + "': start and length must be multiples of " + kSizeNames[index_of(size)];
  if (start + length < start) return "'" + v + "': wraps around the address space";
  *out = sim::Region{VirtAddr(start), Bytes(length), size};
  return "";
}

bool parse_options(int argc, const char *const *argv, Options *o, std::string *error) {
  *o = Options{};
  if (argc < 2) {
    *error = "missing command (run, or --help)";
    return false;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    o->command = Command::kHelp;
    return true;
  }
  if (cmd == "--version" || cmd == "-V") {
    o->command = Command::kVersion;
    return true;
  }
  if (cmd != "run") {
    *error = cmd.rfind("-", 0) == 0 ? "'" + cmd + "' must follow a command (run)"
                                    : "unknown command '" + cmd + "' (run, sweep, mrc, wss, multi)";
    return false;
  }
  o->command = Command::kRun;
  std::map<std::string, std::string> flags;
  std::vector<std::string> regions;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool has_value = false;
    if (arg == "-h")
      arg = "--help";
    else if (arg == "-q")
      arg = "--quiet";
    else if (arg == "-o")
      arg = "--output";
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      *error = "unexpected argument '" + arg + "'";
      return false;
    }
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (is_switch(arg)) {
      if (has_value) {
        *error = arg + " takes no value";
        return false;
      }
      if (arg == "--help") {
        o->command = Command::kRunHelp;
        return true;
      }
      flags[arg] = "";
      continue;
    }
    if (!takes_value(arg)) {
      *error = "unknown flag '" + arg + "'";
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc || (std::string_view(argv[i + 1]).rfind("--", 0) == 0)) {
        *error = arg + ": missing value";
        return false;
      }
      value = argv[++i];
    }
    if (arg == "--region") {
      regions.push_back(value);
      continue;
    }
    if (flags.count(arg) != 0) {
      *error = arg + " given twice";
      return false;
    }
    flags[arg] = value;
  }
  *error = resolve(flags, regions, o);
  return error->empty();
}

namespace {

std::string resolve(const std::map<std::string, std::string> &flags,
                    const std::vector<std::string> &regions, Options *o) {
  auto has = [&](const char *f) { return flags.count(f) != 0; };
  auto get = [&](const char *f) { return flags.at(f); };
  SimConfig &c = o->config;
  std::string bad;
  auto named = [&](const char *flag) { return std::string(flag) + ": " + bad; };

  o->has_trace = has("--trace");
  o->has_workload = has("--workload");
  if (o->has_trace == o->has_workload)
    return o->has_trace ? "--trace and --workload are exclusive: give one source"
                        : "give a source: --trace FILE or --workload SPEC";
  if (o->has_trace) {
    o->trace = get("--trace");
    if (o->trace.empty()) return "--trace: empty file name";
  }
  if (has("--format")) {
    if (!o->has_trace) return "--format applies to --trace only";
    std::string f = get("--format");
    if (f != "auto") {
      if (!sim::parse_trace_format(f, &o->format))
        return "--format: unknown format '" + f + "' (lackey, text or auto)";
      o->format_given = true;
    }
  }
  if (o->has_workload) {
    o->workload_text = get("--workload");
    std::string err;
    if (!sim::parse_workload_spec(o->workload_text, &o->workload, &err))
      return "--workload: " + err;
  }
  if (has("--page-size") && !(bad = parse_page_size(get("--page-size"), &c.page_size)).empty())
    return named("--page-size");
  if (has("--levels")) {
    uint64_t n = 0;
    if (!(bad = count_value(get("--levels"), 4, 5, &n)).empty()) return named("--levels");
    c.levels = static_cast<int>(n);
  }
  for (const std::string &r : regions) {
    sim::Region region;
    if (!(bad = parse_region(r, &region)).empty()) return named("--region");
    c.regions.push_back(region);
  }
  if (has("--frames") && has("--memory")) return "--frames and --memory are exclusive";
  for (uint64_t &f : c.frames) f = 0;
  if (has("--frames") && !(bad = parse_frames(get("--frames"), false, &c)).empty())
    return named("--frames");
  if (has("--memory") && !(bad = parse_frames(get("--memory"), true, &c)).empty())
    return named("--memory");
  if (!has("--frames") && !has("--memory")) c.frames[index_of(c.page_size)] = 256;
  for (const sim::Region &r : c.regions)
    if (c.frames[index_of(r.size)] == 0)
      return std::string("--region: ") + kSizeNames[index_of(r.size)] +
             " pages are used but have no frames (give --frames " + kSizeNames[index_of(r.size)] +
             "=N)";
  if (c.frames[index_of(c.page_size)] == 0)
    return std::string("--frames: the default page size ") + kSizeNames[index_of(c.page_size)] +
           " has no frames";
  if (has("--tlb") && !(bad = parse_tlb(get("--tlb"), &c)).empty()) return named("--tlb");
  if (has("--tlb-policy") &&
      !(bad = enum_value<sim::TlbReplacement, 4>(get("--tlb-policy"), &c.tlb_replacement,
                                                 "lru, plru, fifo or random"))
           .empty())
    return named("--tlb-policy");
  if (has("--policy") &&
      !(bad = enum_value<sim::PageReplacement, static_cast<int>(sim::PageReplacement::kCount)>(
            get("--policy"), &c.replacement, kPolicyChoices))
           .empty())
    return named("--policy");
  if (has("--ref-bits") && !(bad = enum_value<sim::RefBits, 2>(get("--ref-bits"), &c.ref_bits,
                                                               "every-access or tlb-fill"))
                                .empty())
    return named("--ref-bits");
  if (has("--pwc") && !(bad = pwc_value(get("--pwc"), &c)).empty()) return named("--pwc");
  if (has("--cost") && !(bad = cost_value(get("--cost"), &c.cost)).empty()) return named("--cost");
  if (has("--seed") && !(bad = count_value(get("--seed"), 0, UINT64_MAX, &c.seed)).empty())
    return named("--seed");
  if (has("--limit") && !(bad = count_value(get("--limit"), 1, UINT64_MAX, &o->limit)).empty())
    return named("--limit");
  c.ifetch = has("--ifetch");
  if (c.ifetch && !o->has_trace) return "--ifetch applies to --trace only";
  if (has("--json") && has("--csv")) return "--json and --csv are exclusive";
  if (has("--json")) o->output_format = OutputFormat::kJson;
  if (has("--csv")) o->output_format = OutputFormat::kCsv;
  if (has("--no-header")) {
    if (!has("--csv")) return "--no-header applies to --csv only";
    o->csv_header = false;
  }
  if (has("--output")) {
    o->output = get("--output");
    if (o->output.empty()) return "--output: empty file name";
  }
  o->quiet = has("--quiet");
  if (!(bad = resolve_swap(flags, &c)).empty()) return bad;

  const unsigned va_bits = 12 + 9 * static_cast<unsigned>(c.levels);
  const uint64_t va_limit = uint64_t{1} << va_bits;
  if (o->has_workload && o->workload.end() > va_limit)
    return "--workload: addresses reach past 2^" + std::to_string(va_bits) +
           ", the address space of --levels " + std::to_string(c.levels) +
           (c.levels == 4 ? " (use --levels 5 or a smaller base/pages)" : "");
  for (const sim::Region &r : c.regions)
    if (r.start.value + r.length.value > va_limit)
      return "--region: ends past 2^" + std::to_string(va_bits) +
             ", the address space of --levels " + std::to_string(c.levels);
  std::string invalid = c.validate();
  if (!invalid.empty()) return "invalid configuration: " + invalid;
  return "";
}

}  // namespace
}  // namespace hpmm::cli
