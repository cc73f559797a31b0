#pragma once
// Running a machine: the deterministic engine and the parallel engine behind one call each.

#include <cstdint>
#include <lockstep/emu/config.hpp>
#include <string>
#include <vector>

namespace lockstep::emu {

enum class RunStatus : std::uint8_t {
  kFinished,    ///< The boot CPU's main function returned.
  kDeadlock,    ///< Every live vCPU waits for an interrupt and none can ever arrive.
  kStepLimit,   ///< Liveness guard: too many scheduling points.
  kCycleLimit,  ///< Liveness guard: a vCPU's virtual clock passed max_cycles.
  kTimeLimit,   ///< Liveness guard of the parallel engine: host time.
  kHaltStop,    ///< A vCPU halted and MachineConfig::stop_on_halt ended the run.
  kDataRace,    ///< The race detector saw two accesses not ordered by happens-before (RunResult::race).
};

std::string_view to_string(RunStatus s) noexcept;

/// One entry of the deterministic engine's event log. Plain bytes: two runs compare with memcmp.
struct EngineEvent {
  enum Kind : std::uint8_t { kSwitch, kIpiSend, kIpiDeliver, kTimerFire, kStart, kHalt, kWait, kFault };
  std::uint64_t step;
  std::uint64_t cycles;
  std::uint32_t cpu;
  std::uint32_t arg;  ///< Target CPU and vector, packed as (cpu << 8 | vector) where relevant.
  Kind kind;
  std::uint8_t pad[7];
};
static_assert(sizeof(EngineEvent) == 32);

struct CpuReport {
  std::string state;  ///< "running", "waiting", "halted", "off", "never-started".
  hal::Cycles cycles = 0;
  std::uint64_t steps = 0;
  std::string last_op;
  bool irq_enabled = false;
  std::uint32_t pending = 0;
};

struct RunResult {
  RunStatus status = RunStatus::kFinished;
  std::string report;                  ///< Human-readable: why it stopped, each vCPU's state.
  std::string race;                    ///< kDataRace: both accesses (docs/ARCHITECTURE.md, "Race detector").
  std::uint64_t steps = 0;
  std::uint64_t progress_steps = 0;    ///< Points that were not spins.
  std::uint64_t focus_steps = 0;       ///< Of those, in the last test focus (hal/search.hpp): PCT's k.
  std::uint64_t preemptions = 0;       ///< Decisions that displaced a vCPU able to go on.
  std::vector<Decision> decisions;     ///< When config.record_decisions.
  hal::Cycles max_cycles = 0;          ///< The furthest vCPU clock (virtual time of the run).
  std::uint64_t event_hash = 0;        ///< FNV-1a over the event log (kept even when not recorded).
  std::vector<EngineEvent> events;     ///< When config.record_events.
  std::vector<CpuReport> cpus;
  std::string console;                 ///< Everything the machine wrote to its console.
  std::uint64_t console_dropped = 0;   ///< Bytes beyond the capture bound (counted, not lost silently).
  std::uint64_t ipis_lost = 0, ipis_delayed = 0, ipis_duplicated = 0;
};

/// The boot CPU's main function. Runs on vCPU 0 with interrupts disabled.
using BootMain = void (*)(void* arg);

/// Runs one machine on the deterministic engine on this host thread. Reentrant across
/// sequential calls; not across concurrent calls in one process (the core's state is global).
RunResult run_deterministic(const MachineConfig& config, BootMain boot, void* arg);

/// Runs one machine on the parallel engine: one host thread per vCPU, real atomics, host time.
RunResult run_parallel(const MachineConfig& config, BootMain boot, void* arg);

/// Bytes of host memory one idle vCPU of the deterministic engine reserves (state + stack).
std::size_t det_bytes_per_idle_cpu(const MachineConfig& config) noexcept;

}  // namespace lockstep::emu
