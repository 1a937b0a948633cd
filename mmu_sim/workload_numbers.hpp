// mmu_sim/workload_numbers.hpp: strict parsing of the numbers users type in workload specs and
// on the hpmm-sim command line (counts, sizes with binary suffixes, fractions, addresses).
//
// Every function takes the whole text and fails (returns false) unless all of it is one valid
// number in range: no sign, no spaces, no trailing junk, no overflow.  On failure *why says what
// is wrong ("not a number", "too large", "unknown suffix 'x'") so callers can name the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hpmm::sim {

// Decimal digits only: "65536".  Fails on "", "-1", "1e6", "12k", overflow.
bool parse_count(std::string_view s, uint64_t *out, std::string *why);

// A size in bytes: decimal digits with an optional binary suffix k, m, g, t (either case, an
// optional trailing "b"/"B" or "ib"/"iB": 4k = 4K = 4KiB = 4096).  "64M" = 64 << 20.
bool parse_size(std::string_view s, uint64_t *out, std::string *why);

// An address: hexadecimal with a 0x prefix ("0x7f0000000000") or decimal ("4096").
bool parse_address(std::string_view s, uint64_t *out, std::string *why);

// A finite decimal real number ("0.99", "1", "2.5e-1"), no sign allowed.
bool parse_real(std::string_view s, double *out, std::string *why);

}  // namespace hpmm::sim
