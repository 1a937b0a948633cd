// pal/hugepage_info.cc: allocation-free huge page discovery (discover_raw) and the sysfs readers
// both discoveries share.  See hugepage_info.hpp for the invariants.
#include "pal/hugepage_info.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "base/bits.hpp"
#include "pal/errno_guard.hpp"
#include "pal/fixed_text.hpp"
#include "pal/proc_text.hpp"

namespace hpmm::pal {
namespace {

constexpr long kHugetlbfsMagic = 0x958458f6;  // HUGETLBFS_MAGIC of linux/magic.h
using Path = FixedText<512>;

ThpMode parse_thp_mode(std::string_view word) {
  if (word == "always") return ThpMode::kAlways;
  if (word == "madvise") return ThpMode::kMadvise;
  if (word == "never") return ThpMode::kNever;
  return ThpMode::kUnsupported;
}

ThpDefrag parse_thp_defrag(std::string_view word) {
  if (word == "always") return ThpDefrag::kAlways;
  if (word == "defer") return ThpDefrag::kDefer;
  if (word == "defer+madvise") return ThpDefrag::kDeferMadvise;
  if (word == "madvise") return ThpDefrag::kMadvise;
  if (word == "never") return ThpDefrag::kNever;
  return ThpDefrag::kUnsupported;
}

// The word in brackets of a sysfs choice file, copied into `out` (empty if absent).
std::string_view read_choice(const char *path, char *buf, size_t cap) {
  long n = read_small_file(path, buf, cap);
  if (n <= 0) return {};
  return selected_choice(std::string_view(buf, static_cast<size_t>(n)));
}

// Adds a pool for a page size not seen yet; ignores sizes that cannot be huge pages.
void add_pool(HugePageInfo *info, uint64_t page_size) {
  if (info->npools >= kMaxHugePageSizes || !is_pow2(page_size) ||
      page_size <= info->base_page_size.value) {
    return;
  }
  for (int i = 0; i < info->npools; ++i) {
    if (info->pools[i].page_size.value == page_size) return;
  }
  HugetlbPool &p = info->pools[info->npools++];
  p = HugetlbPool{};
  p.page_size = Bytes(page_size);
}

// "hugepages-2048kB" -> 2 MiB in bytes; 0 for any other name.
uint64_t size_of_pool_dir(std::string_view name) {
  constexpr std::string_view kPrefix = "hugepages-";
  constexpr std::string_view kSuffix = "kB";
  if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return 0;
  }
  uint64_t kb = 0;
  std::string_view digits =
      slice(name, kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (!parse_u64(digits, &kb) || kb == 0 || kb > (UINT64_MAX >> 10)) return 0;
  return kb << 10;
}

// Every hugepages-<N>kB directory of <hugepages_dir>, read with getdents64 into a fixed buffer
// (opendir would allocate).
void list_pool_dirs(const char *dir, HugePageInfo *info) {
  int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[2048];
  for (;;) {
    ssize_t n = ::getdents64(fd, buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto *d = reinterpret_cast<const struct dirent64 *>(buf + off);
      add_pool(info, size_of_pool_dir(d->d_name));
      off += d->d_reclen;
    }
  }
  ::close(fd);
}

// /proc/mounts escapes ' ', '\t', '\n' and '\\' in paths as \ooo octal; undo that into `out`.
bool unescape_mount_path(std::string_view s, char *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      c = static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    }
    if (n + 1 >= cap) return false;
    out[n++] = c;
  }
  out[n] = '\0';
  return n > 0;
}

// The next blank-separated field of a mounts line, advancing `rest`.
std::string_view next_field(std::string_view *rest) {
  size_t b = rest->find_first_not_of(' ');
  if (b == std::string_view::npos) {
    *rest = {};
    return {};
  }
  size_t e = rest->find(' ', b);
  std::string_view f = slice(*rest, b, e == std::string_view::npos ? e : e - b);
  *rest = slice(*rest, e);
  return f;
}

// Each hugetlbfs mount we may use (read, write, search) serves the page size statfs reports; the
// first one listed wins, as in libhugetlbfs.
void find_mounts(const char *mounts, HugePageInfo *info) {
  LineReader lines(mounts);
  std::string_view line;
  while (lines.next(&line)) {
    std::string_view rest = line;
    next_field(&rest);  // device
    std::string_view dir = next_field(&rest);
    std::string_view type = next_field(&rest);
    if (type != "hugetlbfs") continue;
    char path[kMaxMountPath];
    if (!unescape_mount_path(dir, path, sizeof(path))) continue;
    struct statfs st;
    if (::statfs(path, &st) != 0 || st.f_type != kHugetlbfsMagic) continue;
    if (::access(path, R_OK | W_OK | X_OK) != 0) continue;
    for (int i = 0; i < info->npools; ++i) {
      HugetlbPool &p = info->pools[i];
      if (p.page_size.value != static_cast<uint64_t>(st.f_bsize) || p.has_mount) continue;
      std::memcpy(p.mount_path, path, std::strlen(path) + 1);
      p.has_mount = true;
    }
  }
}

}  // namespace

const char *name_of(ThpMode m) {
  switch (m) {
    case ThpMode::kAlways:
      return "always";
    case ThpMode::kMadvise:
      return "madvise";
    case ThpMode::kNever:
      return "never";
    case ThpMode::kUnsupported:
      break;
  }
  return "unsupported";
}

const char *name_of(ThpDefrag d) {
  switch (d) {
    case ThpDefrag::kAlways:
      return "always";
    case ThpDefrag::kDefer:
      return "defer";
    case ThpDefrag::kDeferMadvise:
      return "defer+madvise";
    case ThpDefrag::kMadvise:
      return "madvise";
    case ThpDefrag::kNever:
      return "never";
    case ThpDefrag::kUnsupported:
      break;
  }
  return "unsupported";
}

const HugetlbPool *HugePageInfo::pool(Bytes page_size) const {
  for (int i = 0; i < npools; ++i) {
    if (pools[i].page_size == page_size) return &pools[i];
  }
  return nullptr;
}

bool HugePageInfo::valid() const {
  if (!is_pow2(base_page_size.value) || base_page_size < 4_KiB) return false;
  if (npools < 0 || npools > kMaxHugePageSizes) return false;
  for (int i = 0; i < npools; ++i) {
    const HugetlbPool &p = pools[i];
    if (!is_pow2(p.page_size.value) || p.page_size <= base_page_size) return false;
    if (i > 0 && !(pools[i - 1].page_size < p.page_size)) return false;
    if (p.has_mount != (p.mount_path[0] != '\0')) return false;
  }
  if (default_huge_page_size.value != 0 && pool(default_huge_page_size) == nullptr) return false;
  if (thp_enabled == ThpMode::kUnsupported && thp_pmd_enabled != ThpMode::kUnsupported) {
    return false;
  }
  return true;
}

namespace detail {

void sort_pools(HugePageInfo *info) {
  // Insertion sort: at most kMaxHugePageSizes entries.
  for (int i = 1; i < info->npools; ++i) {
    for (int j = i; j > 0 && info->pools[j].page_size < info->pools[j - 1].page_size; --j) {
      HugetlbPool t = info->pools[j];
      info->pools[j] = info->pools[j - 1];
      info->pools[j - 1] = t;
    }
  }
  int out = 0;
  for (int i = 0; i < info->npools; ++i) {
    if (out > 0 && info->pools[out - 1].page_size == info->pools[i].page_size) continue;
    if (out != i) info->pools[out] = info->pools[i];
    ++out;
  }
  info->npools = out;
}

void read_pool_counts(const SysPaths &paths, HugePageInfo *info) {
  struct Field {
    const char *name;
    uint64_t HugetlbPool::*member;
  };
  static constexpr Field kFields[] = {
      {"nr_hugepages", &HugetlbPool::nr},
      {"free_hugepages", &HugetlbPool::free},
      {"resv_hugepages", &HugetlbPool::resv},
      {"surplus_hugepages", &HugetlbPool::surplus},
      {"nr_overcommit_hugepages", &HugetlbPool::overcommit},
  };
  for (int i = 0; i < info->npools; ++i) {
    HugetlbPool &p = info->pools[i];
    for (const Field &f : kFields) {
      Path path;
      path.append(paths.hugepages_dir)
          .append("/hugepages-")
          .append_u64(p.page_size.value >> 10)
          .append("kB/")
          .append(f.name);
      uint64_t v = 0;
      p.*f.member = (!path.truncated() && read_u64_file(path.c_str(), &v)) ? v : 0;
    }
  }
}

void read_thp(const SysPaths &paths, HugePageInfo *info) {
  char buf[128];
  Path path;
  path.append(paths.thp_dir).append("/enabled");
  info->thp_enabled = parse_thp_mode(read_choice(path.c_str(), buf, sizeof(buf)));
  info->thp_pmd_enabled = info->thp_enabled;
  info->thp_defrag = ThpDefrag::kUnsupported;
  info->thp_pmd_size = Bytes(0);
  if (info->thp_enabled == ThpMode::kUnsupported) return;

  path.clear();
  path.append(paths.thp_dir).append("/defrag");
  info->thp_defrag = parse_thp_defrag(read_choice(path.c_str(), buf, sizeof(buf)));

  path.clear();
  path.append(paths.thp_dir).append("/hpage_pmd_size");
  uint64_t pmd = 0;
  if (read_u64_file(path.c_str(), &pmd)) info->thp_pmd_size = Bytes(pmd);

  // Multi-size THP (Linux 6.8+): the PMD size has its own switch; "inherit" defers to the global.
  if (pmd != 0) {
    path.clear();
    path.append(paths.thp_dir).append("/hugepages-").append_u64(pmd >> 10).append("kB/enabled");
    std::string_view word = read_choice(path.c_str(), buf, sizeof(buf));
    if (!word.empty() && word != "inherit") {
      ThpMode m = parse_thp_mode(word);
      if (m != ThpMode::kUnsupported) info->thp_pmd_enabled = m;
    }
  }
}

}  // namespace detail

HugePageInfo discover_raw(const SysPaths &paths) {
  ErrnoGuard keep_errno;
  HugePageInfo info;
  info.base_page_size = Bytes(getauxval(AT_PAGESZ));

  LineReader meminfo(paths.meminfo);
  std::string_view line;
  uint64_t v = 0;
  while (meminfo.next(&line)) {
    if (parse_kb_field(line, "Hugepagesize", &v)) {
      info.default_huge_page_size = Bytes(v);
      break;
    }
  }

  // Like libhugetlbfs: the default size from meminfo, then whatever sysfs lists.
  add_pool(&info, info.default_huge_page_size.value);
  list_pool_dirs(paths.hugepages_dir, &info);
  detail::sort_pools(&info);
  detail::read_pool_counts(paths, &info);
  find_mounts(paths.mounts, &info);
  detail::read_thp(paths, &info);
  return info;
}

}  // namespace hpmm::pal
