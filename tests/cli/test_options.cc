// tests/cli/test_options.cc: hpmm-sim's command-line parser, without running anything.
// The parser comes from libhpmm-cli.a (cli/ minus main.cc), which every test binary links.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "cli/options.hpp"

using namespace hpmm;
using namespace hpmm::cli;

namespace {

bool parse(std::vector<const char *> args, Options *o, std::string *err) {
  args.insert(args.begin(), "hpmm-sim");
  return parse_options(static_cast<int>(args.size()), args.data(), o, err);
}

Options ok(std::vector<const char *> args) {
  Options o;
  std::string err;
  cr_assert(parse(args, &o, &err), "unexpected error: %s", err.c_str());
  return o;
}

void bad(std::vector<const char *> args, const std::string &what) {
  Options o;
  std::string err;
  std::string line;
  for (const char *a : args) line += std::string(a) + " ";
  cr_assert(!parse(args, &o, &err), "'%s' should be rejected", line.c_str());
  cr_assert(err.find(what) != std::string::npos, "'%s': error '%s' should contain '%s'",
            line.c_str(), err.c_str(), what.c_str());
}

}  // namespace

Test(options, commands) {
  cr_assert_eq(ok({"--help"}).command, Command::kHelp);
  cr_assert_eq(ok({"-h"}).command, Command::kHelp);
  cr_assert_eq(ok({"--version"}).command, Command::kVersion);
  cr_assert_eq(ok({"run", "--help"}).command, Command::kRunHelp);
  cr_assert_eq(ok({"run", "--trace", "x", "-h"}).command, Command::kRunHelp);
  bad({}, "missing command");
  bad({"walk"}, "unknown command 'walk'");
  bad({"--trace", "x"}, "'--trace' must follow a command (run)");
}

Test(options, defaults) {
  Options o = ok({"run", "--trace", "ls.trace"});
  cr_assert(o.has_trace && !o.has_workload);
  cr_assert_eq(o.trace, "ls.trace");
  cr_assert(!o.format_given, "the format is detected unless given");
  cr_assert_eq(o.config.page_size, PageSize::k4K);
  cr_assert_eq(o.config.frames[0], 256u);
  cr_assert_eq(o.config.frames[1], 0u);
  cr_assert_eq(o.config.replacement, sim::PageReplacement::kClock);
  cr_assert_eq(o.config.l2.sets, 128u);
  cr_assert_eq(o.output_format, OutputFormat::kText);
  cr_assert_eq(o.config.levels, 4);
  cr_assert_eq(o.config.seed, 1u);
}

Test(options, the_brief_examples) {
  Options a = ok({"run", "--trace", "ls.trace", "--format", "lackey", "--page-size", "4k",
                  "--frames", "256", "--policy", "clock", "--tlb", "l1=16x4,l2=128x12", "--json"});
  cr_assert(a.format_given && a.format == sim::TraceFormat::kLackey);
  cr_assert_eq(a.output_format, OutputFormat::kJson);
  for (int i = 0; i < kPageSizeCount; ++i)
    cr_assert_eq(a.config.l1[i].sets, 16u, "l1= shapes every size");
  Options b = ok({"run", "--workload", "stride:pages=65536,step=16,passes=4", "--page-size", "2m",
                  "--frames", "64", "--csv"});
  cr_assert(b.has_workload);
  cr_assert_eq(b.workload.kind, sim::WorkloadKind::kStride);
  cr_assert_eq(b.config.page_size, PageSize::k2M);
  cr_assert_eq(b.config.frames[1], 64u, "--frames N counts frames of --page-size");
  cr_assert_eq(b.config.frames[0], 0u);
  cr_assert_eq(b.output_format, OutputFormat::kCsv);
}

Test(options, flag_order_and_equals_form) {
  Options o = ok({"run", "--frames=8", "--page-size=2m", "--workload=seq:pages=4", "-q", "-o",
                  "out.json", "--json"});
  cr_assert_eq(o.config.frames[1], 8u, "--frames before --page-size still means 2m frames");
  cr_assert(o.quiet);
  cr_assert_eq(o.output, "out.json");
}

Test(options, frames_memory_regions) {
  Options o = ok({"run", "--workload", "seq:pages=4", "--frames", "4k=256,2m=8", "--region",
                  "0x40000000:64m:2m", "--region", "0x80000000:1g:2m"});
  cr_assert_eq(o.config.frames[0], 256u);
  cr_assert_eq(o.config.frames[1], 8u);
  cr_assert_eq(o.config.regions.size(), 2u);
  cr_assert_eq(o.config.regions[0].start.value, 0x40000000u);
  cr_assert_eq(o.config.regions[0].length.value, 64u << 20);
  cr_assert_eq(o.config.regions[1].size, PageSize::k2M);
  Options m = ok({"run", "--workload", "seq:pages=4", "--memory", "64M"});
  cr_assert_eq(m.config.frames[0], 16384u);
  Options r = ok({"run", "--workload", "seq:pages=4", "--memory", "1000k"});
  cr_assert_eq(r.config.frames[0], 250u, "rounded down to whole frames");
  Options h = ok({"run", "--workload", "seq:pages=4", "--memory", "4k=1M,2m=1G"});
  cr_assert_eq(h.config.frames[0], 256u);
  cr_assert_eq(h.config.frames[1], 512u);
}

Test(options, tlb_shapes) {
  Options o = ok({"run", "--workload", "seq:pages=4", "--tlb", "l1=32x4,l1-2m=16x2,l2=none"});
  cr_assert_eq(o.config.l1[0].sets, 32u);
  cr_assert_eq(o.config.l1[1].sets, 16u, "a size's own key wins over l1=");
  cr_assert_eq(o.config.l1[1].ways, 2u);
  cr_assert_eq(o.config.l1[2].sets, 32u);
  cr_assert(!o.config.l2.present());
  Options p = ok({"run", "--workload", "seq:pages=4", "--tlb", "l1-2m=16x2,l1=32x4"});
  cr_assert_eq(p.config.l1[1].sets, 16u, "order does not matter");
  cr_assert(ok({"run", "--workload", "seq:pages=4", "--tlb", "l2=0"}).config.l2.sets == 0);
  cr_assert(ok({"run", "--workload", "seq:pages=4", "--tlb", "l2=128x12"}).config.l2.ways == 12);
}

Test(options, policies_and_switches) {
  Options o = ok({"run",      "--trace",      "-",       "--policy",
                  "opt",      "--tlb-policy", "plru",    "--ref-bits",
                  "tlb-fill", "--levels",     "5",       "--ifetch",
                  "--seed",   "42",           "--limit", "1000",
                  "--pwc",    "none",         "--cost",  "walk-ref=30,minor-fault=1000",
                  "--format", "text"});
  cr_assert_eq(o.trace, "-");
  cr_assert_eq(o.config.replacement, sim::PageReplacement::kOpt);
  const std::pair<const char *, sim::PageReplacement> kNew[] = {
      {"2q", sim::PageReplacement::k2Q},
      {"arc", sim::PageReplacement::kArc},
      {"lirs", sim::PageReplacement::kLirs},
      {"linux", sim::PageReplacement::kLinux}};
  for (auto [name, p] : kNew)
    cr_assert_eq(ok({"run", "--trace", "x", "--policy", name}).config.replacement, p, "%s", name);
  cr_assert_eq(o.config.tlb_replacement, sim::TlbReplacement::kPlru);
  cr_assert_eq(o.config.ref_bits, sim::RefBits::kTlbFill);
  cr_assert_eq(o.config.levels, 5);
  cr_assert(o.config.ifetch);
  cr_assert_eq(o.config.seed, 42u);
  cr_assert_eq(o.limit, 1000u);
  cr_assert_eq(o.config.pwc_entries[2], 0u);
  cr_assert_eq(o.config.cost.walk_ref, 30.0);
  cr_assert_eq(o.config.cost.minor_fault, 1000.0);
  cr_assert_eq(o.config.cost.l1_hit, 1.0, "unnamed costs keep their defaults");
  cr_assert_eq(o.format, sim::TraceFormat::kText);
  Options a = ok({"run", "--trace", "x", "--format", "auto"});
  cr_assert(!a.format_given);
}

Test(options, bad_flags_and_values) {
  bad({"run", "--trace", "x", "--bogus"}, "unknown flag '--bogus'");
  bad({"run", "--trace", "x", "stray"}, "unexpected argument 'stray'");
  bad({"run", "--trace"}, "--trace: missing value");
  bad({"run", "--trace", "x", "--frames"}, "--frames: missing value");
  bad({"run", "--frames", "--trace", "x"}, "--frames: missing value");
  bad({"run", "--trace", "x", "--json=yes"}, "--json takes no value");
  bad({"run"}, "give a source: --trace FILE or --workload SPEC");
  bad({"run", "--trace", "x", "--workload", "seq:pages=1"}, "--trace and --workload are exclusive");
  bad({"run", "--trace", "x", "--trace", "y"}, "--trace given twice");
  bad({"run", "--trace", "x", "--frames", "12x"}, "--frames: not a whole number ('12x')");
  bad({"run", "--trace", "x", "--frames", "0"}, "--frames: must be >= 1");
  bad({"run", "--trace", "x", "--frames", "-3"}, "--frames: not a number");
  bad({"run", "--trace", "x", "--frames", "3m=4"}, "--frames: unknown page size '3m'");
  bad({"run", "--trace", "x", "--frames", "4k=1,4k=2"}, "given twice");
  bad({"run", "--trace", "x", "--frames", "3000000000"}, "more than 2^31 frames");
  bad({"run", "--trace", "x", "--memory", "64Q"}, "--memory: unknown suffix 'Q' ('64Q')");
  bad({"run", "--trace", "x", "--memory", "1000"}, "--memory: '1000' is less than one 4k frame");
  bad({"run", "--trace", "x", "--memory", "1G", "--frames", "4"}, "exclusive");
  bad({"run", "--trace", "x", "--page-size", "8k"}, "--page-size: unknown page size '8k'");
  cr_assert_eq(ok({"run", "--trace", "x", "--page-size", "2m"}).config.frames[1], 256u,
               "the default pool is 256 frames of --page-size");
}

Test(options, bad_combinations_and_machine_values) {
  bad({"run", "--trace", "x", "--policy", "mru"},
      "--policy: unknown value 'mru' (fifo, lru, clock, opt, random, 2q, arc, lirs or linux)");
  bad({"run", "--trace", "x", "--tlb-policy", "mru"}, "--tlb-policy: unknown value 'mru'");
  bad({"run", "--trace", "x", "--ref-bits", "never"}, "--ref-bits: unknown value 'never'");
  bad({"run", "--trace", "x", "--tlb", "l1=16"}, "--tlb: l1: '16' is not SETSxWAYS");
  bad({"run", "--trace", "x", "--tlb", "l1=16x"}, "--tlb: l1: '16x' is not SETSxWAYS");
  bad({"run", "--trace", "x", "--tlb", "l1=0x4"}, "sets and ways must be >= 1");
  bad({"run", "--trace", "x", "--tlb", "l3=16x4"}, "--tlb: unknown key 'l3'");
  bad({"run", "--trace", "x", "--tlb", "l1"}, "--tlb: 'l1' is not KEY=SETSxWAYS");
  bad({"run", "--trace", "x", "--tlb", "l1=1x99999"}, "at most");
  bad({"run", "--trace", "x", "--tlb", "l1=none"}, "invalid configuration: tlb.l1-4k");
  bad({"run", "--trace", "x", "--levels", "3"}, "--levels: must be from 4 to 5 ('3')");
  bad({"run", "--trace", "x", "--seed", "x"}, "--seed: not a number");
  bad({"run", "--trace", "x", "--limit", "0"}, "--limit: must be from 1");
  bad({"run", "--trace", "x", "--pwc", "1,2"}, "--pwc: want three counts");
  bad({"run", "--trace", "x", "--cost", "walk=3"}, "--cost: unknown key 'walk'");
  bad({"run", "--trace", "x", "--cost", "walk-ref=x"}, "--cost: walk-ref: not a number");
  bad({"run", "--trace", "x", "--format", "pin"}, "--format: unknown format 'pin'");
  bad({"run", "--workload", "seq:pages=1", "--format", "text"}, "--format applies to --trace");
  bad({"run", "--workload", "seq:pages=1", "--ifetch"}, "--ifetch applies to --trace only");
  bad({"run", "--trace", "x", "--json", "--csv"}, "--json and --csv are exclusive");
  bad({"run", "--trace", "x", "--no-header"}, "--no-header applies to --csv only");
  bad({"run", "--workload", "zipf:pages=10,accesses=5"}, "--workload: zipf: missing key 's'");
  bad({"run", "--workload", "seq:pages=68719476736"}, "addresses reach past 2^48");
  bad({"run", "--trace", "x", "--region", "0x1000:2m:2m"},
      "--region: '0x1000:2m:2m': start and length must be multiples of 2m");
  bad({"run", "--trace", "x", "--region", "0:2m"}, "is not START:LENGTH:PAGESIZE");
  bad({"run", "--trace", "x", "--region", "zz:2m:2m"}, "start: not a number");
  bad({"run", "--trace", "x", "--region", "0:2x:2m"}, "length: unknown suffix");
  bad({"run", "--trace", "x", "--region", "0:2m:3m"}, "unknown page size '3m'");
  bad({"run", "--trace", "x", "--region", "0x200000:2m:2m"},
      "--region: 2m pages are used but have no frames");
  bad({"run", "--trace", "x", "--frames", "4k=1,2m=1", "--region", "0:4m:2m", "--region",
       "0x200000:2m:2m"},
      "invalid configuration: region: regions overlap");
  bad({"run", "--trace", "x", "--frames", "2m=4"},
      "--frames: the default page size 4k has no frames");
  bad({"run", "--trace", ""}, "--trace: empty file name");
}

Test(options, helpers) {
  PageSize p;
  cr_assert_eq(parse_page_size("2M", &p), "");
  cr_assert_eq(p, PageSize::k2M);
  cr_assert_eq(parse_page_size("1g", &p), "");
  cr_assert_eq(p, PageSize::k1G);
  cr_assert_neq(parse_page_size("2", &p), "");
  sim::Region r;
  cr_assert_eq(parse_region("0x40000000:1g:1g", &r), "");
  cr_assert_eq(r.size, PageSize::k1G);
  cr_assert_neq(parse_region("0x40000000:0:2m", &r), "");
  cr_assert(usage_text().find("run") != std::string::npos);
  cr_assert(run_usage_text().find("--workload") != std::string::npos);
  cr_assert(version_text().find("hpmm-sim") == 0);
}
