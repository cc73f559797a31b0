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

#include <cstdint>
#include <lockstep/emu/prng.hpp>
#include <lockstep/emu/spin_wait.hpp>
#include <vector>

namespace lockstep::emu {

class Pos {
 public:
  Pos() = default;
  explicit Pos(std::uint32_t cpus) : events_(cpus) {}

  /// CPU `cpu` is now paused before an event on `location` (nullptr: none), a write or not.
  void next_event(std::uint32_t cpu, const void* location, bool write, Prng& rng) noexcept {
    events_[cpu] = {rng.next(), location, write};
  }

  /// The CPU to run among a non-empty range of ready CPU ids: the one not `waiting(cpu)` whose
  /// event has the highest priority (if all wait, the next after `current` in id order).
  /// Re-draws the events that race with the chosen one.
  template <class Range, class Waiting>
  std::uint32_t pick(const Range& ready, Waiting&& waiting, std::uint32_t current, Prng& rng) noexcept {
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

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  struct Event {
    std::uint64_t priority = 0;
    const void* location = nullptr;
    bool write = false;
  };
  std::vector<Event> events_;
};

}  // namespace lockstep::emu
