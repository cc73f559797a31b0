#include <algorithm>
#include <lockstep/sim/isolated_run.hpp>
#include <lockstep/sim/pct_horizon.hpp>

namespace lockstep::sim {

std::uint64_t measure_pct_horizon(const RunOptions& options) {
  RunOptions calibration = options;
  calibration.machine.strategy = emu::Strategy::kPct;
  calibration.machine.pct_depth = 1;
  calibration.machine.pct_horizon = 1;
  calibration.machine.record_events = false;
  calibration.machine.record_decisions = false;
  calibration.trace_records_per_cpu = 0;
  std::uint64_t longest = 0;
  for (std::uint64_t i = 0; i < kPctCalibrationRuns; ++i) {
    // Half under PCT without change points, half under random walk: a priority schedule alone
    // tends to run the threads one after the other, shorter than the interleavings that PCT's
    // change points make (twostage: 29 focus steps against 47), and a k below the bug's window
    // can never reach it, while one above it only dilutes.
    calibration.machine.strategy = i % 2 == 0 ? emu::Strategy::kPct : emu::Strategy::kRandom;
    calibration.machine.seed = 1 + i / 2;
    const IsolatedRun run = run_isolated(calibration);
    // A run stopped by a liveness guard says nothing about the program's length.
    const bool guarded = run.status == emu::RunStatus::kStepLimit || run.status == emu::RunStatus::kCycleLimit;
    if (run.completed && !guarded) longest = std::max(longest, run.focus_steps);
  }
  return longest != 0 ? longest : emu::MachineConfig{}.pct_horizon;
}

}  // namespace lockstep::sim
