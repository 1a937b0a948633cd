// mmu_sim/mmu.cc: the public Mmu (include/hpmm/mmu.hpp): create() validates and dispatches to the
// MmuCore instantiation once; run() pulls batches from the source (one virtual call per batch,
// through next_view: a source holding its accesses in memory lends them without a copy); OPT's run
// reads the source ahead once, numbering translations exactly as the replay will.
#include "hpmm/mmu.hpp"

#include <algorithm>
#include <new>
#include <utility>
#include <vector>

#include "base/check.hpp"
#include "mmu_sim/mmu_impl.hpp"
#include "mmu_sim/policy_opt.hpp"
#include "mmu_sim/region_map.hpp"

namespace hpmm::sim {

namespace {

constexpr size_t kBatch = 4096;
constexpr uint64_t kProgressEvery = 256;  // batches between progress calls

std::unique_ptr<MmuImpl> make_core(const SimConfig &c, const FrameMemory &m) {
  switch (c.replacement) {
    case PageReplacement::kFifo:
      return make_core_fifo(c, m);
    case PageReplacement::kLru:
      return make_core_lru(c, m);
    case PageReplacement::kClock:
      return make_core_clock(c, m);
    case PageReplacement::kOpt:
      return make_core_opt(c, m);
    case PageReplacement::kRandom:
      return make_core_random(c, m);
    case PageReplacement::k2Q:
      return make_core_2q(c, m);
    case PageReplacement::kArc:
      return make_core_arc(c, m);
    case PageReplacement::kLirs:
      return make_core_lirs(c, m);
    case PageReplacement::kLinux:
      return make_core_linux(c, m);
    case PageReplacement::kCount:
      break;
  }
  return nullptr;
}

}  // namespace

void append_page_keys(const RegionMap &regions, uint64_t va_mask, bool ifetch,
                      std::span<const Access> batch, std::vector<uint64_t> *keys) {
  // Mirrors MmuCore::access()/range(): same kinds, same masking, same page splitting.
  auto range = [&](uint64_t addr, uint64_t size) {
    addr &= va_mask;
    const uint64_t end = size > va_mask + 1 - addr ? va_mask + 1 : addr + size;
    for (;;) {
      const PageSize s = regions.size_at(VirtAddr(addr));
      const uint64_t mask = bytes_of(s).value - 1;
      keys->push_back((addr & ~mask) >> 12);
      addr = (addr | mask) + 1;
      if (addr >= end) return;
    }
  };
  for (const Access &a : batch) {
    const uint64_t size = a.size == 0 ? 1 : a.size;
    switch (a.kind) {
      case AccessKind::kLoad:
      case AccessKind::kStore:
        range(a.addr, size);
        break;
      case AccessKind::kModify:
        range(a.addr, size);
        range(a.addr, size);
        break;
      case AccessKind::kIfetch:
        if (ifetch) range(a.addr, size);
        break;
    }
  }
}

Mmu::Mmu(std::unique_ptr<MmuImpl> impl) : impl_(std::move(impl)) {}
Mmu::~Mmu() = default;

std::unique_ptr<Mmu> Mmu::create(const SimConfig &config, std::string *error) {
  std::string err = config.validate();
  FrameMemory memory;
  if (err.empty() && config.data) {
    for (PageSize s : RegionMap(config.page_size, config.regions).sizes_in_use()) {
      std::string e = memory.reserve(s, config.frames[index_of(s)]);
      if (!e.empty()) {
        err = std::string("frames-") + name_of(s) + ": " + e;
        break;
      }
    }
  }
  if (!err.empty()) {
    if (error) *error = err;
    return nullptr;
  }
  // The per-frame metadata and the TLB arrays are sized by the configuration: a machine larger
  // than this host can hold is a bad configuration, reported, not a crash.
  std::unique_ptr<MmuImpl> impl;
  try {
    impl = make_core(config, memory);
  } catch (const std::bad_alloc &) {
    if (error)
      *error = "frames: not enough memory on this host for the frame tables and TLBs asked for";
    return nullptr;
  }
  if (std::string e = impl->error(); !e.empty()) {  // the swap file could not be set up
    if (error) *error = e;
    return nullptr;
  }
  impl->config = config;
  impl->memory = std::move(memory);
  return std::unique_ptr<Mmu>(new Mmu(std::move(impl)));
}

void Mmu::access(const Access &a) {
  HPMM_CHECK(config().replacement != PageReplacement::kOpt,
             "Mmu::access: opt needs the future; replay it with run()");
  impl_->run_batch({&a, 1});
}

bool Mmu::load(uint64_t addr, void *out, size_t n) {
  HPMM_CHECK(config().data, "Mmu::load needs SimConfig::data = true");
  HPMM_CHECK(!config().verify, "Mmu::load: with verify the MMU owns the bytes");
  HPMM_CHECK(config().replacement != PageReplacement::kOpt,
             "Mmu::load: opt needs the future; replay it with run()");
  impl_->load(addr, out, n);
  return impl_->error().empty();
}

bool Mmu::store(uint64_t addr, const void *in, size_t n) {
  HPMM_CHECK(config().data, "Mmu::store needs SimConfig::data = true");
  HPMM_CHECK(!config().verify, "Mmu::store: with verify the MMU owns the bytes");
  HPMM_CHECK(config().replacement != PageReplacement::kOpt,
             "Mmu::store: opt needs the future; replay it with run()");
  impl_->store(addr, in, n);
  return impl_->error().empty();
}

std::string Mmu::run(AccessSource &source,
                     const std::function<void(const AccessSource &)> &progress) {
  std::vector<Access> buf(kBatch);
  uint64_t batches = 0;
  auto report = [&] {
    if (progress && ++batches % kProgressEvery == 0) progress(source);
  };
  const bool check = config().data;  // only data mode can fail (swap I/O, verify)
  auto failed = [&] { return check && !impl_->error().empty(); };
  if (config().replacement != PageReplacement::kOpt) {
    for (;;) {
      const std::span<const Access> batch = source.next_view(buf);
      if (batch.empty()) break;
      impl_->run_batch(batch);
      if (failed()) return impl_->error();
      report();
    }
    if (progress) progress(source);
    if (check && !impl_->drain()) return impl_->error();
    return source.error();
  }

  // OPT: read everything, number the translations as the replay will, learn the future, replay.
  HPMM_CHECK(impl_->translations() == 0, "Mmu::run: opt must replay from the first translation");
  std::vector<Access> all;
  for (;;) {
    const std::span<const Access> batch = source.next_view(buf);
    if (batch.empty()) break;
    all.insert(all.end(), batch.begin(), batch.end());
    report();
  }
  if (!source.error().empty()) return source.error();
  const SimConfig &c = config();
  std::vector<uint64_t> keys;
  keys.reserve(all.size());
  append_page_keys(RegionMap(c.page_size, c.regions), (uint64_t{1} << (12 + 9 * c.levels)) - 1,
                   c.ifetch, all, &keys);
  impl_->set_future(compute_next_use(keys));
  for (size_t i = 0; i < all.size(); i += kBatch) {
    impl_->run_batch({all.data() + i, std::min(kBatch, all.size() - i)});
    if (failed()) return impl_->error();
  }
  if (check && !impl_->drain()) return impl_->error();
  HPMM_CHECK(impl_->translations() == keys.size(), "Mmu::run: opt pre-pass and replay disagree");
  if (progress) progress(source);
  return "";
}

SimStats Mmu::stats() const {
  return impl_->stats();
}
std::string Mmu::error() const {
  return impl_->error();
}
bool Mmu::drain() {
  return impl_->drain();
}
std::string Mmu::swap_text() const {
  return impl_->swap_text();
}
const SimConfig &Mmu::config() const {
  return impl_->config;
}
std::string Mmu::backing() const {
  return impl_->memory.describe();
}
bool Mmu::valid() const {
  return impl_->valid();
}

}  // namespace hpmm::sim
