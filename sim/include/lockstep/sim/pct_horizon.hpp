#pragma once
// PCT's k, measured: its change points are spread over the run's length, so a horizon far
// longer than the run wastes most of them and PCT finds nothing (issue 11's finding). As in
// Shuttle and Coyote, the length is taken from runs already made: here, a few calibration
// runs of the same configuration before the sweep, so every run of a sweep (and its
// reproduce command) uses one k whatever the number of workers.

#include <cstdint>
#include <lockstep/sim/scenario_run.hpp>

namespace lockstep::sim {

/// Calibration runs behind a measured horizon.
inline constexpr std::uint64_t kPctCalibrationRuns = 16;

/// The longest run, in progress steps of its test focus (emu::RunResult::focus_steps), of
/// kPctCalibrationRuns runs of `options`, half under PCT without change points (depth 1) and
/// half under random walk, seeds 1, 2, ..., each in its own process (isolated_run.hpp). Runs stopped by a liveness guard do not count;
/// if all were, the engine's default horizon.
std::uint64_t measure_pct_horizon(const RunOptions& options);

}  // namespace lockstep::sim
