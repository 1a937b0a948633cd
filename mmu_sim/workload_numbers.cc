// mmu_sim/workload_numbers.cc: the strict number parsers of workload_numbers.hpp.
#include "mmu_sim/workload_numbers.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace hpmm::sim {
namespace {

bool fail(std::string *why, std::string text) {
  if (why != nullptr) *why = std::move(text);
  return false;
}

// Parses the leading decimal digits of s into *out; *used is how many characters they took.
bool leading_decimal(std::string_view s, uint64_t *out, size_t *used, std::string *why) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return fail(why, "too large");
    v = v * 10 + d;
  }
  if (i == 0) return fail(why, "not a number");
  *out = v;
  *used = i;
  return true;
}

}  // namespace

bool parse_count(std::string_view s, uint64_t *out, std::string *why) {
  size_t used = 0;
  uint64_t v = 0;
  if (!leading_decimal(s, &v, &used, why)) return false;
  if (used != s.size()) return fail(why, "not a whole number");
  *out = v;
  return true;
}

bool parse_size(std::string_view s, uint64_t *out, std::string *why) {
  size_t used = 0;
  uint64_t v = 0;
  if (!leading_decimal(s, &v, &used, why)) return false;
  std::string_view suffix = s.substr(used);
  unsigned shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      case 't':
      case 'T':
        shift = 40;
        break;
      case 'b':
      case 'B':
        shift = 0;
        break;
      default:
        return fail(why, "unknown suffix '" + std::string(suffix) + "'");
    }
    std::string_view rest = suffix.substr(1);
    bool ok = rest.empty() || ((suffix[0] != 'b' && suffix[0] != 'B') &&
                               (rest == "b" || rest == "B" || rest == "ib" || rest == "iB"));
    if (!ok) return fail(why, "unknown suffix '" + std::string(suffix) + "'");
  }
  if (shift != 0 && v > (UINT64_MAX >> shift)) return fail(why, "too large");
  *out = v << shift;
  return true;
}

bool parse_address(std::string_view s, uint64_t *out, std::string *why) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    uint64_t v = 0;
    for (size_t i = 2; i < s.size(); ++i) {
      char c = s[i];
      uint64_t d;
      if (c >= '0' && c <= '9')
        d = static_cast<uint64_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        d = static_cast<uint64_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        d = static_cast<uint64_t>(c - 'A' + 10);
      else
        return fail(why, "bad hexadecimal digit '" + std::string(1, c) + "'");
      if (v >> 60 != 0) return fail(why, "too large");
      v = v << 4 | d;
    }
    *out = v;
    return true;
  }
  return parse_count(s, out, why);
}

bool parse_real(std::string_view s, double *out, std::string *why) {
  if (s.empty()) return fail(why, "not a number");
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
    if (!ok) return fail(why, "not a number");
  }
  if (s[0] < '0' || s[0] > '9') {
    if (s[0] != '.') return fail(why, "not a number");
  }
  std::string copy(s);
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return fail(why, "not a number");
  if (errno == ERANGE || !std::isfinite(v)) return fail(why, "out of range");
  *out = v;
  return true;
}

}  // namespace hpmm::sim
