#pragma once
// Partial Order Sampling (Yuan, Yang, Gu, "Partial Order Aware Concurrency Sampling", CAV 2018).
// Every CPU's next event (the operation it is paused before) carries a random priority; the
// ready CPU whose event has the highest priority runs it; then every other event that races
// with the one just run (same location, at least one write) draws a fresh priority. A CPU's
// next event draws a fresh priority too. Random walk, by contrast, favours long event
// sequences: the paper shows it samples some partial orders exponentially rarely, which POS
// corrects by re-drawing only where the order matters.
//
// Events without a location (spins, most HAL calls) race with nothing. The deterministic
// engine gives IPIs a location per target CPU, so a send races with the target's wait.
// Spinning CPUs are passed over while they wait (spin_wait.hpp): with a fresh priority at
// every spin iteration, a spinner would otherwise outrun the CPU it waits for by as much as
// that CPU's priority is low (a 160x longer `mixed` run was measured before this rule).
//
// The pick costs O(log N) per scheduling point, not a scan of every ready CPU (issue 14), and
// chooses and draws exactly as the scan did, for every seed. The engine tells Pos when a CPU
// enters or leaves the ready set (enter, leave: its runnable list, whose order Pos mirrors),
// starts or stops waiting by the spin rule (set_waiting) and enters or leaves a wait for an
// interrupt (set_in_wfi: such a CPU waits only until its interrupt is due, which depends on the
// clock, so those few are asked at every pick). The ready CPUs that do not wait sit in a
// tournament tree ordered by (priority descending, place in the ready order ascending), the
// order in which the scan chose (the first of equal priorities in the ready order); an index by
// location finds the racing events, which are re-drawn in the ready order. Below kIndexedFrom
// CPUs the scan is cheaper than keeping the index and is used.

#include <algorithm>
#include <cstdint>
#include <lockstep/emu/prng.hpp>
#include <lockstep/emu/spin_wait.hpp>
#include <vector>

namespace lockstep::emu {

class Pos {
 public:
  /// Machines from this many CPUs keep the index; smaller ones scan.
  static constexpr std::uint32_t kIndexedFrom = 16;

  Pos() = default;
  explicit Pos(std::uint32_t cpus) : events_(cpus), indexed_(cpus >= kIndexedFrom) {
    if (!indexed_) return;
    while (leaves_ < cpus) leaves_ *= 2;
    tree_.assign(2 * leaves_, kNone);
    cpu_.assign(cpus, Cpu{});
    order_.reserve(cpus);
    ready_bits_.assign((cpus + 63) / 64, 0);
    while (buckets_ < 2 * cpus) buckets_ *= 2;
    bucket_head_.assign(buckets_, kNone);
    asleep_.reserve(cpus);
    racing_.reserve(cpus);
  }

  /// CPU `cpu` joins the ready set, last in its order (the engine appends it to its runnable
  /// list). Not called for a CPU already ready.
  void enter(std::uint32_t cpu) noexcept {
    if (!indexed_ || cpu_[cpu].place != kNone) return;
    cpu_[cpu].place = static_cast<std::uint32_t>(order_.size());
    order_.push_back(cpu);
    ready_bits_[cpu / 64] |= std::uint64_t{1} << (cpu % 64);
    link(cpu);
    refile(cpu);
  }

  /// CPU `cpu` leaves the ready set; the last CPU of the order takes its place (the engine's
  /// swap-remove from its runnable list). Nothing if it is not ready.
  void leave(std::uint32_t cpu) noexcept {
    if (!indexed_ || cpu_[cpu].place == kNone) return;
    const std::uint32_t at = cpu_[cpu].place;
    const std::uint32_t last = order_.back();
    order_[at] = last;
    cpu_[last].place = at;
    order_.pop_back();
    cpu_[cpu].place = kNone;
    ready_bits_[cpu / 64] &= ~(std::uint64_t{1} << (cpu % 64));
    unlink(cpu);
    refile(cpu);
    if (last != cpu) refile(last);
  }

  /// CPU `cpu` starts (true) or stops waiting by the spin rule (spin_wait.hpp).
  void set_waiting(std::uint32_t cpu, bool waiting) noexcept {
    if (!indexed_) return;
    cpu_[cpu].waiting = waiting;
    refile(cpu);
  }

  /// CPU `cpu` enters (true) or leaves its wait for an interrupt: while it waits by the spin
  /// rule, it counts as not waiting when its interrupt is due, which the pick asks.
  void set_in_wfi(std::uint32_t cpu, bool in_wfi) noexcept {
    if (!indexed_) return;
    cpu_[cpu].in_wfi = in_wfi;
    refile(cpu);
  }

  /// CPU `cpu` is now paused before an event on `location` (nullptr: none), a write or not.
  void next_event(std::uint32_t cpu, const void* location, bool write, Prng& rng) noexcept {
    Event& e = events_[cpu];
    const bool ready = indexed_ && cpu_[cpu].place != kNone;
    if (ready && e.location != location) unlink(cpu);
    const void* old = e.location;
    e = {rng.next(), location, write};
    if (!ready) return;
    if (old != location) link(cpu);
    reorder(cpu);
  }

  /// The CPU to run among a non-empty range of ready CPU ids (when indexed, the ready set Pos
  /// was told of, in its order): the one not `waiting(cpu)` whose event has the highest
  /// priority, the first in `ready` of equal ones (if all wait, the next after `current` in id
  /// order). `waiting` must agree with what Pos was told (set_waiting, set_in_wfi). Re-draws,
  /// in `ready`'s order, the events that race with the chosen one.
  template <class Range, class Waiting>
  std::uint32_t pick(const Range& ready, Waiting&& waiting, std::uint32_t current, Prng& rng) noexcept {
    if (!indexed_) return scan_pick(ready, waiting, current, rng);
    std::uint32_t best = tree_[1];
    for (std::uint32_t c : asleep_)
      if (before(c, best) && !waiting(c)) best = c;
    if (best == kNone) best = next_ready_after(current);
    redraw_racing(best, rng);
    return best;
  }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  struct Event {
    std::uint64_t priority = 0;
    const void* location = nullptr;
    bool write = false;
  };
  /// Where Pos keeps a CPU: its place in the ready order, its wait, its link in its location's
  /// bucket, its place among the asleep ones.
  struct Cpu {
    std::uint32_t place = kNone;
    bool waiting = false;
    bool in_wfi = false;
    bool in_tree = false;
    std::uint32_t asleep_at = kNone;
    std::uint32_t prev = kNone, next = kNone;
  };

  // ---- the scan (small machines; the reference the index reproduces) ----

  template <class Range, class Waiting>
  std::uint32_t scan_pick(const Range& ready, Waiting& waiting, std::uint32_t current, Prng& rng) noexcept {
    std::uint32_t best = kNone;
    for (std::uint32_t c : ready)
      if (!waiting(c) && (best == kNone || events_[c].priority > events_[best].priority)) best = c;
    if (best == kNone) best = next_in_id_order(ready, current, static_cast<std::uint32_t>(events_.size()));
    const Event& run = events_[best];
    if (run.location != nullptr)
      for (std::uint32_t c : ready) {
        Event& e = events_[c];
        if (c != best && e.location == run.location && (e.write || run.write)) e.priority = rng.next();
      }
    return best;
  }

  // ---- where a ready CPU is kept: the tree (not waiting), the asleep list (waiting in a wait
  // for an interrupt: the pick asks), or neither (waiting) ----

  void refile(std::uint32_t cpu) noexcept {
    Cpu& c = cpu_[cpu];
    const bool ready = c.place != kNone;
    const bool tree = ready && !c.waiting;
    const bool asleep = ready && c.waiting && c.in_wfi;
    if (tree != c.in_tree || tree) {
      c.in_tree = tree;
      update(cpu);
    }
    if (asleep && c.asleep_at == kNone) {
      c.asleep_at = static_cast<std::uint32_t>(asleep_.size());
      asleep_.push_back(cpu);
    } else if (!asleep && c.asleep_at != kNone) {
      const std::uint32_t last = asleep_.back();
      asleep_[c.asleep_at] = last;
      cpu_[last].asleep_at = c.asleep_at;
      asleep_.pop_back();
      c.asleep_at = kNone;
    }
  }

  /// Its priority or place changed: a CPU in the tree moves.
  void reorder(std::uint32_t cpu) noexcept {
    if (cpu_[cpu].in_tree) update(cpu);
  }

  // ---- the tournament tree over CPU ids: each node holds its subtree's first CPU ----

  /// True if ready CPU `a` comes before `b` in the scan's order; kNone comes last.
  bool before(std::uint32_t a, std::uint32_t b) const noexcept {
    if (a == kNone) return false;
    if (b == kNone) return true;
    const std::uint64_t pa = events_[a].priority, pb = events_[b].priority;
    return pa != pb ? pa > pb : cpu_[a].place < cpu_[b].place;
  }

  /// Re-reads `cpu`'s leaf up to the root.
  void update(std::uint32_t cpu) noexcept {
    std::uint32_t n = leaves_ + cpu;
    tree_[n] = cpu_[cpu].in_tree ? cpu : kNone;
    for (n /= 2; n >= 1; n /= 2) {
      const std::uint32_t l = tree_[2 * n], r = tree_[2 * n + 1];
      tree_[n] = before(r, l) ? r : l;
    }
  }

  /// next_in_id_order over the ready set: the first ready id after `current`, cyclically
  /// (`current` itself last).
  std::uint32_t next_ready_after(std::uint32_t current) const noexcept {
    const std::uint32_t cpus = static_cast<std::uint32_t>(events_.size());
    const std::uint32_t words = static_cast<std::uint32_t>(ready_bits_.size());
    const std::uint32_t from = current + 1 == cpus ? 0 : current + 1;
    std::uint32_t w = from / 64;
    std::uint64_t bits = ready_bits_[w] & (~std::uint64_t{0} << (from % 64));
    for (std::uint32_t k = 0; k <= words; ++k) {
      if (bits != 0) return w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
      w = w + 1 == words ? 0 : w + 1;
      bits = ready_bits_[w];
    }
    return current;
  }

  // ---- the index by location: a bucket per hash, of the ready CPUs whose event is there ----

  std::uint32_t bucket(const void* location) const noexcept {
    const auto key = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(location));
    return static_cast<std::uint32_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & (buckets_ - 1);
  }

  void link(std::uint32_t cpu) noexcept {
    const void* location = events_[cpu].location;
    if (location == nullptr) return;
    std::uint32_t& head = bucket_head_[bucket(location)];
    cpu_[cpu].prev = kNone;
    cpu_[cpu].next = head;
    if (head != kNone) cpu_[head].prev = cpu;
    head = cpu;
  }

  void unlink(std::uint32_t cpu) noexcept {
    const void* location = events_[cpu].location;
    if (location == nullptr) return;
    Cpu& c = cpu_[cpu];
    if (c.prev != kNone) {
      cpu_[c.prev].next = c.next;
    } else {
      bucket_head_[bucket(location)] = c.next;
    }
    if (c.next != kNone) cpu_[c.next].prev = c.prev;
    c.prev = c.next = kNone;
  }

  /// The scan's re-draw: every other ready event on the chosen one's location, one of the two a
  /// write, draws a fresh priority, in the ready order.
  void redraw_racing(std::uint32_t best, Prng& rng) noexcept {
    const Event& run = events_[best];
    if (run.location == nullptr) return;
    racing_.clear();
    for (std::uint32_t c = bucket_head_[bucket(run.location)]; c != kNone; c = cpu_[c].next) {
      const Event& e = events_[c];
      if (c != best && e.location == run.location && (e.write || run.write)) racing_.push_back(cpu_[c].place);
    }
    if (racing_.empty()) return;
    std::sort(racing_.begin(), racing_.end());
    for (std::uint32_t at : racing_) {
      const std::uint32_t c = order_[at];
      events_[c].priority = rng.next();
      reorder(c);
    }
  }

  std::vector<Event> events_;
  bool indexed_ = false;
  std::uint32_t leaves_ = 1;
  std::vector<std::uint32_t> tree_;  ///< 2 * leaves_ nodes; node 1 is the root, cpu c's leaf leaves_ + c.
  std::vector<Cpu> cpu_;
  std::vector<std::uint32_t> order_;       ///< The ready CPUs in the engine's runnable order.
  std::vector<std::uint64_t> ready_bits_;  ///< The ready CPUs by id.
  std::uint32_t buckets_ = 1;
  std::vector<std::uint32_t> bucket_head_;
  std::vector<std::uint32_t> asleep_;  ///< Ready, waiting by the spin rule, in a wait for an interrupt.
  std::vector<std::uint32_t> racing_;  ///< Places of the events to re-draw.
};

}  // namespace lockstep::emu
