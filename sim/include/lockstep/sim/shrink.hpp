#pragma once
// Shrinking a failing run: delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating
// Failure-Inducing Input", TSE 2002) over the run's schedule decisions (emu::Decision: where
// it departs from the default schedule) and its injected faults, down to a short schedule
// that still fails the same way. The result replays with `lockstep run --schedule FILE`.

#include <cstdint>
#include <lockstep/sim/scenario_run.hpp>
#include <string>
#include <vector>

namespace lockstep::sim {

struct ShrinkBudget {
  std::uint64_t max_runs = 4000;  ///< Runs delta debugging may spend.
  double max_seconds = 30;        ///< Host time it may spend (checked between runs).
};

struct ShrinkResult {
  bool reproduced = false;       ///< The recorded decisions replayed to the same failure.
  RunOptions shrunk;             ///< strategy kSchedule, the minimal decisions, faults if needed.
  std::string reason;            ///< The shrunk run's failure.
  std::uint64_t decisions_before = 0, decisions_after = 0;
  std::uint64_t preemptions_before = 0, preemptions_after = 0;
  bool faults_dropped = false;   ///< The failure needs none of the run's injected faults.
  std::uint64_t runs = 0;        ///< Runs spent.
  bool budget_exhausted = false; ///< Stopped by the budget: smaller may exist.
};

/// The failure's kind, for "fails the same way": its reason with every number replaced by '#'.
std::string failure_class(const std::string& reason);

/// Shrinks the failing run `failing` (any strategy of the deterministic engine).
ShrinkResult shrink_failure(const RunOptions& failing, const ShrinkBudget& budget = {});

}  // namespace lockstep::sim
