// cli/limit_source.hpp: --limit N, an AccessSource that passes on the first N accesses of
// another and then ends.  Invariant: done_ <= limit_; error() is the inner source's.
#pragma once

#include <algorithm>
#include <memory>

#include "mmu_sim/access.hpp"

namespace hpmm::cli {

class LimitSource final : public sim::AccessSource {
 public:
  LimitSource(std::unique_ptr<sim::AccessSource> inner, uint64_t limit)
      : inner_(std::move(inner)), limit_(limit) {}
  size_t next(std::span<sim::Access> out) override {
    auto want = static_cast<size_t>(std::min<uint64_t>(out.size(), limit_ - done_));
    if (want == 0) return 0;
    size_t n = inner_->next(out.first(want));
    done_ += n;
    return n;
  }
  const std::string &error() const override { return inner_->error(); }
  std::string describe() const override { return inner_->describe(); }
  uint64_t progress_done() const override { return done_; }
  uint64_t progress_total() const override { return limit_; }

 private:
  std::unique_ptr<sim::AccessSource> inner_;
  uint64_t limit_;
  uint64_t done_ = 0;
};

}  // namespace hpmm::cli
