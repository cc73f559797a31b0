#pragma once
// Events a debugger can stop at (`lockstep debug --stop-at-event`), in the tracer's vocabulary,
// and the deterministic engine's probe that recognises them (emu/debug_hook.hpp).

#include <cstdint>
#include <lockstep/core/trace.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <optional>
#include <string>

namespace lockstep::sim {

/// An awaited event: the first trace record of `type` whose argument matches, or, for
/// `record:CPU:INDEX`, CPU's record number INDEX (0 its first, counting records its ring lost),
/// which is how the trace viewer names any event.
struct DebugWatch {
  enum class Arg : std::uint8_t { kNone, kA, kAux, kLockName };
  bool by_index = false;
  core::TraceType type = core::TraceType::kIpiSent;
  Arg arg = Arg::kNone;  ///< What ARG matches: the record's `a`, its `aux`, or the lock's name.
  std::uint64_t value = 0;
  std::string lock;
  hal::CpuId cpu = 0;       ///< by_index
  std::uint64_t index = 0;  ///< by_index
};

/// Parses KIND[:ARG]: a trace record type (`ipi-sent:2` an IPI sent to CPU 2, `lock-contended:NAME`,
/// `task-block:5`, `irq-enter:VECTOR`, ...) or `record:CPU:INDEX`. Empty optional and `error` set
/// on a bad spec.
std::optional<DebugWatch> parse_debug_watch(const std::string& spec, std::string& error);

/// The kinds and what their ARG is, for help and error text.
std::string debug_watch_kinds();

/// Makes debug_probe() look for `watch` (nothing: it never matches). One watch per process.
void set_debug_watch(const std::optional<DebugWatch>& watch);

/// The probe run_scenario gives every deterministic machine (MachineConfig::debug_probe): true
/// when `cpu` wrote a record the watch awaits since its last point. The engine asks only while
/// a debugger watches, so a debugged run is configured exactly like any other.
bool debug_probe(hal::CpuId cpu) noexcept;

/// `options`' run in this process, watching for `watch` (if any): the scheduling point where it
/// first happened (0: never) and how the run ended.
struct DebugLanding {
  std::uint64_t point = 0;
  std::uint64_t steps = 0;  ///< Scheduling points of the whole run.
  bool passed = false;
  std::string reason;
};
DebugLanding find_debug_landing(const RunOptions& options, const std::optional<DebugWatch>& watch);

}  // namespace lockstep::sim
