// tests/mmu_sim/test_policy_models.cc: 2Q, ARC, LIRS and active/inactive, each run through
// FrameTable, against a deliberately plain model of the published algorithm written over
// std::list of page keys with linear searches (no frames, no hashing, no flat arrays), on long
// generated strings with unmaps mixed in and several frame counts and parameters: identical
// faults and victim pages, and valid() throughout.  The LIRS model bounds its ghosts by dropping
// the deepest ghost of S, found by walking S: an independent check of the policy's FIFO.
#include <criterion/criterion.h>

#include <algorithm>
#include <list>
#include <vector>

#include "tests/mmu_sim/test_replacement_driver.hpp"

using namespace hpmm::sim;
using namespace hpmm::sim::test;

namespace {

using KeyList = std::list<uint64_t>;

bool erase_key(KeyList &l, uint64_t k) {
  auto it = std::find(l.begin(), l.end(), k);
  if (it == l.end()) return false;
  l.erase(it);
  return true;
}
bool has(const KeyList &l, uint64_t k) {
  return std::find(l.begin(), l.end(), k) != l.end();
}

// Common bookkeeping of the models.
struct ModelBase {
  uint64_t faults = 0;
  std::vector<uint64_t> victims;
};

// 2Q, Johnson and Shasha 1994, full version; A1out hit leaves A1out.
struct TwoQModel : ModelBase {
  size_t n, kin, kout;
  KeyList a1in, am, a1out;  // fronts: newest / MRU / newest
  TwoQModel(size_t n_, size_t kin_, size_t kout_) : n(n_), kin(kin_), kout(kout_) {}
  void ref(uint64_t k) {
    if (erase_key(am, k)) {
      am.push_front(k);
      return;
    }
    if (has(a1in, k)) return;
    ++faults;
    bool ghost = erase_key(a1out, k);
    if (a1in.size() + am.size() == n) {
      if (a1in.size() > kin || am.empty()) {
        uint64_t y = a1in.back();
        a1in.pop_back();
        victims.push_back(y);
        if (kout > 0) {
          if (a1out.size() >= kout) a1out.pop_back();
          a1out.push_front(y);
        }
      } else {
        victims.push_back(am.back());
        am.pop_back();
      }
    }
    (ghost ? am : a1in).push_front(k);
  }
  void unmap(uint64_t k) {
    if (!erase_key(am, k)) erase_key(a1in, k);
  }
};

// ARC, Megiddo and Modha 2003, Figure 4, with c frames; REPLACE only when the cache is full.
struct ArcModel : ModelBase {
  size_t c, p = 0;
  KeyList t1, t2, b1, b2;  // fronts are MRU
  explicit ArcModel(size_t c_) : c(c_) {}
  void replace(bool x_in_b2) {
    if ((!t1.empty() && (t1.size() > p || (x_in_b2 && t1.size() == p))) || t2.empty()) {
      victims.push_back(t1.back());
      b1.push_front(t1.back());
      t1.pop_back();
    } else {
      victims.push_back(t2.back());
      b2.push_front(t2.back());
      t2.pop_back();
    }
  }
  void ref(uint64_t x) {
    if (erase_key(t1, x) || erase_key(t2, x)) {
      t2.push_front(x);
      return;
    }
    ++faults;
    bool full = t1.size() + t2.size() == c;
    if (has(b1, x)) {
      size_t d = b1.size() >= b2.size() ? 1 : b2.size() / b1.size();
      p = std::min(c, p + d);
      erase_key(b1, x);
      if (full) replace(false);
      t2.push_front(x);
      return;
    }
    if (has(b2, x)) {
      size_t d = b2.size() >= b1.size() ? 1 : b1.size() / b2.size();
      p = p > d ? p - d : 0;
      erase_key(b2, x);
      if (full) replace(true);
      t2.push_front(x);
      return;
    }
    size_t total = t1.size() + t2.size() + b1.size() + b2.size();
    if (t1.size() + b1.size() == c) {
      if (t1.size() < c) {
        b1.pop_back();
        if (full) replace(false);
      } else {
        victims.push_back(t1.back());
        t1.pop_back();
      }
    } else if (total >= c) {
      if (total == 2 * c) b2.pop_back();
      if (full) replace(false);
    }
    t1.push_front(x);
  }
  void unmap(uint64_t k) {
    if (!erase_key(t1, k)) erase_key(t2, k);
  }
};

// LIRS, Jiang and Zhang 2002: S and Q as lists of keys with a status per key.
struct LirsModel : ModelBase {
  enum Kind { kLir, kHir, kGhost };
  struct Entry {
    uint64_t key;
    Kind kind;
  };
  size_t n, lhir, llir, gmax, lir = 0;
  static inline uint64_t trims = 0;  // ghosts dropped by the bound, over all runs
  std::list<Entry> s;                // front = top
  KeyList q;                         // front = next victim
  LirsModel(size_t n_, size_t lhir_, size_t gmax_)
      : n(n_), lhir(lhir_), llir(n_ - lhir_), gmax(gmax_) {}

  std::list<Entry>::iterator find_s(uint64_t k) {
    return std::find_if(s.begin(), s.end(), [&](const Entry &e) { return e.key == k; });
  }
  bool resident(uint64_t k) {
    auto it = find_s(k);
    return (it != s.end() && it->kind == kLir) || has(q, k);
  }
  void prune() {
    while (!s.empty() && s.back().kind != kLir) s.pop_back();
  }
  void demote_bottom() {
    uint64_t b = s.back().key;
    s.pop_back();
    --lir;
    q.push_back(b);
    prune();
  }
  void make_lir_top(uint64_t k) {  // k (not in S) goes on top as LIR
    s.push_front({k, kLir});
    if (++lir > llir) demote_bottom();
  }
  size_t ghosts() const {
    return std::count_if(s.begin(), s.end(), [](const Entry &e) { return e.kind == kGhost; });
  }
  void ref(uint64_t k) {
    auto it = find_s(k);
    if (it != s.end() && it->kind == kLir) {
      bool bottom = std::next(it) == s.end();
      s.erase(it);
      s.push_front({k, kLir});
      if (bottom) prune();
      return;
    }
    if (has(q, k)) {  // resident HIR
      bool in_s = it != s.end();
      if (in_s) s.erase(it);
      erase_key(q, k);
      if (in_s || lir < llir) {
        make_lir_top(k);
      } else {
        s.push_front({k, kHir});
        q.push_back(k);
      }
      return;
    }
    ++faults;
    bool ghost = it != s.end();  // a ghost in S
    if (ghost) s.erase(it);
    if (lir + q.size() == n) {
      if (q.empty()) demote_bottom();
      uint64_t v = q.front();
      q.pop_front();
      victims.push_back(v);
      auto vs = find_s(v);
      if (vs != s.end()) {
        if (gmax == 0) {
          s.erase(vs);
        } else {
          if (ghosts() == gmax) {  // drop the deepest ghost
            ++trims;
            for (auto r = std::prev(s.end());; --r)
              if (r->kind == kGhost) {
                s.erase(r);
                break;
              }
          }
          vs->kind = kGhost;
        }
      }
    }
    if (lir < llir) {
      s.push_front({k, kLir});
      ++lir;
    } else if (ghost) {
      make_lir_top(k);
    } else {
      s.push_front({k, kHir});
      q.push_back(k);
      prune();
    }
  }
  void unmap(uint64_t k) {
    if (!resident(k)) return;
    auto it = find_s(k);
    if (it != s.end() && it->kind == kLir) {
      s.erase(it);
      --lir;
      prune();
      return;
    }
    erase_key(q, k);
    if (it != s.end()) s.erase(it);
  }
};

// Active/inactive lists with young and referenced bits (policy_active_inactive.hpp's rules).
struct ActiveInactiveModel : ModelBase {
  struct Page {
    uint64_t key;
    bool young, referenced;
  };
  size_t n, ratio;
  std::list<Page> inactive, active;  // front = head
  ActiveInactiveModel(size_t n_, size_t ratio_) : n(n_), ratio(ratio_) {}
  static std::list<Page>::iterator find(std::list<Page> &l, uint64_t k) {
    return std::find_if(l.begin(), l.end(), [&](const Page &p) { return p.key == k; });
  }
  void ref(uint64_t k) {
    for (auto *l : {&inactive, &active}) {
      auto it = find(*l, k);
      if (it != l->end()) {
        it->young = true;
        return;
      }
    }
    ++faults;
    if (inactive.size() + active.size() == n) {
      for (;;) {
        while (inactive.size() * ratio < active.size()) {
          Page p = active.back();
          active.pop_back();
          if (p.young) {
            p.young = false;
            active.push_front(p);
          } else {
            p.referenced = false;
            inactive.push_front(p);
          }
        }
        Page p = inactive.back();
        inactive.pop_back();
        if (!p.young) {
          victims.push_back(p.key);
          break;
        }
        if (p.referenced) {
          active.push_front({p.key, false, false});
        } else {
          inactive.push_front({p.key, false, true});
        }
      }
    }
    inactive.push_front({k, true, false});
  }
  void unmap(uint64_t k) {
    for (auto *l : {&inactive, &active}) {
      auto it = find(*l, k);
      if (it != l->end()) {
        l->erase(it);
        return;
      }
    }
  }
};

// Runs the policy and the model over generated workloads; every fault and victim must agree.
template <class P, class MakeModel, class... A>
void compare(const char *name, MakeModel make_model, uint32_t n, A... policy_args) {
  for (int kind = 0; kind < 5; ++kind)
    for (uint64_t unmap_every : {uint64_t{0}, uint64_t{41}}) {
      uint64_t pages = n + 2 + n * (kind + 1) / 2;
      auto steps = workload(kind, pages, 3000, n * 977 + kind * 13 + unmap_every, unmap_every);
      auto model = make_model();
      Driver<P> d(n, policy_args...);
      for (size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].unmap) {
          model.unmap(steps[i].key);
          d.unmap(steps[i].key);
        } else {
          model.ref(steps[i].key);
          d.ref(steps[i].key);
        }
        cr_assert_eq(d.faults(), model.faults, "%s n=%u kind=%d step %zu: faults differ", name, n,
                     kind, i);
        if (i % 331 == 0)
          cr_assert(d.table().valid(), "%s n=%u kind=%d step %zu", name, n, kind, i);
      }
      cr_assert(d.victim_keys() == model.victims, "%s n=%u kind=%d: victims differ", name, n, kind);
      cr_assert(d.table().valid());
      cr_assert_gt(model.victims.size(), 20u, "%s n=%u kind=%d: too few evictions to test", name, n,
                   kind);
    }
}

const uint32_t kFrameCounts[] = {1, 2, 3, 5, 8, 17, 64};

}  // namespace

Test(policy_models, two_q_matches_model) {
  for (uint32_t n : kFrameCounts) {
    compare<TwoQPolicy>(
        "2q", [n] { return TwoQModel(n, n / 4, std::max(n / 2, 1u)); }, n);
    // Other parameters: a large A1in, no ghosts, all ghosts.
    compare<TwoQPolicy>(
        "2q", [n] { return TwoQModel(n, n / 2, 0); }, n, TwoQPolicy::Params{n / 2, 0});
    compare<TwoQPolicy>(
        "2q", [n] { return TwoQModel(n, 0, n); }, n, TwoQPolicy::Params{0, n});
  }
}

Test(policy_models, arc_matches_model) {
  for (uint32_t n : kFrameCounts)
    compare<ArcPolicy>(
        "arc", [n] { return ArcModel(n); }, n);
}

Test(policy_models, lirs_matches_model) {
  LirsModel::trims = 0;
  for (uint32_t n : kFrameCounts) {
    uint32_t lhir = std::max(n / 100, 1u);
    compare<LirsPolicy>(
        "lirs", [n, lhir] { return LirsModel(n, lhir, n); }, n);
    // A larger HIR share, and a tight ghost bound so that the bound is exercised.
    uint32_t h = std::max(n / 4, 1u), g = n / 3;
    compare<LirsPolicy>(
        "lirs", [n, h, g] { return LirsModel(n, h, g); }, n, LirsPolicy::Params{h, g});
  }
  cr_assert_gt(LirsModel::trims, 1000u, "the ghost bound was hardly exercised");
}

Test(policy_models, active_inactive_matches_model) {
  for (uint32_t n : kFrameCounts) {
    compare<ActiveInactivePolicy>(
        "linux", [n] { return ActiveInactiveModel(n, 1); }, n);
    compare<ActiveInactivePolicy>(
        "linux", [n] { return ActiveInactiveModel(n, 3); }, n, ActiveInactivePolicy::Params{3});
  }
}
