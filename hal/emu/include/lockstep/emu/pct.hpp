#pragma once
// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010):
// distinct random priorities per CPU, the highest-priority runnable CPU runs, and at d-1 random
// steps the running CPU drops below all initial priorities. A CPU that waits (spins, wfi) also
// steps aside, or a high-priority waiter would run alone forever. Shared by the deterministic
// engine (steps = scheduling points) and the Unicorn machine (steps = time slices).

#include <algorithm>
#include <cstdint>
#include <lockstep/emu/prng.hpp>
#include <vector>

namespace lockstep::emu {

class Pct {
 public:
  Pct() = default;
  /// `horizon`: the expected number of steps, over which the change points are spread.
  Pct(std::uint32_t cpus, std::uint32_t depth, std::uint64_t horizon, Prng& rng) : priority_(cpus) {
    const std::int64_t d = std::max<std::uint32_t>(1, depth);
    std::vector<std::uint32_t> order(cpus);
    for (std::uint32_t i = 0; i < cpus; ++i) order[i] = i;
    for (std::uint32_t i = cpus; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    for (std::uint32_t i = 0; i < cpus; ++i) priority_[order[i]] = d + 1 + i;
    for (std::int64_t k = 1; k < d; ++k) change_points_.push_back(1 + rng.below(std::max<std::uint64_t>(1, horizon)));
    std::sort(change_points_.begin(), change_points_.end());
  }

  /// Applies the change points reached by `step` to the CPU that is running.
  void on_step(std::uint64_t step, std::uint32_t running) {
    while (next_change_ < change_points_.size() && change_points_[next_change_] <= step) {
      priority_[running] = static_cast<std::int64_t>(change_points_.size() - next_change_);
      ++next_change_;
    }
  }

  /// The CPU waits for another: it drops below everyone.
  void step_aside(std::uint32_t cpu) { priority_[cpu] = --lowest_; }

  /// The highest-priority CPU of a non-empty range of CPU ids.
  template <class Range>
  std::uint32_t highest(const Range& ready) const {
    std::uint32_t best = *ready.begin();
    for (std::uint32_t c : ready)
      if (priority_[c] > priority_[best]) best = c;
    return best;
  }

 private:
  std::vector<std::int64_t> priority_;
  std::vector<std::uint64_t> change_points_;
  std::size_t next_change_ = 0;
  std::int64_t lowest_ = 0;
};

}  // namespace lockstep::emu
