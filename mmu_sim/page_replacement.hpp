// mmu_sim/page_replacement.hpp: the PageReplacementPolicy concept, the interface between a pool
// of simulated frames (FrameTable) and the policy that chooses which page to evict.
//
// A policy sees frame numbers in [0, nframes), positions t in the page-reference string (one
// position per translation, numbered by the MMU from 0), and the key of each page as it is placed
// (on_fill) or about to be placed (victim): the key is what lets a policy keep a history of pages
// no longer resident ("ghosts", as 2Q, ARC and LIRS do).  Keys are opaque 64-bit values (0 and
// UINT64_MAX included).  The textbook semantics are those of DESIGN.md, "The simulator's
// counting rules":
//   fifo    evict the page resident longest                      (policy_fifo.hpp)
//   lru     evict the page referenced least recently             (policy_lru.hpp)
//   clock   second chance with a hand and one reference bit      (policy_clock.hpp)
//   opt     evict the page whose next use is farthest (Belady)   (policy_opt.hpp)
//   random  evict a uniformly chosen page, seeded                (policy_random.hpp)
// and beside them the scan-resistant policies, each stated in its header with its reference:
//   2q      A1in FIFO, A1out ghost keys, Am LRU (Johnson, Shasha)      (policy_2q.hpp)
//   arc     T1, T2, ghosts B1, B2, adaptive p (Megiddo, Modha)         (policy_arc.hpp)
//   lirs    stack S, queue Q, LIR/HIR status (Jiang, Zhang)            (policy_lirs.hpp)
//   linux   active/inactive lists with reference bits (Linux vmscan)   (policy_active_inactive.hpp)
// Their ghost lists hold at most nframes keys (policy_ghosts.hpp, key_map.hpp).
//
// The protocol, for each frame f:  free --on_fill--> holds a page --on_access*--> ...
//   then either  --victim(key) returns f--> detached --on_fill(f, key)--> holds the new page
//   or           --on_free(f)--> free.
// victim(key, t) is asked for a frame for the page `key` (not resident) and detaches the frame it
// returns: the caller must place that very page there with on_fill(f, key, t) before calling
// anything else on the policy (ARC's choice depends on the incoming page, so victim sees it).
// on_fill counts as the page's first reference; calling on_access for the same t afterwards is
// harmless (every policy is idempotent for a repeated (frame, t)).  Invariant of every policy:
//   tracks(f) <=> f holds a page,   used() == #{f : tracks(f)} <= nframes.
// victim() returns a frame with tracks(f) (FrameTable calls it only when every frame is full);
// calling it when no frame holds a page is a checked error.
// A policy may also offer replace(key, t) -> frame: victim(key, t) and on_fill(frame, key, t) in
// one step (lru and fifo: one list move instead of a removal and an insertion); FrameTable uses it
// when present (frame_table.hpp), and its victims and hints must equal the two-step protocol's.
//
// Hot path: on_access runs on every simulated reference (in the default reference-bit mode), so
// for fifo, lru, clock and random it is O(1) and a handful of instructions; opt's is O(log n)
// worst case, O(1) expected; 2q, arc, lirs and linux are O(1) (lirs amortised), a hash lookup
// added on a fault.  Policies are not thread-safe; one per frame pool, owned by its
// FrameTable.
#pragma once

#include <concepts>
#include <cstdint>

namespace hpmm::sim {

// The largest pool a policy accepts (SimConfig::validate caps frames at 2^31 too).
inline constexpr uint32_t kMaxFrames = uint32_t{1} << 31;

// A policy with parameters also has a constructor P(nframes, seed, P::Params), which FrameTable
// forwards to; P(nframes, seed) uses the defaults its header states.
template <class P>
concept PageReplacementPolicy =
    std::constructible_from<P, uint32_t, uint64_t> &&  // P(uint32_t nframes, uint64_t seed)
    requires(P p, const P cp, uint32_t frame, uint64_t key, uint64_t t) {
  p.on_fill(frame, key, t);  // page `key` was just placed in `frame` (its first reference)
  p.on_access(frame, t);     // a reference to the page in `frame`; t = its position in the string
  // Choose a frame to evict among those holding a page, for the incoming page `key`, and detach
  // it; the caller evicts its page, then calls on_fill(frame, key, t) for the new page.
  { p.victim(key, t) } -> std::same_as<uint32_t>;
  p.on_free(frame);  // a frame emptied without replacement (its page was unmapped)
  { cp.tracks(frame) } -> std::same_as<bool>;  // the frame holds a page, as the policy sees it
  { cp.used() } -> std::same_as<uint32_t>;     // frames holding a page
  { cp.valid() } -> std::same_as<bool>;        // the invariants of the policy's structure
};

}  // namespace hpmm::sim
