#include <algorithm>
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
  std::uint64_t longest = 1;
  for (std::uint64_t seed = 1; seed <= kPctCalibrationRuns; ++seed) {
    calibration.machine.seed = seed;
    longest = std::max(longest, run_scenario(calibration).machine.progress_steps);
  }
  return longest;
}

}  // namespace lockstep::sim
