// mmu_sim/verify_stamps.hpp: --verify, the check that paging never loses or corrupts a byte.
// The MMU owns the frame bytes of a verified replay (load/store are refused), and writes into
// every 4 KiB chunk of the address space that a replayed access writes:
//
//   header (16 bytes)  {key ^ kMagic, version}      key = va >> 12 of the chunk,
//                                                   version = writes to the chunk so far (>= 1)
//   body (the rest)    word i = mix(key, i)         written by the chunk's first write only
//
// Every write access bumps the chunk's version in a side table and in the header; every read
// access checks the header against the table (a never-written chunk must read as zeros); after a
// major fault every chunk of the page is checked byte for byte (header and body, or all zeros).
// So a lost or misdirected write-back shows as an old version or a wrong key, and a corrupted byte
// anywhere in a page that went through swap shows at the fault that brings it back.
//
// Invariant: for every chunk c with versions_[c] = v > 0, the chunk's bytes in frame memory or in
// swap are header(c, v) + body(c); a chunk absent from versions_ is all zeros.
// Not thread-safe: one MMU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>

namespace hpmm::sim {

class VerifyStamps {
 public:
  static constexpr uint64_t kChunk = 4096;
  static constexpr uint64_t kMagic = 0x68706d6d76657269;  // "hpmmveri"

  // A write access to chunk `key` whose bytes are mem[0, kChunk).
  void stamp(uint64_t key, std::byte *mem) {
    uint64_t &v = versions_[key];
    if (v == 0) fill_body(key, mem);
    ++v;
    const uint64_t h[2] = {key ^ kMagic, v};
    std::memcpy(mem, h, sizeof h);
  }

  // A read access: "" or what is wrong.
  std::string check_header(uint64_t key, const std::byte *mem) const {
    const uint64_t want = version(key);
    uint64_t h[2];
    std::memcpy(h, mem, sizeof h);
    const uint64_t want_tag = want == 0 ? 0 : key ^ kMagic;
    if (h[0] == want_tag && h[1] == want) return "";
    return "expected " + stamp_text(want_tag, want, key) + ", found " + stamp_text(h[0], h[1], key);
  }

  // Every byte of the chunk, after a major fault: "" or what is wrong.
  std::string check_chunk(uint64_t key, const std::byte *mem) const {
    std::string bad = check_header(key, mem);
    if (!bad.empty()) return bad;
    const bool zero = version(key) == 0;
    for (uint64_t i = 2; i < kChunk / 8; ++i) {
      uint64_t w;
      std::memcpy(&w, mem + 8 * i, 8);
      const uint64_t want = zero ? 0 : body_word(key, i);
      if (w != want) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "byte %llu of the chunk: expected word 0x%016llx, found 0x%016llx",
                      static_cast<unsigned long long>(8 * i), static_cast<unsigned long long>(want),
                      static_cast<unsigned long long>(w));
        return buf;
      }
    }
    return "";
  }

  uint64_t version(uint64_t key) const {
    auto it = versions_.find(key);
    return it == versions_.end() ? 0 : it->second;
  }
  uint64_t chunks() const { return versions_.size(); }

 private:
  static uint64_t body_word(uint64_t key, uint64_t i) {
    uint64_t z = key * (kChunk / 8) + i + 0x9e3779b97f4a7c15;  // splitmix64's finaliser
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  static void fill_body(uint64_t key, std::byte *mem) {
    for (uint64_t i = 2; i < kChunk / 8; ++i) {
      const uint64_t w = body_word(key, i);
      std::memcpy(mem + 8 * i, &w, 8);
    }
  }
  static std::string stamp_text(uint64_t tag, uint64_t version, uint64_t key) {
    if (tag == 0 && version == 0) return "zeros (never written)";
    char buf[96];
    if ((tag ^ kMagic) == key)
      std::snprintf(buf, sizeof buf, "version %llu", static_cast<unsigned long long>(version));
    else
      std::snprintf(buf, sizeof buf, "stamp {0x%llx, %llu} (not this chunk's)",
                    static_cast<unsigned long long>(tag), static_cast<unsigned long long>(version));
    return buf;
  }

  std::unordered_map<uint64_t, uint64_t> versions_;  // chunk key -> writes so far
};

}  // namespace hpmm::sim
