#pragma once
// A run in a forked child process. The core keeps its state in static storage, and so do
// users' scenarios (their locks, their counters): a run that ends abnormally (a deadlock, a
// panic, a liveness guard) stops with locks held and tasks half-way, and the next run in the
// same process would inherit that. Whatever must run many failing schedules (the shrinker,
// PCT's calibration, explore after a failure) runs each in a fresh child; the parent stays
// pristine because it never runs a scenario itself.

#include <cstdint>
#include <lockstep/sim/scenario_run.hpp>
#include <string>
#include <vector>

namespace lockstep::sim {

struct IsolatedRun {
  bool completed = false;       ///< The child reported back (false: it crashed; `reason` says how).
  bool passed = false;
  std::string reason;
  emu::RunStatus status = emu::RunStatus::kFinished;
  std::uint64_t steps = 0;
  std::uint64_t progress_steps = 0;
  std::uint64_t focus_steps = 0;
  std::uint64_t event_hash = 0;
  std::vector<emu::Decision> decisions;  ///< When options.machine.record_decisions.
};

/// Runs `options` in a forked child and returns what it reported. Throws InputError if the
/// process cannot be forked.
IsolatedRun run_isolated(const RunOptions& options);

/// The same in this process, for callers that already are a disposable child.
IsolatedRun run_here(const RunOptions& options);

}  // namespace lockstep::sim
