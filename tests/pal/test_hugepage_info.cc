// tests/pal/test_hugepage_info.cc: huge page discovery against sysfs, between its two paths, and on
// made-up machines (absent files, odd contents).
#include <criterion/criterion.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "pal/hugepage_info.hpp"

using namespace hpmm;
using namespace hpmm::pal;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path &p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t read_num(const fs::path &p) {
  return std::stoull(slurp(p));
}

// The sysfs pools as this test reads them with the standard library: page size -> nr/free/resv.
struct Counts {
  uint64_t nr, free, resv, surplus, overcommit;
  bool operator==(const Counts &) const = default;
};
std::map<uint64_t, Counts> sysfs_pools() {
  std::map<uint64_t, Counts> out;
  const fs::path dir = "/sys/kernel/mm/hugepages";
  if (!fs::exists(dir)) return out;
  for (const auto &e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename();
    uint64_t kb = std::stoull(name.substr(std::string("hugepages-").size()));
    out[kb << 10] = {read_num(e.path() / "nr_hugepages"), read_num(e.path() / "free_hugepages"),
                     read_num(e.path() / "resv_hugepages"),
                     read_num(e.path() / "surplus_hugepages"),
                     read_num(e.path() / "nr_overcommit_hugepages")};
  }
  return out;
}

Counts counts_of(const HugetlbPool &p) {
  return {p.nr, p.free, p.resv, p.surplus, p.overcommit};
}

std::string bracketed(const fs::path &p) {
  std::string s = slurp(p);
  auto a = s.find('['), b = s.find(']');
  return a == std::string::npos || b == std::string::npos ? "" : s.substr(a + 1, b - a - 1);
}

// Builds a fake /sys + /proc tree under a temporary directory.
struct FakeTree {
  fs::path root;
  std::string hp, thp, meminfo, mounts;
  SysPaths paths;
  FakeTree() {
    char tmpl[] = "/tmp/hpmm_pal_sysXXXXXX";
    cr_assert(mkdtemp(tmpl) != nullptr);
    root = tmpl;
    hp = root / "hugepages";
    thp = root / "thp";
    meminfo = root / "meminfo";
    mounts = root / "mounts";
    paths.hugepages_dir = hp.c_str();
    paths.thp_dir = thp.c_str();
    paths.meminfo = meminfo.c_str();
    paths.mounts = mounts.c_str();
  }
  ~FakeTree() { fs::remove_all(root); }
  void put(const fs::path &rel, const std::string &content) {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  void pool(const std::string &kb, int nr, int free, int resv, int surplus, int over) {
    fs::path d = fs::path("hugepages") / ("hugepages-" + kb + "kB");
    put(d / "nr_hugepages", std::to_string(nr) + "\n");
    put(d / "free_hugepages", std::to_string(free) + "\n");
    put(d / "resv_hugepages", std::to_string(resv) + "\n");
    put(d / "surplus_hugepages", std::to_string(surplus) + "\n");
    put(d / "nr_overcommit_hugepages", std::to_string(over) + "\n");
  }
};

}  // namespace

Test(hugepage_info, raw_discovery_matches_sysfs) {
  HugePageInfo info;
  std::map<uint64_t, Counts> expect;
  // Pool counts may move under another process between the two reads: retry a few times.
  bool same = false;
  for (int attempt = 0; attempt < 5 && !same; ++attempt) {
    expect = sysfs_pools();
    info = discover_raw();
    same = expect == sysfs_pools();
  }
  cr_assert(same, "hugetlb pools kept changing while the test read them");
  cr_assert(info.valid());
  cr_assert_eq(info.base_page_size.value, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  cr_assert_eq(static_cast<size_t>(info.npools), expect.size());
  int i = 0;
  for (const auto &[size, counts] : expect) {
    cr_assert_eq(info.pools[i].page_size.value, size);
    cr_assert(counts_of(info.pools[i]) == counts, "pool %lu kB counts differ", size >> 10);
    cr_assert_eq(info.pool(Bytes(size)), &info.pools[i]);
    ++i;
  }
  cr_assert_null(info.pool(Bytes(12345)));
  for (i = 0; i < info.npools; ++i) {
    cr_log_info("hugetlb %lu kB: nr %lu free %lu resv %lu surplus %lu overcommit %lu mount '%s'",
                info.pools[i].page_size.value >> 10, info.pools[i].nr, info.pools[i].free,
                info.pools[i].resv, info.pools[i].surplus, info.pools[i].overcommit,
                info.pools[i].mount_path);
  }
}

Test(hugepage_info, raw_discovery_reads_thp_settings) {
  HugePageInfo info = discover_raw();
  const fs::path thp = "/sys/kernel/mm/transparent_hugepage";
  if (!fs::exists(thp / "enabled")) {
    cr_assert_eq(info.thp_enabled, ThpMode::kUnsupported);
    cr_assert_eq(info.thp_pmd_enabled, ThpMode::kUnsupported);
    return;
  }
  const std::string enabled = bracketed(thp / "enabled"), defrag = bracketed(thp / "defrag");
  cr_assert_str_eq(name_of(info.thp_enabled), enabled.c_str());
  cr_assert_str_eq(name_of(info.thp_defrag), defrag.c_str());
  cr_assert_eq(info.thp_pmd_size.value, read_num(thp / "hpage_pmd_size"));
  fs::path per_size = thp / ("hugepages-" + std::to_string(info.thp_pmd_size.value >> 10) + "kB");
  std::string pmd = fs::exists(per_size / "enabled") ? bracketed(per_size / "enabled") : "inherit";
  std::string expect = pmd == "inherit" ? bracketed(thp / "enabled") : pmd;
  cr_assert_str_eq(name_of(info.thp_pmd_enabled), expect.c_str());
  cr_log_info("THP enabled %s (PMD size: %s), defrag %s", name_of(info.thp_enabled),
              name_of(info.thp_pmd_enabled), name_of(info.thp_defrag));
}

Test(hugepage_info, raw_and_libhugetlbfs_discovery_agree) {
  HugePageInfo raw, lib;
  bool counts_same = false;
  for (int attempt = 0; attempt < 5 && !counts_same; ++attempt) {
    raw = discover_raw();
    lib = discover_with_libhugetlbfs();
    counts_same = raw.npools == lib.npools;
    for (int i = 0; counts_same && i < raw.npools; ++i) {
      counts_same = counts_of(raw.pools[i]) == counts_of(lib.pools[i]);
    }
  }
  cr_assert(raw.valid() && lib.valid());
  cr_assert_eq(raw.base_page_size, lib.base_page_size);
  cr_assert_eq(raw.default_huge_page_size, lib.default_huge_page_size);
  cr_assert_eq(raw.npools, lib.npools);
  cr_assert(counts_same, "pool counts differ (or kept changing)");
  for (int i = 0; i < raw.npools; ++i) {
    const HugetlbPool &r = raw.pools[i], &l = lib.pools[i];
    cr_assert_eq(r.page_size, l.page_size);
    // libhugetlbfs reads /proc/mounts with sscanf and never undoes its octal escapes, so a mount
    // path with a blank or a backslash is invisible to it; discover_raw() decodes them.
    if (r.has_mount && !l.has_mount &&
        std::string(r.mount_path).find_first_of(" \t\n\\") != std::string::npos) {
      cr_log_info("libhugetlbfs misses the escaped mount path '%s'", r.mount_path);
      continue;
    }
    cr_assert_eq(r.has_mount, l.has_mount, "mount of %lu kB", r.page_size.value >> 10);
    cr_assert_str_eq(r.mount_path, l.mount_path);
  }
  cr_assert_eq(raw.thp_enabled, lib.thp_enabled);
  cr_assert_eq(raw.thp_pmd_enabled, lib.thp_pmd_enabled);
  cr_assert_eq(raw.thp_defrag, lib.thp_defrag);
  cr_assert_eq(raw.thp_pmd_size, lib.thp_pmd_size);
}

Test(hugepage_info, raw_discovery_preserves_errno) {
  FakeTree t;  // all absent: every read fails
  errno = 4242;
  (void)discover_raw(t.paths);
  cr_assert_eq(errno, 4242);
  (void)discover_raw();
  cr_assert_eq(errno, 4242);
}

Test(hugepage_info, absent_files_mean_unsupported) {
  FakeTree t;  // nothing exists: a kernel without hugetlb nor THP
  HugePageInfo info = discover_raw(t.paths);
  cr_assert(info.valid());
  cr_assert_eq(info.npools, 0);
  cr_assert_eq(info.default_huge_page_size.value, 0u);
  cr_assert_eq(info.thp_enabled, ThpMode::kUnsupported);
  cr_assert_eq(info.thp_pmd_enabled, ThpMode::kUnsupported);
  cr_assert_eq(info.thp_defrag, ThpDefrag::kUnsupported);
  cr_assert_eq(info.thp_pmd_size.value, 0u);
  cr_assert_eq(info.base_page_size.value, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}

Test(hugepage_info, fake_machine_is_read_exactly) {
  FakeTree t;
  t.pool("2048", 7, 5, 1, 0, 2);
  t.pool("1048576", 1, 1, 0, 0, 0);
  t.put("hugepages/hugepages-4kB/nr_hugepages", "3\n");     // not a huge page size: ignored
  t.put("hugepages/hugepages-12abkB/nr_hugepages", "3\n");  // malformed: ignored
  t.put("hugepages/other/nr_hugepages", "3\n");             // not a pool: ignored
  t.put("meminfo", "MemTotal: 100 kB\nHugepagesize:       2048 kB\nHugetlb: 0 kB\n");
  t.put("mounts",
        "none /nonexistent/hpmm/huge hugetlbfs rw,pagesize=2M 0 0\n"
        "none /tmp hugetlbfs rw,pagesize=2M 0 0\n"
        "proc /proc proc rw 0 0\n");
  t.put("thp/enabled", "always madvise [never]\n");
  t.put("thp/defrag", "always defer [defer+madvise] madvise never\n");
  t.put("thp/hpage_pmd_size", "2097152\n");
  t.put("thp/hugepages-2048kB/enabled", "always inherit [madvise] never\n");
  HugePageInfo info = discover_raw(t.paths);
  cr_assert(info.valid());
  cr_assert_eq(info.npools, 2);
  cr_assert_eq(info.pools[0].page_size, 2_MiB);
  cr_assert_eq(info.pools[1].page_size, 1_GiB);
  cr_assert_eq(info.default_huge_page_size, 2_MiB);
  const HugetlbPool *p = info.pool(2_MiB);
  cr_assert(p->nr == 7 && p->free == 5 && p->resv == 1 && p->surplus == 0 && p->overcommit == 2);
  cr_assert_eq(p->available(), 4 + 2u, "free - resv + overcommit room");
  cr_assert(!p->has_mount, "neither a missing path nor a non-hugetlbfs one (statfs) is a mount");
  cr_assert_eq(info.thp_enabled, ThpMode::kNever);
  cr_assert_eq(info.thp_pmd_enabled, ThpMode::kMadvise, "the per-size switch overrides");
  cr_assert_eq(info.thp_defrag, ThpDefrag::kDeferMadvise);
  cr_assert_eq(info.thp_pmd_size, 2_MiB);
}

Test(hugepage_info, inherit_and_odd_thp_files) {
  FakeTree t;
  t.put("thp/enabled", "[always] madvise never\n");
  t.put("thp/hpage_pmd_size", "2097152\n");
  t.put("thp/hugepages-2048kB/enabled", "always [inherit] madvise never\n");
  HugePageInfo info = discover_raw(t.paths);
  cr_assert_eq(info.thp_enabled, ThpMode::kAlways);
  cr_assert_eq(info.thp_pmd_enabled, ThpMode::kAlways, "inherit takes the global mode");
  cr_assert_eq(info.thp_defrag, ThpDefrag::kUnsupported, "absent defrag file");

  FakeTree garbage;
  garbage.put("thp/enabled", "garbage\n");
  info = discover_raw(garbage.paths);
  cr_assert_eq(info.thp_enabled, ThpMode::kUnsupported);
  cr_assert(info.valid());
}

Test(hugepage_info, meminfo_size_without_sysfs_pools) {
  // An old kernel: hugetlb with only the default size, no /sys/kernel/mm/hugepages.
  FakeTree t;
  t.put("meminfo", "Hugepagesize:       2048 kB\n");
  HugePageInfo info = discover_raw(t.paths);
  cr_assert(info.valid());
  cr_assert_eq(info.npools, 1);
  cr_assert_eq(info.pools[0].page_size, 2_MiB);
  cr_assert_eq(info.pools[0].available(), 0u, "counts unreadable: nothing available");
}

Test(hugepage_info, valid_rejects_broken_structures) {
  HugePageInfo info = discover_raw();
  cr_assert(info.valid());
  HugePageInfo bad = info;
  bad.base_page_size = Bytes(3000);
  cr_assert(!bad.valid());
  bad = HugePageInfo{};
  bad.base_page_size = 4_KiB;
  bad.npools = 2;
  bad.pools[0].page_size = 1_GiB;
  bad.pools[1].page_size = 2_MiB;
  cr_assert(!bad.valid(), "pools out of order");
  bad.pools[0].page_size = 2_MiB;
  bad.pools[1].page_size = 1_GiB;
  cr_assert(bad.valid());
  bad.pools[0].has_mount = true;
  cr_assert(!bad.valid(), "has_mount without a path");
  bad.pools[0].has_mount = false;
  bad.default_huge_page_size = 4_MiB;
  cr_assert(!bad.valid(), "default size without a pool");
}
