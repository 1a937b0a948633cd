// tests/shim/test_programs.cc: real programs run with the malloc under test, output checked.
//
// An interpreter (python3 building dicts and lists), a compiler (g++ compiling a program that
// then runs), a database (sqlite3, 5 000 inserts and queries), a threaded program (sort
// --parallel=2), ls and grep.  Every expected output is computed here, independently of the
// program, from the same inputs; nothing is compared against a run of the program itself.
// A program missing from the machine skips its test, naming the package (scripts/deps.sh test).
#include <criterion/criterion.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/shim/spawn.hpp"

namespace {
using namespace shimtest;

void need(const char *path, const char *package) {
  if (access(path, X_OK) != 0)
    cr_skip_test("%s is not installed (Debian package %s)", path, package);
}

void expect_output(const RunResult &r, const std::string &want, const char *what) {
  cr_assert(r.ok(), "%s: %s under %s; stderr: %s", what, r.describe().c_str(),
            std::getenv("HPMM_LIB"), excerpt(r.err).c_str());
  cr_assert(r.out == want, "%s: wrong output.\n want: %s\n got:  %s", what, excerpt(want).c_str(),
            excerpt(r.out).c_str());
}

const std::vector<std::string> kCLocale = {"LC_ALL=C"};
}  // namespace

Test(programs, python_dicts_and_lists, .timeout = 90) {
  need("/usr/bin/python3", "python3");
  const char *script =
      "d = {}\n"
      "for i in range(200000):\n"
      "    d['k%d' % i] = [i, str(i * 7), (i, i % 13)]\n"
      "s = 0\n"
      "for k, v in d.items():\n"
      "    s = (s * 31 + len(k) + v[0] + len(v[1]) + v[2][1]) % 1000000007\n"
      "keys = sorted(d)[:3]\n"
      "big = [bytearray(n % 5000) for n in range(20000)]\n"
      "t = sum(len(b) for b in big)\n"
      "del d, big\n"
      "print(s, ' '.join(keys), t)\n";
  uint64_t s = 0;
  for (uint64_t i = 0; i < 200000; i++) {
    const uint64_t klen = 1 + std::to_string(i).size(), vlen = std::to_string(i * 7).size();
    s = (s * 31 + klen + i + vlen + i % 13) % 1000000007;
  }
  uint64_t t = 0;
  for (uint64_t n = 0; n < 20000; n++) t += n % 5000;
  const std::string want = std::to_string(s) + " k0 k1 k10 " + std::to_string(t) + "\n";
  RunOptions opt;
  opt.env = {"PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0"};
  expect_output(run({"/usr/bin/python3", "-c", script}, opt), want, "python3");
}

Test(programs, gxx_compiles_and_the_result_runs, .timeout = 120) {
  need("/usr/bin/g++", "g++");
  TempDir dir;
  dir.write("p.cc",
            "#include <cstdio>\n#include <map>\n#include <string>\n"
            "int main() {\n"
            "  std::map<std::string, long> m;\n"
            "  for (long i = 0; i < 1000; i++) m[std::to_string(i * 37 % 1009)] += i;\n"
            "  long s = 0;\n"
            "  for (const auto &[k, v] : m) s = (s * 3 + v + (long)k.size()) % 1000003;\n"
            "  std::printf(\"%zu %ld\\n\", m.size(), s);\n"
            "}\n");
  std::map<std::string, long> m;
  for (long i = 0; i < 1000; i++) m[std::to_string(i * 37 % 1009)] += i;
  long s = 0;
  for (const auto &[k, v] : m) s = (s * 3 + v + static_cast<long>(k.size())) % 1000003;
  const std::string want = std::to_string(m.size()) + " " + std::to_string(s) + "\n";
  RunOptions opt;
  opt.timeout_s = 100;
  const RunResult cc = run({"g++", "-O1", "-o", dir.file("p"), dir.file("p.cc")}, opt);
  cr_assert(cc.ok(), "g++ (cc1plus, as, ld under the library): %s; stderr: %s",
            cc.describe().c_str(), excerpt(cc.err).c_str());
  expect_output(run({dir.file("p")}), want, "the program g++ built");
}

Test(programs, sqlite3_inserts_and_queries, .timeout = 90) {
  need("/usr/bin/sqlite3", "sqlite3");
  std::string sql = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v INTEGER);\nBEGIN;\n";
  struct Row {
    long id, v;
    std::string name;
  };
  std::vector<Row> rows;
  for (long i = 0; i < 5000; i++) {
    Row r{i + 1, i * i % 10007, "name-" + std::to_string(i * 7919 % 5000)};
    sql += "INSERT INTO t(name, v) VALUES('" + r.name + "', " + std::to_string(r.v) + ");\n";
    rows.push_back(r);
  }
  sql +=
      "COMMIT;\nCREATE INDEX tv ON t(v);\n"
      "SELECT count(*), sum(v), max(length(name)) FROM t;\n"
      "SELECT group_concat(id) FROM (SELECT id FROM t WHERE v < 50 ORDER BY v, id);\n"
      "DELETE FROM t WHERE id % 3 = 0;\nSELECT count(*), sum(v) FROM t;\n";
  long sum = 0, maxlen = 0, sum_kept = 0, kept = 0;
  for (const Row &r : rows) {
    sum += r.v;
    maxlen = std::max(maxlen, static_cast<long>(r.name.size()));
    if (r.id % 3 != 0) kept++, sum_kept += r.v;
  }
  std::vector<Row> small;
  for (const Row &r : rows)
    if (r.v < 50) small.push_back(r);
  std::sort(small.begin(), small.end(),
            [](const Row &a, const Row &b) { return a.v != b.v ? a.v < b.v : a.id < b.id; });
  std::string ids;
  for (const Row &r : small) ids += (ids.empty() ? "" : ",") + std::to_string(r.id);
  const std::string want = "5000|" + std::to_string(sum) + "|" + std::to_string(maxlen) + "\n" +
                           ids + "\n" + std::to_string(kept) + "|" + std::to_string(sum_kept) +
                           "\n";
  RunOptions opt;
  opt.input = sql;
  expect_output(run({"sqlite3", "-batch", ":memory:"}, opt), want, "sqlite3");
}

Test(programs, sort_parallel_threads, .timeout = 90) {
  need("/usr/bin/sort", "coreutils");
  TempDir dir;
  uint64_t x = 12345;
  std::vector<uint64_t> nums;
  std::string data;
  for (int i = 0; i < 300000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    nums.push_back((x >> 33) % 1000000000);
    data += std::to_string(nums.back()) + "\n";
  }
  dir.write("in.txt", data);
  std::sort(nums.begin(), nums.end());
  std::string want;
  for (uint64_t n : nums) want += std::to_string(n) + "\n";
  RunOptions opt;
  opt.env = kCLocale;
  expect_output(
      run({"sort", "-n", "--parallel=2", "-S", "64M", "-T", dir.path(), dir.file("in.txt")}, opt),
      want, "sort --parallel=2");
}

Test(programs, ls_lists_a_directory, .timeout = 60) {
  need("/usr/bin/ls", "coreutils");
  TempDir dir;
  std::vector<std::string> names;
  for (int i = 0; i < 400; i++) {
    names.push_back("f" + std::to_string(i * 7 % 1000) + "-" +
                    std::string(static_cast<size_t>(i % 40), 'x'));
    dir.write(names.back(), std::string(static_cast<size_t>(i), 'a'));
  }
  std::sort(names.begin(), names.end());
  std::string want;
  for (const std::string &n : names) want += n + "\n";
  RunOptions opt;
  opt.env = kCLocale;
  expect_output(run({"ls", "-1", dir.path()}, opt), want, "ls -1");
  // -l: one line per file with its size in the fifth column.
  const RunResult l = run({"ls", "-ln", "--time-style=+", dir.path()}, opt);
  cr_assert(l.ok(), "ls -ln: %s; stderr: %s", l.describe().c_str(), excerpt(l.err).c_str());
  size_t lines = 0, pos = 0;
  while ((pos = l.out.find('\n', pos)) != std::string::npos) lines++, pos++;
  cr_assert_eq(lines, names.size() + 1, "ls -ln printed %zu lines for %zu files (+ total)", lines,
               names.size());
}

Test(programs, grep_counts_and_finds_lines, .timeout = 60) {
  need("/usr/bin/grep", "grep");
  TempDir dir;
  const char *tags[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
  std::string data, numbered;
  long count = 0;
  for (long i = 0; i < 200000; i++) {
    const std::string tag = tags[i % 5], value = std::to_string(i * 7919 % 100000);
    const std::string line = "id=" + std::to_string(i) + " tag=" + tag + " value=" + value;
    data += line + "\n";
    if ((tag == "alpha" || tag == "gamma") && value[0] == '1') count++;
    if (value == "99999" || value == "12345") numbered += std::to_string(i + 1) + ":" + line + "\n";
  }
  dir.write("data.txt", data);
  RunOptions opt;
  opt.env = kCLocale;
  expect_output(
      run({"grep", "-c", "-E", "tag=(alpha|gamma) value=1[0-9]*$", dir.file("data.txt")}, opt),
      std::to_string(count) + "\n", "grep -c -E");
  expect_output(run({"grep", "-n", "-E", "value=(99999|12345)$", dir.file("data.txt")}, opt),
                numbered, "grep -n -E");
}
