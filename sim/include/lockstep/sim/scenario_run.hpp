#pragma once
// Running a core workload on an emulated machine: the glue between the engines (hal/emu) and
// the core, used by the CLI, the tests and the benchmarks.

#include <cstdint>
#include <lockstep/core/report.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/core/workload.hpp>
#include <lockstep/emu/machine.hpp>
#include <string>
#include <vector>

namespace lockstep::sim {

enum class Engine : std::uint8_t { kDeterministic, kParallel };

struct RunOptions {
  emu::MachineConfig machine;
  std::string scenario = "boot";
  Engine engine = Engine::kDeterministic;
  std::size_t trace_records_per_cpu = 8192;  ///< 0 disables tracing.
  hal::Cycles tick_period = 20'000;          ///< Virtual cycles (det) or host ns (parallel).
  bool print_core_report = false;            ///< Append the core's own report to the console.
  /// The spin watchdog (core BootConfig::lockup_cycles) on the deterministic engine: a wait for
  /// one lock or call longer than this fails the run at once ("spinlock lockup suspected") instead
  /// of at the step limit. Normal waits here last thousands of cycles. 0 turns it off.
  hal::Cycles lockup_cycles = 10'000'000;
  bool lockdep = true;                       ///< The lock validator (core/lockdep.hpp); deterministic engine only.
};

struct ScenarioRun {
  emu::RunResult machine;
  core::WorkloadResult workload;
  bool passed = false;
  std::string reason;               ///< Why it failed (or "ok").
  core::Totals totals;
  std::vector<std::vector<core::TraceRecord>> trace;  ///< Per CPU, oldest first.
  std::vector<std::uint64_t> trace_lost;              ///< Per CPU.
};

/// Runs one scenario to the end. Never throws for a failing scenario; an unknown scenario name
/// is reported as a failure with a reason.
ScenarioRun run_scenario(const RunOptions& options);

/// Whether `--races auto` turns the race detector on for this run: the deterministic engine with
/// at most emu::kMaxViewCpus vCPUs.
bool races_by_default(const RunOptions& options) noexcept;

/// One-line description of the outcome ("pass" or "FAIL: reason").
std::string outcome_line(const ScenarioRun& run);

}  // namespace lockstep::sim
