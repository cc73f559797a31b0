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
  for (std::uint64_t seed = 1; seed <= kPctCalibrationRuns; ++seed) {
    calibration.machine.seed = seed;
    const IsolatedRun run = run_isolated(calibration);
    // A run stopped by a liveness guard says nothing about the program's length.
    const bool guarded = run.status == emu::RunStatus::kStepLimit || run.status == emu::RunStatus::kCycleLimit;
    if (run.completed && !guarded) longest = std::max(longest, run.progress_steps);
  }
  return longest != 0 ? longest : emu::MachineConfig{}.pct_horizon;
}

}  // namespace lockstep::sim
