#pragma once
// Between runs and trace files: the header that describes a run, the run a header describes,
// and writing a finished run's trace.

#include <lockstep/sim/scenario_run.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <span>
#include <string>
#include <vector>

namespace lockstep::sim {

/// "det" or "parallel".
const char* engine_name(Engine engine) noexcept;

/// The header of a trace of a run with `options` (build id included).
TraceConfig trace_config_of(const RunOptions& options);

/// The options that re-run the run a header describes. Throws InputError for a header whose
/// strategy, faults or engine this build does not know.
RunOptions run_options_of(const TraceConfig& config);

/// Lock records (kLockContended, kLockAcquired) carry the lock's host address in `b`, which
/// differs from process to process. Replaces it with a lock number: 1, 2, ... in order of first
/// appearance, CPU 0's records first. `numbers` carries the mapping across calls (one call per
/// CPU, in CPU order, gives the same result as one call over all CPUs).
void number_locks(std::span<core::TraceRecord> records, std::vector<std::uint64_t>& numbers);

/// Writes `run`'s per-CPU trace (lock addresses numbered as by number_locks) to `path` (streamed, atomic). Throws InputError.
void write_run_trace(const std::string& path, const RunOptions& options, const ScenarioRun& run);

}  // namespace lockstep::sim
