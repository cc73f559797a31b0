#pragma once
// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010),
// as published: the CPUs get distinct random priorities d+1 .. d+n; the highest-priority CPU
// that can make progress runs; d-1 change points k_1..k_{d-1}, distinct and uniform over the
// run's length k (in progress steps), lower the priority of the CPU that takes step k_i to i.
// A depth-d bug is then found with probability at least 1/(n * k^(d-1)) per run.
//
// Spinning CPUs are passed over while they wait (spin_wait.hpp) without touching any
// priority: the schedules of progress steps are PCT's schedules of the program with blocking
// waits, and the bound carries over (an earlier version demoted every spinner instead, which
// changed priorities far more often than d-1 times and voided it).
//
// Steps count progress only (scheduling points that are not spins), so k is the program's
// length, not its spin count. The change points are drawn when the run starts and drawn again,
// with the priorities reset, when a test program's own part begins (hal::test_focus): boot and
// bookkeeping then take none of them. Shared by the deterministic engine (steps = scheduling
// points) and the Unicorn machine (steps = time slices that did not end in a spin).

#include <algorithm>
#include <cstdint>
#include <lockstep/emu/prng.hpp>
#include <lockstep/emu/spin_wait.hpp>
#include <vector>

namespace lockstep::emu {

class Pct {
 public:
  Pct() = default;
  /// `horizon`: k, the expected number of progress steps of a run.
  Pct(std::uint32_t cpus, std::uint32_t depth, std::uint64_t horizon, Prng& rng)
      : initial_(cpus), depth_(std::max<std::uint32_t>(1, depth)), horizon_(std::max<std::uint64_t>(1, horizon)) {
    std::vector<std::uint32_t> order(cpus);
    for (std::uint32_t i = 0; i < cpus; ++i) order[i] = i;
    for (std::uint32_t i = cpus; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    for (std::uint32_t i = 0; i < cpus; ++i) initial_[order[i]] = static_cast<std::int64_t>(depth_ + 1 + i);
    restart(rng);
  }

  /// Starts over from the initial priorities with fresh change points, counted from now.
  void restart(Prng& rng) {
    priority_ = initial_;
    changes_.clear();
    next_ = 0;
    steps_ = 0;
    // k_i distinct, uniform over 1..k; k_i lowers the priority to i. Fewer than d-1 when k < d-1.
    const std::uint64_t k = horizon_;
    for (std::uint64_t i = 1; i < depth_ && changes_.size() < k; ++i) {
      std::uint64_t at = 0;
      do {
        at = 1 + rng.below(k);
      } while (std::any_of(changes_.begin(), changes_.end(), [&](const Change& c) { return c.step == at; }));
      changes_.push_back({at, static_cast<std::int64_t>(i)});
    }
    std::sort(changes_.begin(), changes_.end(), [](const Change& a, const Change& b) { return a.step < b.step; });
  }

  /// `running` takes a progress step (not a spin): applies a change point it reaches.
  void on_progress(std::uint32_t running) noexcept {
    ++steps_;
    if (next_ < changes_.size() && changes_[next_].step == steps_) priority_[running] = changes_[next_++].priority;
  }

  /// The CPU to run among a non-empty range of ready CPU ids: the highest-priority one that is
  /// not `waiting(cpu)`; if all wait, the next one after `current` in id order.
  template <class Range, class Waiting>
  std::uint32_t pick(const Range& ready, Waiting&& waiting, std::uint32_t current) const {
    std::uint32_t best = kNone;
    for (std::uint32_t c : ready)
      if (!waiting(c) && (best == kNone || priority_[c] > priority_[best])) best = c;
    if (best != kNone) return best;
    return next_in_id_order(ready, current, static_cast<std::uint32_t>(priority_.size()));
  }

  std::uint64_t progress_steps() const noexcept { return steps_; }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  struct Change {
    std::uint64_t step;
    std::int64_t priority;
  };
  std::vector<std::int64_t> initial_;
  std::vector<std::int64_t> priority_;
  std::uint64_t depth_ = 1;
  std::uint64_t horizon_ = 1;
  std::vector<Change> changes_;
  std::size_t next_ = 0;
  std::uint64_t steps_ = 0;
};

}  // namespace lockstep::emu
