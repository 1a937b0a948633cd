// tests/mmu_sim/test_swap_file.cc: FileSwap and the MMU over it.  Pages written to the swap file
// read back byte for byte through thousands of evictions (io_uring and pread/pwrite, buffered
// and O_DIRECT, with and without readahead); a read never sees stale data while a write is in
// flight; freed slots are reused; a full disk (RLIMIT_FSIZE), a truncated file (short read) and
// a refused io_uring give clear errors that stop the run; --verify catches a corrupted byte.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "mmu_sim/swap_file.hpp"
#include "mmu_sim/verify_stamps.hpp"
#include "sim_test_util.hpp"
#include "tests/pal/deny_io_uring.hpp"

using namespace hpmm;
using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

constexpr uint64_t kMaxSlots = 1 << 20;

std::string temp_path(const char *tag, const char *dir = "/tmp") {
  static int n = 0;
  return std::string(dir) + "/hpmm_swap_" + tag + "_" + std::to_string(getpid()) + "_" +
         std::to_string(n++);
}

SwapFileOptions options(const char *tag, pal::IoMode io, uint32_t readahead = 0) {
  SwapFileOptions o;
  o.path = temp_path(tag);
  o.io = io;
  o.readahead = readahead;
  return o;
}

std::vector<std::byte> page_of(uint64_t slot, uint32_t round) {
  std::vector<std::byte> p(kPage);
  for (uint64_t i = 0; i < kPage; ++i)
    p[i] = static_cast<std::byte>((slot * 131 + i * 7 + round * 29) >> 1);
  return p;
}

void check_slot(FileSwap &s, uint64_t slot, uint32_t round) {
  std::vector<std::byte> got(kPage);
  cr_assert(s.read(slot, got), "read slot %lu: %s", slot, s.error().data());
  cr_assert(got == page_of(slot, round), "slot %lu round %u differs", slot, round);
}

// 300 slots written twice (the second round overwrites while the first may be in flight), read
// back in a scattered order.
void round_trip(pal::IoMode io, uint32_t readahead, bool direct = false, const char *dir = "/tmp") {
  SwapFileOptions o = options("rt", io, readahead);
  o.path = temp_path("rt", dir);
  o.direct = direct;
  FileSwap s(kPage, kMaxSlots, o);
  cr_assert(s.error().empty(), "%s", s.error().c_str());
  std::vector<uint64_t> slots;
  for (int i = 0; i < 300; ++i) slots.push_back(s.allocate());
  for (uint32_t round = 1; round <= 2; ++round)
    for (uint64_t slot : slots)
      cr_assert(s.write(slot, page_of(slot, round)), "%s", s.error().c_str());
  for (size_t k = 0; k < slots.size(); ++k) check_slot(s, slots[(k * 37) % slots.size()], 2);
  cr_assert(s.drain());
  for (uint64_t slot : slots) check_slot(s, slot, 2);  // now from the file (or readahead)
  cr_assert(s.valid());
  const SwapIoStats st = s.io_stats();
  cr_assert_eq(st.writes, 600u);
  cr_assert_eq(st.reads, 600u);
  cr_assert_gt(st.reads_from_file, 0u);
  cr_assert_eq(st.reads,
               st.reads_from_file + st.reads_from_writeback + st.readahead_hits + st.reads_of_zero);
  if (readahead == 0) cr_assert_eq(st.readahead_issued, 0u);
  cr_assert_gt(st.fault_us_p99, 0.0);
  cr_assert_geq(st.fault_us_p99, st.fault_us_p50);
}

}  // namespace

Test(swap_file, round_trip_io_uring) {
  round_trip(pal::IoMode::kUring, 0);
}
Test(swap_file, round_trip_pread_pwrite) {
  round_trip(pal::IoMode::kSync, 0);
}
Test(swap_file, round_trip_readahead) {
  round_trip(pal::IoMode::kUring, 8);
  round_trip(pal::IoMode::kSync, 3);
}

Test(swap_file, round_trip_o_direct) {
  SwapFileOptions o = options("direct", pal::IoMode::kUring);
  o.path = temp_path("direct", "/var/tmp");
  o.direct = true;
  FileSwap probe(kPage, kMaxSlots, o);
  if (!probe.error().empty()) {
    cr_log_warn("O_DIRECT case skipped: %s", probe.error().c_str());
    return;
  }
  cr_log_info("O_DIRECT on /var/tmp: %s", probe.describe().c_str());
  round_trip(pal::IoMode::kUring, 4, true, "/var/tmp");
  round_trip(pal::IoMode::kSync, 0, true, "/var/tmp");
}

Test(swap_file, reads_never_see_stale_data_while_writes_are_in_flight) {
  FileSwap s(kPage, kMaxSlots, options("stale", pal::IoMode::kUring));
  const uint64_t a = s.allocate();
  cr_assert(s.write(a, page_of(a, 1)));
  check_slot(s, a, 1);  // queued, not even submitted: served from its buffer
  for (uint32_t round = 2; round < 40; ++round) {
    cr_assert(s.write(a, page_of(a, round)));  // rewrites of a slot with a write in flight
    for (uint64_t k = 0; k < 40; ++k) {        // more than a batch: submissions happen
      const uint64_t b = s.allocate();
      cr_assert(s.write(b, page_of(b, round)));
      s.free(b);
    }
    check_slot(s, a, round);
  }
  cr_assert(s.drain());
  check_slot(s, a, 39);
  cr_assert_gt(s.io_stats().reads_from_writeback, 0u);
  cr_assert(s.valid());
}

Test(swap_file, freed_slots_are_reused_and_the_file_does_not_grow) {
  SwapFileOptions o = options("reuse", pal::IoMode::kUring);
  o.keep = true;
  std::set<uint64_t> freed;
  {
    FileSwap s(kPage, kMaxSlots, o);
    std::vector<uint64_t> slots;
    for (int i = 0; i < 16; ++i) slots.push_back(s.allocate());
    for (uint64_t slot : slots) cr_assert(s.write(slot, page_of(slot, 1)));
    for (int i : {3, 7, 11}) {
      s.free(slots[i]);
      freed.insert(slots[i]);
    }
    cr_assert_eq(s.slots_in_use(), 13u);
    for (int round = 2; round < 50; ++round) {  // churn: every new page takes a freed slot
      std::set<uint64_t> got;
      for (int k = 0; k < 3; ++k) got.insert(s.allocate());
      cr_assert(got == freed, "allocate() reuses exactly the freed slots");
      for (uint64_t slot : got) {
        std::vector<std::byte> zero(kPage);
        cr_assert(s.read(slot, zero));  // reallocated, never written since: zeros, no stale data
        cr_assert(
            std::all_of(zero.begin(), zero.end(), [](std::byte b) { return b == std::byte{0}; }));
        cr_assert(s.write(slot, page_of(slot, round)));
      }
      for (uint64_t slot : got) s.free(slot);
    }
    cr_assert(s.drain());
    for (uint64_t slot : slots)
      if (freed.count(slot) == 0) check_slot(s, slot, 1);
    cr_assert_eq(s.io_stats().slots_high_water, 16u);
    cr_assert(s.valid());
  }
  struct stat st;
  cr_assert_eq(stat(o.path.c_str(), &st), 0, "kept");
  cr_assert_leq(static_cast<uint64_t>(st.st_size), 16 * kPage, "file size %ld", st.st_size);
  unlink(o.path.c_str());
}

Test(swap_file, disk_full_is_a_clear_error) {
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = {64 * 1024, 64 * 1024};  // the file may not grow past 16 pages
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
  for (pal::IoMode io : {pal::IoMode::kUring, pal::IoMode::kSync}) {
    SwapFileOptions o = options("full", io);
    FileSwap s(kPage, kMaxSlots, o);
    bool ok = true;
    for (int i = 0; i < 100 && ok; ++i) {
      const uint64_t slot = s.allocate();
      ok = s.write(slot, page_of(slot, 1));
    }
    ok = ok && s.drain();
    cr_assert_not(ok, "writes past the limit must fail");
    cr_assert(s.error().find(o.path) != std::string::npos, "%s", s.error().c_str());
    cr_assert(s.error().find("EFBIG") != std::string::npos, "%s", s.error().c_str());
    const uint64_t slot = s.allocate();
    cr_assert_not(s.write(slot, page_of(slot, 1)), "a failed store stays failed");
    std::vector<std::byte> got(kPage);
    cr_assert_not(s.read(0, got));
  }
}

Test(swap_file, truncated_file_is_a_short_read) {
  SwapFileOptions o = options("trunc", pal::IoMode::kUring);
  o.keep = true;
  FileSwap s(kPage, kMaxSlots, o);
  for (int i = 0; i < 10; ++i) {
    const uint64_t slot = s.allocate();
    cr_assert(s.write(slot, page_of(slot, 1)));
  }
  cr_assert(s.drain());
  cr_assert_eq(truncate(o.path.c_str(), 4 * kPage), 0);
  check_slot(s, 2, 1);
  std::vector<std::byte> got(kPage);
  cr_assert_not(s.read(6, got));
  cr_assert(s.error().find("slot 6") != std::string::npos &&
                s.error().find("short read") != std::string::npos,
            "%s", s.error().c_str());
  unlink(o.path.c_str());
}

Test(swap_file, open_errors_are_named) {
  SwapFileOptions o = options("bad", pal::IoMode::kAuto);
  o.path = "/nonexistent-dir/hpmm.swap";
  FileSwap s(kPage, kMaxSlots, o);
  cr_assert(s.error().find("'/nonexistent-dir/hpmm.swap'") != std::string::npos, "%s",
            s.error().c_str());
  const uint64_t slot = s.allocate();
  cr_assert_not(s.write(slot, page_of(slot, 1)));
}

Test(swap_file, io_uring_refused_by_the_kernel) {
  cr_assert(hpmm::test::deny_io_uring(EPERM));
  FileSwap must(kPage, kMaxSlots, options("refused", pal::IoMode::kUring));
  cr_assert(must.error().find("io_uring refused by the kernel: EPERM") != std::string::npos, "%s",
            must.error().c_str());
  FileSwap fallback(kPage, kMaxSlots, options("fallback", pal::IoMode::kAuto));
  cr_assert(fallback.error().empty());
  cr_assert(fallback.describe().find("pread/pwrite (io_uring refused: EPERM)") != std::string::npos,
            "%s", fallback.describe().c_str());
  round_trip(pal::IoMode::kAuto, 2);
}

Test(swap_file, readahead_is_counted) {
  FileSwap s(kPage, kMaxSlots, options("ra", pal::IoMode::kUring, 4));
  for (int i = 0; i < 64; ++i) {
    const uint64_t slot = s.allocate();
    cr_assert(s.write(slot, page_of(slot, 1)));
  }
  cr_assert(s.drain());
  check_slot(s, 10, 1);
  cr_assert_eq(s.io_stats().readahead_issued, 4u);
  for (uint64_t slot = 11; slot <= 14; ++slot) check_slot(s, slot, 1);
  const SwapIoStats st = s.io_stats();
  cr_assert_eq(st.readahead_hits, 4u);
  cr_assert_eq(st.reads_from_file, 1u);
}

// ---- the MMU over a swap file ----

namespace {

SimConfig swap_config(pal::IoMode io, uint32_t readahead = 0) {
  SimConfig c = small_config();
  c.data = true;
  c.swap.path = temp_path("mmu");
  c.swap.io = io == pal::IoMode::kUring  ? SwapIo::kUring
              : io == pal::IoMode::kSync ? SwapIo::kSync
                                         : SwapIo::kAuto;
  c.swap.readahead = readahead;
  return c;
}

uint8_t byte_at(uint64_t addr, uint32_t round) {
  return static_cast<uint8_t>((addr * 2654435761u) >> 9 ^ round * 91);
}

// 2048 pages through 64 frames, three rounds of whole-page stores then loads.
void thousands_of_evictions(const SimConfig &c) {
  auto m = make(c);
  std::vector<uint8_t> buf(kPage), got(kPage);
  constexpr uint64_t kPages = 2048;
  for (uint32_t round = 1; round <= 3; ++round) {
    for (uint64_t p = 0; p < kPages; ++p) {
      const uint64_t a = kBase + p * kPage;
      for (uint64_t i = 0; i < kPage; i += 64) buf[i] = byte_at(a + i, round);
      cr_assert(m->store(a, buf.data(), kPage), "%s", m->error().c_str());
    }
    for (uint64_t k = kPages; k-- > 0;) {
      const uint64_t a = kBase + ((k * 613) % kPages) * kPage;
      cr_assert(m->load(a, got.data(), kPage), "%s", m->error().c_str());
      for (uint64_t i = 0; i < kPage; i += 64)
        cr_assert_eq(got[i], byte_at(a + i, round), "round %u page %#lx byte %lu", round, a, i);
    }
  }
  cr_assert(m->drain());
  const SimStats s = m->stats();
  cr_assert(s.valid());
  cr_assert(m->valid());
  cr_assert_gt(s.evictions, 10000u);
  cr_assert_eq(s.swap.reads, s.faults_major);
  cr_assert_eq(s.swap.writes, s.writebacks);
  cr_assert_leq(s.swap.slots_high_water, 2048u, "slots are reused: at most one per page");
  cr_assert(m->swap_text().find(c.swap.path) != std::string::npos);
}

std::vector<Access> random_accesses(uint64_t pages, size_t n, uint64_t seed) {
  std::vector<Access> v;
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t a = kBase + ((x >> 20) % pages) * kPage + ((x >> 8) % 4000);
    v.push_back((x >> 60) < 7 ? store(a) : load(a));
  }
  return v;
}

}  // namespace

Test(mmu_swap, data_survives_thousands_of_evictions_io_uring) {
  thousands_of_evictions(swap_config(pal::IoMode::kUring));
}
Test(mmu_swap, data_survives_thousands_of_evictions_pread_pwrite) {
  thousands_of_evictions(swap_config(pal::IoMode::kSync, 4));
}

Test(mmu_swap, verify_replay_with_and_without_a_swap_file) {
  for (int file = 0; file < 2; ++file) {
    SimConfig c = file ? swap_config(pal::IoMode::kAuto, 2) : small_config();
    c.data = true;
    c.verify = true;
    auto m = make(c);
    const SimStats s = run(*m, random_accesses(600, 20000, 7 + file));
    cr_assert_gt(s.faults_major, 1000u);
    cr_assert_gt(s.verified_reads, 1000u);
    cr_assert_eq(s.verified_pages, s.faults_major);
    cr_assert(m->error().empty());
  }
}

// The two tampering tests' start: a verifying MMU with a kept swap file (*c), 200 pages written
// (the same stores in *writes) and every write-back on disk.
static std::unique_ptr<Mmu> verified_pages_on_disk(SimConfig *c, std::vector<Access> *writes) {
  *c = swap_config(pal::IoMode::kUring);
  c->swap.keep = true;
  c->verify = true;
  auto m = make(*c);
  for (uint64_t p = 0; p < 200; ++p) writes->push_back(store(kBase + p * kPage));
  run(*m, *writes);
  cr_assert(m->drain());
  return m;
}

// The swap file of c (kept: c.swap.keep), opened read-write, and its size.
static int open_swap_file(const SimConfig &c, off_t *size) {
  const int fd = ::open(c.swap.path.c_str(), O_RDWR);
  cr_assert(fd >= 0, "%s", c.swap.path.c_str());
  struct stat st;
  cr_assert_eq(fstat(fd, &st), 0);
  *size = st.st_size;
  return fd;
}

Test(mmu_swap, verify_catches_a_corrupted_byte_in_the_file) {
  SimConfig c;
  std::vector<Access> writes;
  auto m = verified_pages_on_disk(&c, &writes);
  // Flip one byte in the body of every page in the file.
  off_t size = 0;
  const int fd = open_swap_file(c, &size);
  for (off_t off = 0; off < size; off += kPage) {
    unsigned char b = 0;
    cr_assert_eq(pread(fd, &b, 1, off + 1000), 1);
    b ^= 0x10;
    cr_assert_eq(pwrite(fd, &b, 1, off + 1000), 1);
  }
  close(fd);
  VectorSource src({load(kBase)});  // page 0 went out first: a major fault reads the file
  const std::string e = m->run(src);
  cr_assert(e.find("verify:") != std::string::npos &&
                e.find("0x7f0000000000") != std::string::npos &&
                e.find("byte 1000") != std::string::npos,
            "%s", e.c_str());
  cr_assert_eq(m->error(), e);
  unlink(c.swap.path.c_str());
}

Test(mmu_swap, verify_catches_a_lost_write) {
  SimConfig c;
  std::vector<Access> writes;
  auto m = verified_pages_on_disk(&c, &writes);
  off_t size = 0;
  const int fd = open_swap_file(c, &size);
  std::vector<char> old(static_cast<size_t>(size));
  cr_assert_eq(pread(fd, old.data(), old.size(), 0), size);
  run(*m, writes);  // every page written again: version 2, written back again
  cr_assert(m->drain());
  cr_assert_eq(pwrite(fd, old.data(), old.size(), 0), size);  // the new writes are lost
  close(fd);
  VectorSource src({load(kBase)});
  const std::string e = m->run(src);
  cr_assert(e.find("verify: access 401, a major fault of 0x7f0000000000") != std::string::npos,
            "%s", e.c_str());
  unlink(c.swap.path.c_str());
}

Test(verify_stamps, versions_keys_and_zeros) {
  VerifyStamps stamps;
  std::vector<std::byte> chunk(VerifyStamps::kChunk);
  cr_assert(stamps.check_chunk(5, chunk.data()).empty(), "never written: zeros");
  stamps.stamp(5, chunk.data());
  const std::vector<std::byte> old = chunk;
  stamps.stamp(5, chunk.data());
  cr_assert(stamps.check_chunk(5, chunk.data()).empty());
  std::string bad = stamps.check_header(5, old.data());
  cr_assert(bad.find("expected version 2, found version 1") != std::string::npos, "%s",
            bad.c_str());
  bad = stamps.check_header(6, chunk.data());
  cr_assert(bad.find("expected zeros (never written)") != std::string::npos, "%s", bad.c_str());
  chunk[4095] ^= std::byte{1};
  bad = stamps.check_chunk(5, chunk.data());
  cr_assert(bad.find("byte 4088") != std::string::npos, "%s", bad.c_str());
}

Test(mmu_swap, disk_full_stops_the_run) {
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = {256 * 1024, 256 * 1024};
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
  SimConfig c = swap_config(pal::IoMode::kAuto);
  auto m = make(c);
  std::vector<Access> writes;
  for (uint64_t p = 0; p < 1000; ++p) writes.push_back(store(kBase + p * kPage));
  VectorSource src(writes, 64);
  const std::string e = m->run(src);
  cr_assert(e.find(c.swap.path) != std::string::npos && e.find("EFBIG") != std::string::npos, "%s",
            e.c_str());
  std::vector<uint8_t> got(8);
  cr_assert_not(m->load(kBase, got.data(), 8));
}

Test(mmu_swap, create_names_a_bad_swap_file) {
  SimConfig c = swap_config(pal::IoMode::kAuto);
  c.swap.path = "/nonexistent-dir/hpmm.swap";
  std::string err;
  cr_assert_null(Mmu::create(c, &err).get());
  cr_assert(err.find("/nonexistent-dir/hpmm.swap") != std::string::npos, "%s", err.c_str());
  c = small_config();
  c.swap.path = "x.swap";  // data off
  cr_assert_null(Mmu::create(c, &err).get());
  cr_assert(err.find("swap.path") != std::string::npos, "%s", err.c_str());
  c = small_config();
  c.verify = true;
  cr_assert_null(Mmu::create(c, &err).get());
  cr_assert(err.find("verify") != std::string::npos, "%s", err.c_str());
}

Test(mmu_swap, two_megabyte_pages) {
  SimConfig c = swap_config(pal::IoMode::kUring);
  c.page_size = PageSize::k2M;
  c.frames[0] = 0;
  c.frames[1] = 2;
  auto m = make(c);
  const uint64_t big = bytes_of(PageSize::k2M).value;
  for (uint32_t round = 1; round <= 2; ++round) {
    for (uint64_t p = 0; p < 6; ++p) {
      const uint8_t v = byte_at(p, round);
      cr_assert(m->store(kBase + p * big + 12345, &v, 1));
    }
    for (uint64_t p = 6; p-- > 0;) {
      uint8_t v = 0;
      cr_assert(m->load(kBase + p * big + 12345, &v, 1));
      cr_assert_eq(v, byte_at(p, round));
    }
  }
  cr_assert(m->drain());
  cr_assert_gt(m->stats().swap.reads, 6u);
}
