// tests/pagetable/sources.hpp: node sources for tests: one that runs out after a budget of
// allocations and counts the blocks it has out, so tests can check failures and leaks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pagetable/node_source.hpp"

namespace hpmm::test {

struct BudgetState {
  int64_t budget = INT64_MAX;  // allocations still allowed
  int64_t live = 0;            // blocks handed out and not yet freed
  int64_t failures = 0;        // allocations refused
};

// Copies share one BudgetState (the tree keeps its own copy of the source).
struct BudgetSource {
  BudgetState *state;
  void *allocate(size_t bytes) noexcept {
    if (state->budget <= 0) {
      ++state->failures;
      return nullptr;
    }
    void *p = HeapNodeSource().allocate(bytes);
    if (p != nullptr) {
      --state->budget;
      ++state->live;
    }
    return p;
  }
  void free(void *p, size_t bytes) noexcept {
    --state->live;
    HeapNodeSource().free(p, bytes);
  }
};
static_assert(NodeSource<BudgetSource>);

}  // namespace hpmm::test
