// pal/block_file.hpp: the simulator's swap file: a regular file that hpmm-sim creates itself,
// read and written in whole blocks at block-aligned offsets (uring_queue.hpp moves the bytes).
//
// open() creates the file with O_CREAT | O_EXCL (an existing path, a device such as /dev/full or
// a symbolic link is refused: the simulator never truncates or unlinks a file it did not make),
// mode 0600.  Unless `keep`, the file is unlinked at once, so it is gone at exit however the
// process ends; with `keep` it stays, its size the highest slot written.  `direct` asks for
// O_DIRECT; a file system that refuses it (at open, or on an aligned probe write of one block at
// offset 0) gets buffered I/O and the reason in note().
//
// Invariants: ok() <=> fd() >= 0;  ok() && direct() => every read and write must use buffers,
// offsets and lengths aligned to kDirectAlign.
// Header-only on purpose: pal/*.cc are linked into libhpmm.so, which must not depend on the
// simulator's file I/O.  Not thread-safe: one owner; move-only.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace hpmm::pal {

inline constexpr size_t kDirectAlign = 4096;

// "EPERM (Operation not permitted)"
inline std::string errno_text(int e) {
  const char *name = strerrorname_np(e);
  return std::string(name ? name : "errno " + std::to_string(e)) + " (" + std::strerror(e) + ")";
}

class BlockFile {
 public:
  BlockFile() = default;
  BlockFile(BlockFile &&o) noexcept { *this = std::move(o); }
  BlockFile &operator=(BlockFile &&o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(direct_, o.direct_);
    std::swap(path_, o.path_);
    std::swap(note_, o.note_);
    return *this;
  }
  ~BlockFile() {
    if (fd_ >= 0) close(fd_);
  }

  // Creates the file; on failure returns a closed BlockFile and sets *error to a message naming
  // the path and the reason.
  static BlockFile open(const std::string &path, bool direct, bool keep, std::string *error) {
    BlockFile f;
    f.path_ = path;
    if (path.empty()) {
      *error = "swap file: empty path";
      return f;
    }
    const int flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
    int fd = ::open(path.c_str(), flags | (direct ? O_DIRECT : 0), 0600);
    if (fd < 0 && direct && errno == EINVAL) {  // O_DIRECT refused at open: nothing was created
      f.note_ =
          "O_DIRECT refused by the file system at open (" + errno_text(EINVAL) + "): buffered I/O";
      direct = false;
      fd = ::open(path.c_str(), flags, 0600);
    }
    if (fd < 0) {
      const int e = errno;
      *error = "swap file '" + path + "': cannot create: " + errno_text(e);
      if (e == EEXIST) *error += "; hpmm-sim creates its own swap file: remove it or pick another";
      return f;
    }
    f.fd_ = fd;
    if (!keep && unlink(path.c_str()) != 0) {
      *error = "swap file '" + path + "': cannot unlink: " + errno_text(errno);
      return BlockFile();  // closes fd
    }
    const int probe = direct ? f.probe_direct() : 0;
    if (probe != 0 && probe != EINVAL) {
      *error = "swap file '" + path + "': cannot write: " + errno_text(probe);
      return BlockFile();
    }
    if (probe == EINVAL) {
      // Accepted at open, refused at I/O: reopen buffered through the descriptor's flags.
      const int fl = fcntl(fd, F_GETFL);
      if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_DIRECT) != 0) {
        *error = "swap file '" + path +
                 "': O_DIRECT failed and cannot be turned off: " + errno_text(errno);
        return BlockFile();
      }
      direct = false;
    }
    f.direct_ = direct;
    return f;
  }

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool direct() const { return direct_; }
  const std::string &path() const { return path_; }
  // Why the file does not have what was asked ("" if it does).
  const std::string &note() const { return note_; }

 private:
  // One aligned block written at offset 0 (slot 0's place: no slot has been written yet).
  // 0 when it worked; EINVAL (and note_ set) when the file system refuses O_DIRECT I/O; any
  // other errno (ENOSPC, EIO, a short write as ENOSPC) is a failure of the file.
  int probe_direct() {
    void *buf = std::aligned_alloc(kDirectAlign, kDirectAlign);
    if (buf == nullptr) return ENOMEM;
    std::memset(buf, 0, kDirectAlign);
    const ssize_t r = pwrite(fd_, buf, kDirectAlign, 0);
    const int e = r < 0 ? errno : r == static_cast<ssize_t>(kDirectAlign) ? 0 : ENOSPC;
    std::free(buf);
    if (e == EINVAL)
      note_ = "O_DIRECT refused by the file system on a probe write (" + errno_text(e) +
              "): buffered I/O";
    return e;
  }

  int fd_ = -1;
  bool direct_ = false;
  std::string path_;
  std::string note_;
};

}  // namespace hpmm::pal
