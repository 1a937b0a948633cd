// mmu_sim/access.hpp: one memory access as a trace or a generator yields it, and the abstract
// source of accesses the simulator pulls batches from.
//
// Counting rules (hpmm-sim(1), DESIGN.md): an access [addr, addr+size) becomes one translation
// per page it touches, in address order.  A Modify (lackey "M") is a Load of the range followed
// by a Store of the range: it counts as one read and one write.  Ifetch records are produced only
// when the source was asked for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace hpmm::sim {

enum class AccessKind : uint8_t { kLoad = 0, kStore = 1, kModify = 2, kIfetch = 3 };

struct Access {
  uint64_t addr;
  uint32_t size;  // >= 1
  AccessKind kind;
};

// Sources are pulled a batch at a time (one virtual call per batch, never per access); Mmu::run
// pulls through next_view.
class AccessSource {
 public:
  virtual ~AccessSource() = default;
  // Fills up to out.size() accesses; returns how many.  0 means the end, or an error: then
  // error() is non-empty and names the input (a trace error names the file and the line).
  virtual size_t next(std::span<Access> out) = 0;
  // The next accesses as next() would give them, lent: at most scratch.size() of them, either in
  // scratch (this default: next(scratch)) or in the source's own memory (a source that holds its
  // accesses in memory lends them without a copy).  The view is valid until the next call on the
  // source.  Empty means what next() returning 0 means.
  virtual std::span<const Access> next_view(std::span<Access> scratch) {
    return scratch.first(next(scratch));
  }
  virtual const std::string &error() const = 0;
  // What the source is, for the echoed configuration ("trace:ls.trace", "stride:pages=...").
  virtual std::string describe() const = 0;
  // Bytes consumed so far and total (0 if unknown, e.g. stdin), for a progress line.
  virtual uint64_t progress_done() const { return 0; }
  virtual uint64_t progress_total() const { return 0; }
};

}  // namespace hpmm::sim
