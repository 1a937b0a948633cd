// tests/mmu_sim/test_replacement_classic.cc: the textbook fault counts of each policy on the
// classic reference strings, and the exact victim sequences of small hand-checked examples.
#include <criterion/criterion.h>

#include <vector>

#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

Test(replacement_classic, fifo_belady_anomaly) {
  // More frames, more faults: Belady's anomaly.
  cr_assert_eq(faults_of<FifoPolicy>(kBeladyString, 3), 9u);
  cr_assert_eq(faults_of<FifoPolicy>(kBeladyString, 4), 10u);
}

Test(replacement_classic, lru_and_opt_on_belady_string) {
  cr_assert_eq(faults_of<LruPolicy>(kBeladyString, 3), 10u);
  cr_assert_eq(faults_of<LruPolicy>(kBeladyString, 4), 8u);
  cr_assert_eq(faults_of<OptPolicy>(kBeladyString, 3), 7u);
  cr_assert_eq(faults_of<OptPolicy>(kBeladyString, 4), 6u);
}

// Clock on 1,2,3,4,1,2,5,1,2,3,4,5 by the textbook rule.  [a* b c] = pages in frames 0,1,2
// (* = reference bit set), h = hand after the reference.
//   3 frames:
//     1 2 3   fill f0 f1 f2                      [1* 2* 3*]  h0   faults 3
//     4       clear f0 f1 f2, back at f0: evict 1 [4* 2  3 ]  h1   4
//     1       f1 bit 0: evict 2                  [4* 1* 3 ]  h2   5
//     2       f2 bit 0: evict 3                  [4* 1* 2*]  h0   6
//     5       clear all, evict 4 at f0           [5* 1  2 ]  h1   7
//     1 2     hits, set bits                     [5* 1* 2*]  h1
//     3       clear f1 f2 f0, evict 1 at f1      [5  3* 2 ]  h2   8
//     4       f2 bit 0: evict 2                  [5  3* 4*]  h0   9
//     5       hit                                                 total 9
//   4 frames:
//     1 2 3 4 fill f0..f3                         [1* 2* 3* 4*] h0  faults 4
//     1 2     hits (bits already set)
//     5       clear all, evict 1 at f0            [5* 2 3 4]    h1  5
//     1       evict 2 at f1                       [5* 1* 3 4]   h2  6
//     2       evict 3 at f2                       [5* 1* 2* 4]  h3  7
//     3       evict 4 at f3                       [5* 1* 2* 3*] h0  8
//     4       clear all, evict 5 at f0            [4* 1 2 3]    h1  9
//     5       evict 1 at f1                       [4* 5* 2 3]   h2  10   total 10
// On this string clock behaves as FIFO and shows the anomaly too.
Test(replacement_classic, clock_on_belady_string) {
  Driver<ClockPolicy> three(3);
  cr_assert_eq(three.run(kBeladyString), 9u);
  cr_assert(three.victim_keys() == (std::vector<uint64_t>{1, 2, 3, 4, 1, 2}));
  cr_assert(three.victim_frames() == (std::vector<uint32_t>{0, 1, 2, 0, 1, 2}));
  cr_assert_eq(three.table().policy().hand(), 0u);

  Driver<ClockPolicy> four(4);
  cr_assert_eq(four.run(kBeladyString), 10u);
  cr_assert(four.victim_keys() == (std::vector<uint64_t>{1, 2, 3, 4, 5, 1}));
  cr_assert(four.victim_frames() == (std::vector<uint32_t>{0, 1, 2, 3, 0, 1}));
  cr_assert_eq(four.table().policy().hand(), 2u);
}

Test(replacement_classic, textbook_string_three_frames) {
  cr_assert_eq(faults_of<FifoPolicy>(kTextbookString, 3), 15u);
  cr_assert_eq(faults_of<LruPolicy>(kTextbookString, 3), 12u);
  cr_assert_eq(faults_of<OptPolicy>(kTextbookString, 3), 9u);
}

// Clock giving a second chance where FIFO would not, on 1,2,3,1,4,2,5,1,3 with 3 frames:
//     1 2 3   fill                                [1* 2* 3*]  h0
//     1       hit
//     4       clear all, evict 1 at f0            [4* 2  3 ]  h1
//     2       hit: f1 bit set                     [4* 2* 3 ]
//     5       clear f1, f2 bit 0: evict 3         [4* 2  5*]  h0   (FIFO evicts 2 here)
//     1       clear f0, f1 bit 0: evict 2         [4  1* 5*]  h2
//     3       clear f2, f0 bit 0: evict 4         [3* 1* 5 ]  h1
// Victims 1,3,2,4 in frames 0,2,1,0; 7 faults.
Test(replacement_classic, clock_second_chance_victims) {
  const std::vector<uint64_t> s = {1, 2, 3, 1, 4, 2, 5, 1, 3};
  Driver<ClockPolicy> d(3);
  cr_assert_eq(d.run(s), 7u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{1, 3, 2, 4}));
  cr_assert(d.victim_frames() == (std::vector<uint32_t>{0, 2, 1, 0}));
  const ClockPolicy &c = d.table().policy();
  cr_assert_eq(c.hand(), 1u);
  cr_assert(c.referenced(0) && c.referenced(1) && !c.referenced(2));

  Driver<FifoPolicy> f(3);
  f.run(s);
  cr_assert(f.victim_keys() == (std::vector<uint64_t>{1, 2, 3, 4}));
}

// LRU on 1,2,3,1,4,2,5,3 with 3 frames: after 1,2,3,1 the recency order is 1,3,2 (most recent
// first); 4 evicts 2; order 4,1,3; 2 evicts 3; order 2,4,1; 5 evicts 1; order 5,2,4; 3 evicts 4.
Test(replacement_classic, lru_victim_order) {
  const std::vector<uint64_t> s = {1, 2, 3, 1, 4, 2, 5, 3};
  Driver<LruPolicy> d(3);
  cr_assert_eq(d.run(s), 7u);
  cr_assert(d.victim_keys() == (std::vector<uint64_t>{2, 3, 1, 4}));
}

// OPT first evicts a page that is never used again, before one used again however late.
Test(replacement_classic, opt_evicts_never_again_page_first) {
  // 1 2 3 fill; at 4: 1 is used at t=11, 2 never again, 3 at t=5: evict 2.
  const std::vector<uint64_t> s = {1, 2, 3, 4, 4, 3, 4, 3, 4, 3, 4, 1};
  Driver<OptPolicy> d(3);
  d.set_future(s);
  d.run(s);
  cr_assert_eq(d.victim_keys().at(0), 2u);
  cr_assert_eq(d.faults(), 4u);
  // At the end: 1 (just referenced at t=11) and 3, 4 are never used again.
  const OptPolicy &opt = d.table().policy();
  for (uint64_t page : {1, 3, 4}) cr_assert_eq(opt.next_use_of(d.frame_of(page)), kNoNextUse);
  // Several never-again pages: the lowest frame goes first (deterministic tie).
  const std::vector<uint64_t> u = {1, 2, 3, 4, 5, 6};
  Driver<OptPolicy> e(3);
  e.set_future(u);
  e.run(u);
  cr_assert(e.victim_frames() == (std::vector<uint32_t>{0, 0, 0}));
  cr_assert(e.victim_keys() == (std::vector<uint64_t>{1, 4, 5}));
}

Test(replacement_classic, compute_next_use) {
  const std::vector<uint64_t> s = {5, 7, 5, 5, 9, 7, UINT64_MAX, 0, UINT64_MAX};
  const std::vector<uint64_t> want = {2,          5, 3,          kNoNextUse, kNoNextUse,
                                      kNoNextUse, 8, kNoNextUse, kNoNextUse};
  cr_assert(compute_next_use(s) == want);
  cr_assert(compute_next_use(std::span<const uint64_t>()).empty());
}
