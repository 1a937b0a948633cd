// tests/mmu_sim/test_mmu_data.cc: data mode: bytes stored through the MMU live in frame memory,
// survive eviction to the in-memory swap store, and read back after major faults; pages never
// written read as zeros; ranges may cross pages of any size.
#include <criterion/criterion.h>
#include <signal.h>

#include <cstring>
#include <vector>

#include "mmu_sim/swap_store.hpp"
#include "sim_test_util.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

uint8_t pattern(uint64_t addr, uint32_t round) {
  return static_cast<uint8_t>((addr * 2654435761u) >> 7 ^ round * 77);
}

// Writes `len` patterned bytes at each of `addrs`, then reads all back (several rounds, each
// overwriting the previous one), with far more pages than frames.
void write_and_read_back(const SimConfig &c, const std::vector<uint64_t> &addrs, uint32_t len) {
  auto m = make(c);
  std::vector<uint8_t> buf(len), got(len);
  for (uint32_t round = 1; round <= 3; ++round) {
    for (uint64_t a : addrs) {
      for (uint32_t i = 0; i < len; ++i) buf[i] = pattern(a + i, round);
      m->store(a, buf.data(), len);
    }
    for (size_t k = addrs.size(); k-- > 0;) {  // reverse order: other victims
      m->load(addrs[k], got.data(), len);
      for (uint32_t i = 0; i < len; ++i)
        cr_assert_eq(got[i], pattern(addrs[k] + i, round), "%s round %u addr %#lx byte %u",
                     name_of(c.replacement), round, addrs[k], i);
    }
  }
  SimStats s = m->stats();
  cr_assert(s.valid());
  cr_assert(m->valid());
  cr_assert_gt(s.faults_major, 0u, "the data really went through swap");
  cr_assert_gt(s.writebacks, 0u);
}

}  // namespace

Test(mmu_data, four_k_pages_survive_eviction_under_each_policy) {
  for (PageReplacement p : {PageReplacement::kFifo, PageReplacement::kLru, PageReplacement::kClock,
                            PageReplacement::kRandom}) {
    SimConfig c = small_config();
    c.data = true;
    c.replacement = p;
    c.frames[0] = 4;
    std::vector<uint64_t> addrs;
    for (uint64_t pg = 0; pg < 24; ++pg) addrs.push_back(kBase + pg * kPage + (pg * 97) % 3000);
    write_and_read_back(c, addrs, 600);
  }
}

Test(mmu_data, ranges_crossing_page_boundaries) {
  SimConfig c = small_config();
  c.data = true;
  c.frames[0] = 3;
  std::vector<uint64_t> addrs;
  for (uint64_t pg = 1; pg < 16; pg += 2) addrs.push_back(kBase + pg * kPage - 1000);
  write_and_read_back(c, addrs, 5000);  // each range spans 2 or 3 pages
}

Test(mmu_data, two_mib_pages_and_ranges_into_a_region) {
  SimConfig c = small_config();
  c.data = true;
  c.frames[0] = 2;
  c.frames[1] = 2;
  const uint64_t r = kBase + (1ull << 30);
  c.regions.push_back({VirtAddr(r), Bytes(10u << 20), PageSize::k2M});  // 5 pages, 2 frames
  std::vector<uint64_t> addrs;
  for (uint64_t pg = 0; pg < 5; ++pg) addrs.push_back(r + pg * (2u << 20) + pg * 12345);
  addrs.push_back(r + (2u << 20) - 700);  // crosses two 2 MiB pages
  addrs.push_back(r - 300);               // from a 4 KiB page into the region
  for (uint64_t pg = 0; pg < 4; ++pg) addrs.push_back(kBase + pg * kPage);
  write_and_read_back(c, addrs, 1500);
}

Test(mmu_data, never_written_bytes_read_as_zero_even_in_reused_frames) {
  SimConfig c = small_config();
  c.data = true;
  c.frames[0] = 1;
  auto m = make(c);
  std::vector<uint8_t> ones(kPage, 0xff), got(kPage, 0x5a);
  m->store(kBase, ones.data(), kPage);        // frame 0 full of 0xff
  m->load(kBase + kPage, got.data(), kPage);  // minor fault reuses the frame: must read zeros
  for (uint64_t i = 0; i < kPage; ++i) cr_assert_eq(got[i], 0, "byte %lu", i);
  m->load(kBase, got.data(), kPage);
  for (uint64_t i = 0; i < kPage; ++i) cr_assert_eq(got[i], 0xff);
  SimStats s = m->stats();
  cr_assert_eq(s.faults_minor, 2u);
  cr_assert_eq(s.faults_major, 1u);
  cr_assert_eq(s.reads, 2u);
  cr_assert_eq(s.writes, 1u);
  cr_assert_eq(s.translations, 3u);
}

Test(mmu_data, trace_accesses_on_a_data_mmu_write_back_zero_pages) {
  // access() carries no data: a page stored to by access() is dirty, its data is still the zero
  // fill, and after its eviction it reads back as zeros.
  SimConfig c = small_config();
  c.data = true;
  c.frames[0] = 1;
  auto m = make(c);
  m->access(store(kBase));
  m->access(load(kBase + kPage));
  uint8_t got[16];
  std::memset(got, 7, sizeof got);
  m->load(kBase + 8, got, sizeof got);
  for (uint8_t b : got) cr_assert_eq(b, 0);
  cr_assert_eq(m->stats().faults_major, 1u);
  cr_assert(m->backing().find("frames-4k") != std::string::npos, "backing: %s",
            m->backing().c_str());
}

Test(mmu_data, zero_length_moves_nothing_and_counts_nothing) {
  SimConfig c = small_config();
  c.data = true;
  auto m = make(c);
  m->load(kBase, nullptr, 0);
  m->store(kBase, nullptr, 0);
  cr_assert_eq(m->stats().accesses, 0u);
  cr_assert_eq(m->stats().translations, 0u);
}

Test(swap_store, memory_swap_keeps_bytes_and_reuses_slots) {
  MemorySwap s(64, 3);
  std::vector<std::byte> in(64), out(64);
  const uint64_t a = s.allocate(), b = s.allocate(), c = s.allocate();
  cr_assert_eq(s.allocate(), kNoSlot, "bounded: the fourth slot does not exist");
  cr_assert_eq(s.slots_in_use(), 3u);
  for (int i = 0; i < 64; ++i) in[i] = std::byte(i);
  cr_assert(s.write(b, in));
  cr_assert(s.read(a, out));
  for (std::byte x : out) cr_assert_eq(x, std::byte(0), "never written: zeros");
  cr_assert(s.read(b, out));
  cr_assert(out == in);
  cr_assert(!s.write(b, std::span<const std::byte>(in).first(10)), "wrong size refused");
  cr_assert(!s.read(99, out), "unknown slot refused");
  s.free(b);
  cr_assert_eq(s.slots_in_use(), 2u);
  const uint64_t d = s.allocate();
  cr_assert_eq(d, b, "the freed slot is reused");
  cr_assert(s.read(d, out));
  for (std::byte x : out) cr_assert_eq(x, std::byte(0), "a reused slot reads as zeros");
  (void)c;
  cr_assert(s.valid());
}

Test(swap_store, counting_swap_hands_out_slots_only) {
  CountingSwap s(4096, 2);
  std::vector<std::byte> page(4096);
  const uint64_t a = s.allocate();
  cr_assert(s.write(a, page));
  cr_assert(s.read(a, page));
  cr_assert(!s.read(a + 5, page));
  s.allocate();
  cr_assert_eq(s.allocate(), kNoSlot);
  s.free(a);
  cr_assert_eq(s.allocate(), a);
  cr_assert(s.valid());
}

Test(swap_store, freeing_an_unknown_slot_is_refused, .signal = SIGABRT) {
  CountingSwap s(4096, 2);
  s.free(1);
}
