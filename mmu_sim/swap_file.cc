// mmu_sim/swap_file.cc: FileSwap (see swap_file.hpp for the design and invariants).
#include "mmu_sim/swap_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "pal/clock.hpp"

namespace hpmm::sim {

SwapFileOptions swap_file_options(const SimConfig &c, PageSize s) {
  SwapFileOptions o;
  o.path = c.swap.path;
  if (s != c.page_size) o.path += std::string(".") + name_of(s);
  o.keep = c.swap.keep;
  o.direct = c.swap.direct;
  o.readahead = c.swap.readahead;
  o.io = c.swap.io == SwapIo::kUring  ? pal::IoMode::kUring
         : c.swap.io == SwapIo::kSync ? pal::IoMode::kSync
                                      : pal::IoMode::kAuto;
  return o;
}

void FileSwap::FreeDeleter::operator()(std::byte *p) const {
  std::free(p);
}

FileSwap::FileSwap(uint64_t page_bytes, uint64_t max_slots, const SwapFileOptions &o)
    : page_bytes_(page_bytes), slots_(max_slots), path_(o.path), readahead_(o.readahead) {
  const bool staged = page_bytes <= kMaxStagedPage;
  const uint64_t nstage = staged ? std::clamp<uint64_t>(kStagingBytes / page_bytes, 2, 256) : 0;
  uint64_t ncache = staged ? std::min<uint64_t>(2 * uint64_t{o.readahead}, 128) : 0;
  ncache = std::min(ncache, kReadaheadBytes / page_bytes);
  if (ncache == 0) readahead_ = 0;
  const uint64_t nbufs = nstage + ncache + (staged ? 1 : 0);  // + a bounce page
  if (page_bytes == 0 || page_bytes % pal::kDirectAlign != 0 || page_bytes > UINT32_MAX) {
    fail("swap file: page size " + std::to_string(page_bytes) + " is not a multiple of 4096");
    return;
  }
  if (nbufs != 0) {
    arena_.reset(
        static_cast<std::byte *>(std::aligned_alloc(pal::kDirectAlign, nbufs * page_bytes)));
    if (!arena_) {
      fail("swap file: cannot allocate " + std::to_string(nbufs * page_bytes) +
           " bytes of I/O buffers");
      return;
    }
  }
  stage_.resize(nstage);
  cache_.resize(ncache);
  for (uint64_t i = 0; i < nstage; ++i) stage_[i].mem = arena_.get() + i * page_bytes;
  for (uint64_t i = 0; i < ncache; ++i) cache_[i].mem = arena_.get() + (nstage + i) * page_bytes;
  if (staged) bounce_ = arena_.get() + (nstage + ncache) * page_bytes;
  for (uint64_t i = nstage; i-- > 0;) free_bufs_.push_back(static_cast<uint32_t>(i));
  groups_.resize(nstage);
  for (Group &g : groups_) {
    g.members.reserve(kBatch);
    g.iov.reserve(kBatch);
  }

  std::string err;
  file_ = pal::BlockFile::open(o.path, o.direct, o.keep, &err);
  if (!file_.ok()) {
    fail(err);
    return;
  }
  io_ = std::make_unique<pal::IoQueue>();
  const unsigned depth = static_cast<unsigned>(nbufs + 2);
  if (!io_->open(file_.fd(), depth, o.io, &err)) {
    io_.reset();
    fail("swap file '" + path_ + "': " + err);
  }
}

FileSwap::~FileSwap() {
  if (!io_) return;
  // Queued write-backs go out (a kept file gets every page); the kernel may still write from or
  // read into the buffers: wait for every request.  If even waiting fails, the buffers are
  // leaked rather than freed under the kernel's feet.
  if (!failed_) submit();
  while (io_->queued() + io_->in_flight() != 0) {
    if (io_->queued() != 0 && io_->submit() < 0) break;
    pal::IoCompletion c[16];
    const int n = io_->reap(c, 16, true);
    if (n <= 0) break;
  }
  if (io_->queued() + io_->in_flight() != 0) (void)arena_.release();
}

std::string FileSwap::where(uint64_t slot) const {
  return "swap file '" + path_ + "': slot " + std::to_string(slot) + " (offset " +
         std::to_string(slot * page_bytes_) + ")";
}

bool FileSwap::fail(std::string what) {
  if (!failed_) error_ = std::move(what);  // the first error is the cause
  failed_ = true;
  return false;
}

void FileSwap::free(uint64_t slot) {
  slots_.free(slot);
  if (slot < written_.size()) written_[slot] = 0;
  uncache(slot);
  // A staged write of the slot may still complete: harmless, the slot holds no data now.
}

int FileSwap::staged(uint64_t slot) const {
  for (size_t i = 0; i < stage_.size(); ++i)
    if (stage_[i].slot == slot && stage_[i].state != BufState::kFree) return static_cast<int>(i);
  return -1;
}

int FileSwap::cached(uint64_t slot) const {
  for (size_t i = 0; i < cache_.size(); ++i)
    if (cache_[i].slot == slot && cache_[i].state != BufState::kFree) return static_cast<int>(i);
  return -1;
}

void FileSwap::uncache(uint64_t slot) {
  const int i = cached(slot);
  if (i < 0) return;
  if (cache_[i].state == BufState::kReady) cache_[i].state = BufState::kFree;
  cache_[i].slot = kNoSlot;  // in flight: its completion is dropped
}

bool FileSwap::submit() {
  // Queued write-backs to consecutive slots (the usual case: slots are handed out in eviction
  // order) go as one vectored write each.
  for (size_t k = 0; k < queued_bufs_.size();) {
    const uint32_t lead = queued_bufs_[k];
    Group &g = groups_[lead];
    g.members.clear();
    g.iov.clear();
    do {
      const uint32_t b = queued_bufs_[k++];
      g.members.push_back(b);
      g.iov.push_back({stage_[b].mem, page_bytes_});
    } while (k < queued_bufs_.size() && g.members.size() < kBatch &&
             stage_[queued_bufs_[k]].slot == stage_[lead].slot + g.members.size());
    io_->prep_writev(g.iov.data(), static_cast<unsigned>(g.iov.size()),
                     stage_[lead].slot * page_bytes_, tag(kWrite, lead));
  }
  const unsigned n = io_->queued();
  if (n == 0) return true;
  const int r = io_->submit();
  if (r < 0)
    return fail("swap file '" + path_ + "': submitting I/O failed: " + pal::errno_text(-r));
  ++st_.submits;
  const uint64_t now = pal::now_ns();
  for (uint32_t i : queued_bufs_) {
    stage_[i].state = BufState::kInFlight;
    stage_[i].submitted_ns = now;
  }
  queued_bufs_.clear();
  return true;
}

bool FileSwap::poll(bool wait) {
  pal::IoCompletion c[32];
  for (;;) {
    const int n = io_->reap(c, 32, wait);
    if (n < 0)
      return fail("swap file '" + path_ + "': waiting for I/O failed: " + pal::errno_text(-n));
    for (int i = 0; i < n; ++i) complete(c[i]);
    if (n < 32) return !failed_;
    wait = false;
  }
}

void FileSwap::complete(const pal::IoCompletion &c) {
  const Kind kind = static_cast<Kind>(c.tag >> 32);
  const uint32_t i = static_cast<uint32_t>(c.tag);
  const bool whole = c.res == static_cast<int64_t>(page_bytes_);
  switch (kind) {
    case kWrite: {  // a group of consecutive slots led by staging buffer i
      Group &g = groups_[i];
      const uint64_t want = g.members.size() * page_bytes_;
      const int64_t res = c.res >= 0 && static_cast<uint64_t>(c.res) < want
                              ? finish_short_write(g, stage_[i].slot, static_cast<uint64_t>(c.res))
                              : c.res;
      if (res != static_cast<int64_t>(want))
        fail(where(stage_[i].slot) + ": write of " + std::to_string(g.members.size()) +
             " page(s) failed: " +
             (res < 0 ? pal::errno_text(static_cast<int>(-res))
                      : "short (" + std::to_string(res) + " of " + std::to_string(want) +
                            " bytes, no progress)"));
      const uint64_t now = pal::now_ns();
      for (uint32_t m : g.members) {
        Buf &b = stage_[m];
        write_io_ns_.add(now - b.submitted_ns);
        b.state = BufState::kFree;
        b.slot = kNoSlot;
        free_bufs_.push_back(m);
      }
      g.members.clear();
      return;
    }
    case kDirectWrite:
      direct_done_ = true;
      direct_res_ = c.res;
      return;
    case kDemandRead:
      demand_done_ = true;
      demand_res_ = c.res;
      return;
    case kReadahead: {
      Buf &b = cache_[i];
      // A failed readahead is dropped, not fatal: a fault on that slot reads it again and
      // reports the error then.
      b.state = whole && b.slot != kNoSlot ? BufState::kReady : BufState::kFree;
      if (b.state == BufState::kFree) b.slot = kNoSlot;
      return;
    }
  }
}

int64_t FileSwap::finish_short_write(Group &g, uint64_t first_slot, uint64_t done) {
  // A short write (the file reached a size limit or the disk filled up mid-way): write the rest
  // now; the kernel then reports why it stopped (ENOSPC, EFBIG), or the rest goes through.
  const uint64_t want = g.members.size() * page_bytes_;
  while (done < want) {
    const size_t k = done / page_bytes_, skip = done % page_bytes_;
    std::vector<iovec> rest(g.iov.begin() + static_cast<ptrdiff_t>(k), g.iov.end());
    rest[0].iov_base = static_cast<std::byte *>(rest[0].iov_base) + skip;
    rest[0].iov_len -= skip;
    const int64_t r = io_->write_now(rest.data(), static_cast<unsigned>(rest.size()),
                                     first_slot * page_bytes_ + done);
    if (r <= 0) return r < 0 ? r : static_cast<int64_t>(done);
    done += static_cast<uint64_t>(r);
  }
  return static_cast<int64_t>(done);
}

bool FileSwap::write_direct(uint64_t slot, std::span<const std::byte> in) {
  HPMM_CHECK(!file_.direct() || reinterpret_cast<uintptr_t>(in.data()) % pal::kDirectAlign == 0,
             "FileSwap::write: unaligned page with O_DIRECT");
  direct_done_ = false;
  io_->prep_write(in.data(), static_cast<uint32_t>(page_bytes_), slot * page_bytes_,
                  tag(kDirectWrite, 0));
  if (!submit()) return false;
  while (!direct_done_)
    if (!poll(true)) return false;
  if (direct_res_ != static_cast<int64_t>(page_bytes_))
    return fail(where(slot) + ": write failed: " +
                (direct_res_ < 0 ? pal::errno_text(static_cast<int>(-direct_res_))
                                 : "short write: file system full?"));
  return true;
}

bool FileSwap::write(uint64_t slot, std::span<const std::byte> in) {
  if (failed_) return false;
  if (slot >= slots_.high_water() || in.size() != page_bytes_) return false;
  const uint64_t t0 = pal::now_ns();
  if (slot >= written_.size()) written_.resize(std::max<uint64_t>(slot + 1, 2 * written_.size()));
  uncache(slot);
  if (!poll(false)) return false;
  int b = staged(slot);
  if (b >= 0 && stage_[b].state == BufState::kQueued) {
    std::memcpy(stage_[b].mem, in.data(), page_bytes_);  // not yet submitted: replace the bytes
  } else {
    if (b >= 0) {  // the slot's previous write is in flight: let it land first
      ++st_.write_stalls;
      while (stage_[b].state != BufState::kFree)
        if (!submit() || !poll(true)) return false;
    }
    if (stage_.empty()) {
      if (!write_direct(slot, in)) return false;
    } else {
      if (free_bufs_.empty()) ++st_.write_stalls;
      while (free_bufs_.empty())
        if (!submit() || !poll(true)) return false;
      b = static_cast<int>(free_bufs_.back());
      free_bufs_.pop_back();
      Buf &buf = stage_[b];
      std::memcpy(buf.mem, in.data(), page_bytes_);
      buf.slot = slot;
      buf.state = BufState::kQueued;  // submit() writes it, with its neighbours
      queued_bufs_.push_back(static_cast<uint32_t>(b));
      if (queued_bufs_.size() >= kBatch && !submit()) return false;
    }
    st_.bytes_written += page_bytes_;
  }
  written_[slot] = 1;
  ++st_.writes;
  writeback_ns_.add(pal::now_ns() - t0);
  return true;
}

void FileSwap::read_ahead(uint64_t slot) {
  for (uint64_t s = slot + 1; s <= slot + readahead_ && s < written_.size(); ++s) {
    if (!written_[s] || staged(s) >= 0 || cached(s) >= 0) continue;
    int victim = -1;
    for (size_t k = 0; k < cache_.size() && victim < 0; ++k) {
      const uint32_t j = (cache_next_ + static_cast<uint32_t>(k)) % cache_.size();
      if (cache_[j].state != BufState::kInFlight) victim = static_cast<int>(j);
    }
    if (victim < 0 || !io_->has_room()) return;  // every entry is still being read
    cache_next_ = (static_cast<uint32_t>(victim) + 1) % cache_.size();
    Buf &e = cache_[victim];
    e.slot = s;
    e.state = BufState::kInFlight;
    io_->prep_read(e.mem, static_cast<uint32_t>(page_bytes_), s * page_bytes_,
                   tag(kReadahead, static_cast<uint64_t>(victim)));
    ++st_.readahead_issued;
    st_.bytes_read += page_bytes_;
  }
}

bool FileSwap::read(uint64_t slot, std::span<std::byte> out) {
  if (failed_) return false;
  if (slot >= slots_.high_water() || out.size() != page_bytes_) return false;
  const uint64_t t0 = pal::now_ns();
  ++st_.reads;
  if (!poll(false)) return false;
  if (slot >= written_.size() || !written_[slot]) {  // a staged write may be a freed one's
    std::memset(out.data(), 0, page_bytes_);
    ++st_.reads_of_zero;
  } else if (const int b = staged(slot); b >= 0) {
    std::memcpy(out.data(), stage_[b].mem, page_bytes_);
    ++st_.reads_from_writeback;
  } else if (const int c = cached(slot); c >= 0) {
    while (cache_[c].state == BufState::kInFlight)
      if (!submit() || !poll(true)) return false;
    if (cache_[c].state == BufState::kReady && cache_[c].slot == slot) {
      std::memcpy(out.data(), cache_[c].mem, page_bytes_);
      cache_[c].state = BufState::kFree;
      cache_[c].slot = kNoSlot;
      ++st_.readahead_hits;
    } else {
      --st_.reads;  // the readahead failed: read the file now
      return read(slot, out);
    }
  } else {
    // O_DIRECT needs an aligned buffer: frame memory is; any other goes through the bounce page.
    const bool bounce =
        file_.direct() && reinterpret_cast<uintptr_t>(out.data()) % pal::kDirectAlign;
    HPMM_CHECK(!bounce || bounce_ != nullptr, "FileSwap::read: unaligned buffer with O_DIRECT");
    std::byte *into = bounce ? bounce_ : out.data();
    demand_done_ = false;
    io_->prep_read(into, static_cast<uint32_t>(page_bytes_), slot * page_bytes_,
                   tag(kDemandRead, 0));
    read_ahead(slot);
    if (!submit()) return false;
    while (!demand_done_)
      if (!poll(true)) return false;
    if (demand_res_ != static_cast<int64_t>(page_bytes_))
      return fail(where(slot) + ": read failed: " +
                  (demand_res_ < 0 ? pal::errno_text(static_cast<int>(-demand_res_))
                                   : "short read (" + std::to_string(demand_res_) + " of " +
                                         std::to_string(page_bytes_) + " bytes): file truncated?"));
    if (bounce) std::memcpy(out.data(), bounce_, page_bytes_);
    ++st_.reads_from_file;
    st_.bytes_read += page_bytes_;
  }
  fault_ns_.add(pal::now_ns() - t0);
  return true;
}

bool FileSwap::drain() {
  if (failed_) return false;
  if (!submit()) return false;
  while (io_->in_flight() != 0)
    if (!poll(true)) return false;
  return !failed_;
}

std::string FileSwap::describe() const {
  if (!io_) return path_ + ": not open";
  std::string s = path_ + ": " + io_->mode_text() + (file_.direct() ? ", O_DIRECT" : ", buffered");
  if (readahead_ != 0) s += ", readahead " + std::to_string(readahead_);
  s += stage_.empty() ? ", synchronous writes"
                      : ", " + std::to_string(stage_.size()) + " write-back buffers";
  if (!file_.note().empty()) s += "; " + file_.note();
  return s;
}

SwapIoStats FileSwap::io_stats() const {
  SwapIoStats s = st_;
  s.slots_high_water = slots_.high_water();
  s.fault_us_p50 = fault_ns_.quantile(0.5) / 1e3;
  s.fault_us_p99 = fault_ns_.quantile(0.99) / 1e3;
  s.writeback_us_p50 = writeback_ns_.quantile(0.5) / 1e3;
  s.writeback_us_p99 = writeback_ns_.quantile(0.99) / 1e3;
  s.write_io_us_p50 = write_io_ns_.quantile(0.5) / 1e3;
  s.write_io_us_p99 = write_io_ns_.quantile(0.99) / 1e3;
  return s;
}

bool FileSwap::valid() const {
  if (!slots_.valid()) return false;
  if (io_ && !io_->valid()) return false;
  size_t busy = 0, queued = 0;
  for (size_t i = 0; i < stage_.size(); ++i) {
    const Buf &b = stage_[i];
    if (b.state == BufState::kFree) continue;
    ++busy;
    queued += b.state == BufState::kQueued;
    if (b.slot >= slots_.high_water() || staged(b.slot) != static_cast<int>(i)) return false;
  }
  if (busy + free_bufs_.size() != stage_.size() || queued != queued_bufs_.size()) return false;
  for (const Buf &e : cache_)
    if (e.state == BufState::kReady &&
        (e.slot >= written_.size() || !written_[e.slot] || staged(e.slot) >= 0))
      return false;
  for (uint64_t s = 0; s < written_.size(); ++s)
    if (written_[s] && s >= slots_.high_water()) return false;
  const SwapIoStats &t = st_;
  return t.reads ==
             t.reads_from_file + t.reads_from_writeback + t.readahead_hits + t.reads_of_zero &&
         t.readahead_hits <= t.readahead_issued;
}

}  // namespace hpmm::sim
