// pal/uring_queue.hpp: batched block reads and writes on one file descriptor, through an
// io_uring ring (liburing) or, when io_uring is refused or not wanted, through pread/pwrite with
// the same interface and the same completion semantics.
//
// Use: prep_read/prep_write/prep_writev queue requests (each with a caller's tag); submit() hands
// all queued requests to the kernel in one system call (sync mode: performs them now, in order);
// reap() returns completions {tag, res}, res = bytes moved or -errno, exactly as the kernel reports
// them (a short transfer is a res below the length asked: the caller decides).  Buffers must stay
// valid until their completion is reaped.  Requests in flight at once complete in any order.
//
// Mode: kUring needs the ring (open fails, naming the errno, if the kernel refuses it); kSync
// never tries it; kAuto tries it and falls back to kSync with the reason, and the environment
// variable HPMM_SIM_URING=off makes kAuto choose kSync.  mode_text() says what is in use:
// "io_uring", or "pread/pwrite (io_uring refused: EPERM)", "pread/pwrite (HPMM_SIM_URING=off)",
// "pread/pwrite (asked)".
//
// Invariants (valid()): queued() + in_flight() <= depth();  sync: in_flight() == ready
// completions not yet reaped.  Header-only, as block_file.hpp.  Not thread-safe: one owner.
#pragma once

#include <liburing.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/check.hpp"
#include "pal/block_file.hpp"

namespace hpmm::pal {

enum class IoMode : uint8_t { kAuto, kUring, kSync };

struct IoCompletion {
  uint64_t tag;
  int64_t res;  // bytes moved, or -errno
};

class IoQueue {
 public:
  IoQueue() = default;
  IoQueue(const IoQueue &) = delete;
  IoQueue &operator=(const IoQueue &) = delete;
  ~IoQueue() {
    if (ring_up_) io_uring_queue_exit(&ring_);
  }

  // Sets up for fd with room for `depth` requests queued or in flight.  false: *error says why
  // (only kUring can fail: the kernel refused the ring).
  bool open(int fd, unsigned depth, IoMode mode, std::string *error) {
    HPMM_CHECK(!ring_up_ && fd_ < 0, "IoQueue::open: already open");
    HPMM_CHECK(depth >= 1 && depth <= 4096, "IoQueue::open: depth must be 1..4096");
    fd_ = fd;
    depth_ = depth;
    std::string why;
    if (mode == IoMode::kAuto) {
      const char *env = std::getenv("HPMM_SIM_URING");
      if (env != nullptr && std::strcmp(env, "off") == 0) {
        mode = IoMode::kSync;
        why = "HPMM_SIM_URING=off";
      }
    }
    if (mode != IoMode::kSync) {
      const int r = io_uring_queue_init(depth, &ring_, 0);
      if (r == 0) {
        ring_up_ = true;
        mode_text_ = "io_uring";
        return true;
      }
      const char *name = strerrorname_np(-r);
      why = std::string("io_uring refused: ") + (name ? name : std::to_string(-r).c_str());
      if (mode == IoMode::kUring) {
        *error = "io_uring refused by the kernel: " + errno_text(-r) +
                 " (use --swap-io sync, or HPMM_SIM_URING=off with auto)";
        fd_ = -1;
        return false;
      }
    }
    mode_text_ = "pread/pwrite (" + (why.empty() ? std::string("asked") : why) + ")";
    return true;
  }

  bool uring() const { return ring_up_; }
  const std::string &mode_text() const { return mode_text_; }
  unsigned depth() const { return depth_; }
  unsigned queued() const { return queued_; }
  unsigned in_flight() const { return in_flight_; }
  bool has_room() const { return queued_ + in_flight_ < depth_; }

  void prep_write(const void *buf, uint32_t n, uint64_t off, uint64_t tag) {
    prep(false, const_cast<void *>(buf), n, off, tag);
  }
  void prep_read(void *buf, uint32_t n, uint64_t off, uint64_t tag) {
    prep(true, buf, n, off, tag);
  }
  // One write of iov[0, n) to consecutive bytes from off (pwritev); iov must stay valid until
  // the completion is reaped.
  void prep_writev(const iovec *iov, unsigned n, uint64_t off, uint64_t tag) {
    HPMM_CHECK(fd_ >= 0, "IoQueue: not open");
    HPMM_CHECK(has_room(), "IoQueue: more requests than its depth");
    ++queued_;
    if (!ring_up_) {
      sync_ops_.push_back({false, nullptr, n, off, tag, iov});
      return;
    }
    io_uring_sqe *sqe = next_sqe();
    io_uring_prep_writev(sqe, fd_, iov, n, off);
    io_uring_sqe_set_data64(sqe, tag);
  }

  // A synchronous pwritev (the rest of a short write): bytes written or -errno.
  int64_t write_now(const iovec *iov, unsigned n, uint64_t off) const {
    for (;;) {
      const ssize_t r = pwritev(fd_, iov, static_cast<int>(n), static_cast<off_t>(off));
      if (r >= 0) return r;
      if (errno != EINTR) return -errno;
    }
  }

  // Hands every queued request to the kernel.  0, or -errno when the submission itself failed
  // (the requests' own errors arrive as completions).
  int submit() {
    if (queued_ == 0) return 0;
    if (!ring_up_) {
      for (const SyncOp &op : sync_ops_) done_.push_back({op.tag, run_sync(op)});
      sync_ops_.clear();
      in_flight_ += queued_;
      queued_ = 0;
      return 0;
    }
    for (;;) {
      const int r = io_uring_submit(&ring_);
      if (r == -EINTR || r == -EAGAIN) continue;
      if (r < 0) return r;
      if (r == 0) return -EBUSY;  // the kernel took none: do not spin
      queued_ -= static_cast<unsigned>(r);
      in_flight_ += static_cast<unsigned>(r);
      if (queued_ == 0) return 0;
    }
  }

  // Up to max completions into out.  wait: if none is ready, submits what is queued and blocks
  // until one is (returns 0 only when nothing is queued or in flight).  Returns the count, or
  // -errno when waiting failed.
  int reap(IoCompletion *out, unsigned max, bool wait) {
    if (wait && in_flight_ == 0 && queued_ != 0) {
      const int s = submit();
      if (s < 0) return s;
    }
    unsigned n = 0;
    if (!ring_up_) {
      while (n < max && done_head_ < done_.size()) out[n++] = done_[done_head_++];
      if (done_head_ == done_.size()) done_.clear(), done_head_ = 0;
      in_flight_ -= n;
      return static_cast<int>(n);
    }
    while (n < max && in_flight_ > 0) {
      io_uring_cqe *cqe = nullptr;
      int r = io_uring_peek_cqe(&ring_, &cqe);
      if (r == -EAGAIN && n == 0 && wait) {
        do r = io_uring_wait_cqe(&ring_, &cqe);
        while (r == -EINTR);
      }
      if (r == -EAGAIN) break;
      if (r < 0) return r;
      out[n++] = {io_uring_cqe_get_data64(cqe), cqe->res};
      io_uring_cqe_seen(&ring_, cqe);
      --in_flight_;
    }
    return static_cast<int>(n);
  }

  bool valid() const {
    if (queued_ + in_flight_ > depth_) return false;
    if (!ring_up_) return queued_ == sync_ops_.size() && in_flight_ == done_.size() - done_head_;
    return true;
  }

 private:
  struct SyncOp {
    bool read;
    void *buf;
    uint32_t n;  // bytes, or iovecs when iov != nullptr
    uint64_t off;
    uint64_t tag;
    const iovec *iov = nullptr;
  };

  io_uring_sqe *next_sqe() {
    io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // the SQ is full of requests a partial submit left: push them out
      HPMM_CHECK(submit() == 0 && (sqe = io_uring_get_sqe(&ring_)) != nullptr,
                 "IoQueue: no submission entry");
    }
    return sqe;
  }

  void prep(bool read, void *buf, uint32_t n, uint64_t off, uint64_t tag) {
    HPMM_CHECK(fd_ >= 0, "IoQueue: not open");
    HPMM_CHECK(has_room(), "IoQueue: more requests than its depth");
    ++queued_;
    if (!ring_up_) {
      sync_ops_.push_back({read, buf, n, off, tag});
      return;
    }
    io_uring_sqe *sqe = next_sqe();
    if (read)
      io_uring_prep_read(sqe, fd_, buf, n, off);
    else
      io_uring_prep_write(sqe, fd_, buf, n, off);
    io_uring_sqe_set_data64(sqe, tag);
  }

  // One pread/pwrite, retried on EINTR: the completion result io_uring would give.
  int64_t run_sync(const SyncOp &op) const {
    for (;;) {
      const ssize_t r =
          op.iov    ? pwritev(fd_, op.iov, static_cast<int>(op.n), static_cast<off_t>(op.off))
          : op.read ? pread(fd_, op.buf, op.n, static_cast<off_t>(op.off))
                    : pwrite(fd_, op.buf, op.n, static_cast<off_t>(op.off));
      if (r >= 0) return r;
      if (errno != EINTR) return -errno;
    }
  }

  int fd_ = -1;
  unsigned depth_ = 0;
  unsigned queued_ = 0;     // prepared, not yet submitted
  unsigned in_flight_ = 0;  // submitted, completion not yet reaped
  bool ring_up_ = false;
  io_uring ring_{};
  std::string mode_text_;
  std::vector<SyncOp> sync_ops_;    // sync mode: queued requests
  std::vector<IoCompletion> done_;  // sync mode: completions [done_head_, end) not yet reaped
  size_t done_head_ = 0;
};

}  // namespace hpmm::pal
