// tests/pal/test_uring_queue.cc: IoQueue (io_uring and pread/pwrite) moves whole blocks, reports
// every error and short transfer as the kernel gives it, and falls back -- or refuses, when
// io_uring is demanded -- when the kernel refuses the ring; BlockFile creates only new regular
// files, unlinks unless kept, and says when O_DIRECT is refused.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "pal/block_file.hpp"
#include "pal/uring_queue.hpp"
#include "tests/pal/deny_io_uring.hpp"

using hpmm::pal::BlockFile;
using hpmm::pal::IoCompletion;
using hpmm::pal::IoMode;
using hpmm::pal::IoQueue;

namespace {

constexpr uint32_t kBlock = 4096;

std::string temp_path(const char *tag) {
  return std::string("/tmp/hpmm_uring_") + tag + "_" + std::to_string(getpid());
}

// All completions of what is queued or in flight, by tag.
std::map<uint64_t, int64_t> reap_all(IoQueue &q) {
  std::map<uint64_t, int64_t> got;
  IoCompletion c[8];
  while (q.queued() + q.in_flight() != 0) {
    const int n = q.reap(c, 8, true);
    cr_assert(n > 0, "reap: %d", n);
    for (int i = 0; i < n; ++i) got[c[i].tag] = c[i].res;
  }
  return got;
}

// Writes 24 blocks in batches of 8 and reads them back, checking every byte and tag.
void round_trip(IoMode mode) {
  std::string err;
  BlockFile f = BlockFile::open(temp_path("rt"), false, false, &err);
  cr_assert(f.ok(), "%s", err.c_str());
  IoQueue q;
  cr_assert(q.open(f.fd(), 8, mode, &err), "%s", err.c_str());
  cr_assert_eq(q.uring(), mode == IoMode::kUring);
  std::vector<std::vector<unsigned char>> blocks(24, std::vector<unsigned char>(kBlock));
  for (size_t b = 0; b < blocks.size(); ++b)
    for (uint32_t i = 0; i < kBlock; ++i) blocks[b][i] = static_cast<unsigned char>(b * 7 + i);
  for (size_t b = 0; b < blocks.size(); b += 8) {
    for (size_t k = b; k < b + 8; ++k) q.prep_write(blocks[k].data(), kBlock, k * kBlock, 100 + k);
    cr_assert_not(q.has_room());
    cr_assert_eq(q.submit(), 0);
    cr_assert(q.valid());
    auto got = reap_all(q);
    cr_assert_eq(got.size(), 8u);
    for (size_t k = b; k < b + 8; ++k) cr_assert_eq(got.at(100 + k), kBlock);
  }
  std::vector<std::vector<unsigned char>> back(24, std::vector<unsigned char>(kBlock, 0));
  for (size_t b = 0; b < back.size(); b += 8) {
    for (size_t k = b; k < b + 8; ++k) q.prep_read(back[k].data(), kBlock, k * kBlock, k);
    auto got = reap_all(q);  // reap(wait) submits what is queued
    for (size_t k = b; k < b + 8; ++k) cr_assert_eq(got.at(k), kBlock);
  }
  for (size_t b = 0; b < blocks.size(); ++b)
    cr_assert(blocks[b] == back[b], "block %zu read back differs", b);
  // Past the end of the file: a short (empty) read, as the kernel reports it.
  q.prep_read(back[0].data(), kBlock, 100 * kBlock, 7);
  auto got = reap_all(q);
  cr_assert_eq(got.at(7), 0);
  cr_assert(q.valid());
}

// Errors arrive as completions with -errno.
void errors(IoMode mode) {
  std::string path = temp_path("err");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert(fd >= 0);
  unlink(path.c_str());
  IoQueue q;
  std::string err;
  cr_assert(q.open(fd, 4, mode, &err));
  std::vector<unsigned char> buf(kBlock);
  q.prep_read(buf.data(), kBlock, 0, 1);  // the descriptor is write-only
  auto got = reap_all(q);
  cr_assert_eq(got.at(1), -EBADF);
  close(fd);
}

}  // namespace

Test(uring_queue, round_trip_io_uring) {
  round_trip(IoMode::kUring);
}
Test(uring_queue, round_trip_pread_pwrite) {
  round_trip(IoMode::kSync);
}
Test(uring_queue, errors_io_uring) {
  errors(IoMode::kUring);
}
Test(uring_queue, errors_pread_pwrite) {
  errors(IoMode::kSync);
}

Test(uring_queue, mode_text_names_what_is_used) {
  IoQueue a, b;
  std::string err;
  cr_assert(a.open(0, 4, IoMode::kAuto, &err));
  cr_assert_str_eq(a.mode_text().c_str(), "io_uring");
  cr_assert(b.open(0, 4, IoMode::kSync, &err));
  cr_assert_str_eq(b.mode_text().c_str(), "pread/pwrite (asked)");
}

Test(uring_queue, env_off_selects_pread_pwrite) {
  setenv("HPMM_SIM_URING", "off", 1);
  IoQueue q;
  std::string err;
  cr_assert(q.open(0, 4, IoMode::kAuto, &err));
  cr_assert_not(q.uring());
  cr_assert_str_eq(q.mode_text().c_str(), "pread/pwrite (HPMM_SIM_URING=off)");
}

Test(uring_queue, kernel_refusal_eperm_falls_back_or_fails) {
  cr_assert(hpmm::test::deny_io_uring(EPERM));
  IoQueue a;
  std::string err;
  cr_assert(a.open(0, 4, IoMode::kAuto, &err));
  cr_assert_not(a.uring());
  cr_assert_str_eq(a.mode_text().c_str(), "pread/pwrite (io_uring refused: EPERM)");
  IoQueue b;
  cr_assert_not(b.open(0, 4, IoMode::kUring, &err));
  cr_assert(err.find("io_uring refused by the kernel: EPERM") != std::string::npos, "%s",
            err.c_str());
  round_trip(IoMode::kSync);  // the fallback works under the same policy
}

Test(uring_queue, kernel_refusal_enosys) {
  cr_assert(hpmm::test::deny_io_uring(ENOSYS));
  IoQueue a;
  std::string err;
  cr_assert(a.open(0, 4, IoMode::kAuto, &err));
  cr_assert_str_eq(a.mode_text().c_str(), "pread/pwrite (io_uring refused: ENOSYS)");
}

Test(block_file, unlinked_unless_kept) {
  std::string err, path = temp_path("keep");
  {
    BlockFile f = BlockFile::open(path, false, false, &err);
    cr_assert(f.ok(), "%s", err.c_str());
    struct stat st;
    cr_assert_neq(stat(path.c_str(), &st), 0, "not kept: unlinked at once");
  }
  {
    BlockFile f = BlockFile::open(path, false, true, &err);
    cr_assert(f.ok(), "%s", err.c_str());
  }
  struct stat st;
  cr_assert_eq(stat(path.c_str(), &st), 0, "kept");
  cr_assert(S_ISREG(st.st_mode));
  cr_assert_eq(st.st_mode & 0777, 0600u);
  // An existing path is never reused, truncated or unlinked.
  BlockFile again = BlockFile::open(path, false, false, &err);
  cr_assert_not(again.ok());
  cr_assert(err.find(path) != std::string::npos && err.find("EEXIST") != std::string::npos, "%s",
            err.c_str());
  cr_assert_eq(stat(path.c_str(), &st), 0, "still there");
  unlink(path.c_str());
}

Test(block_file, bad_paths_are_named) {
  std::string err;
  cr_assert_not(BlockFile::open("/nonexistent-dir/x.swap", false, false, &err).ok());
  cr_assert(err.find("'/nonexistent-dir/x.swap'") != std::string::npos &&
                err.find("ENOENT") != std::string::npos,
            "%s", err.c_str());
  cr_assert_not(BlockFile::open("/dev/full", false, false, &err).ok());  // a device: EEXIST
  cr_assert(err.find("EEXIST") != std::string::npos, "%s", err.c_str());
  cr_assert_not(BlockFile::open("", false, false, &err).ok());
  cr_assert(err.find("empty path") != std::string::npos);
}

Test(block_file, unwritable_directory) {
  if (geteuid() == 0) {
    // root writes anywhere; a read-only file system is the unwritable place then
    std::string err;
    cr_assert_not(BlockFile::open("/proc/hpmm.swap", false, false, &err).ok());
    cr_assert(err.find("/proc/hpmm.swap") != std::string::npos, "%s", err.c_str());
    return;
  }
  std::string err;
  cr_assert_not(BlockFile::open("/hpmm.swap", false, false, &err).ok());
  cr_assert(err.find("EACCES") != std::string::npos, "%s", err.c_str());
}

Test(block_file, o_direct_on_a_disk_file_system_or_a_note) {
  // /var/tmp is on a disk file system here (ext4 or overlay); tmpfs may refuse O_DIRECT.
  for (const char *dir : {"/var/tmp", "/dev/shm"}) {
    std::string err, path = std::string(dir) + "/hpmm_direct_" + std::to_string(getpid());
    BlockFile f = BlockFile::open(path, true, false, &err);
    if (!f.ok()) {
      cr_log_warn("%s: cannot create a file there (%s): case skipped", dir, err.c_str());
      continue;
    }
    if (!f.direct()) {
      cr_assert(f.note().find("O_DIRECT refused") != std::string::npos, "%s", f.note().c_str());
      cr_log_info("%s: %s", dir, f.note().c_str());
      continue;
    }
    cr_assert(f.note().empty());
    // Aligned I/O works through the queue in both modes.
    void *buf = std::aligned_alloc(hpmm::pal::kDirectAlign, kBlock);
    std::memset(buf, 0x5a, kBlock);
    for (IoMode m : {IoMode::kUring, IoMode::kSync}) {
      IoQueue q;
      cr_assert(q.open(f.fd(), 2, m, &err));
      q.prep_write(buf, kBlock, kBlock, 1);
      auto got = reap_all(q);
      cr_assert_eq(got.at(1), kBlock);
    }
    std::free(buf);
  }
}

Test(uring_queue, vectored_write_of_consecutive_blocks) {
  for (IoMode mode : {IoMode::kUring, IoMode::kSync}) {
    std::string err;
    BlockFile f = BlockFile::open(temp_path("writev"), false, false, &err);
    cr_assert(f.ok(), "%s", err.c_str());
    IoQueue q;
    cr_assert(q.open(f.fd(), 4, mode, &err));
    std::vector<unsigned char> a(kBlock, 'a'), b(kBlock, 'b'), c(kBlock, 'c');
    iovec iov[3] = {{a.data(), kBlock}, {b.data(), kBlock}, {c.data(), kBlock}};
    q.prep_writev(iov, 3, 2 * kBlock, 9);
    cr_assert_eq(reap_all(q).at(9), 3 * kBlock);
    std::vector<unsigned char> back(3 * kBlock);
    q.prep_read(back.data(), 3 * kBlock, 2 * kBlock, 10);
    cr_assert_eq(reap_all(q).at(10), 3 * kBlock);
    cr_assert(back[0] == 'a' && back[kBlock] == 'b' && back[3 * kBlock - 1] == 'c');
    // The rest of a short write, synchronously.
    cr_assert_eq(q.write_now(iov, 2, 0), 2 * kBlock);
  }
}
