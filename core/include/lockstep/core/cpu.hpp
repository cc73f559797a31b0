#pragma once
// CPU bring-up and hotplug: the API users know (init, boot_aps, cpu_count, current_cpu,
// ap_startup_main) and the machine-wide configuration the platform hands the core.

#include <cstddef>
#include <cstdint>
#include <lockstep/core/percpu.hpp>
#include <lockstep/core/task.hpp>
#include <lockstep/core/trace.hpp>
#include <span>

namespace lockstep::core {

/// Everything the platform provides at boot. All storage is the caller's (static arrays on bare
/// metal, host memory on the emulated machines); the core never allocates.
struct BootConfig {
  std::span<std::byte> cpu_stacks;  ///< cpu_stack_size bytes per secondary CPU, by logical id.
  std::size_t cpu_stack_size = 0;
  std::span<Task> tasks;
  std::span<std::byte> task_stacks;
  std::size_t task_stack_size = 0;
  std::span<TraceRecord> trace;     ///< Divided among CPUs; empty disables tracing.
  hal::Cycles ap_timeout = 5'000'000;  ///< Per handshake stage, in cycle_counter() units.
  hal::Cycles tick_period = 0;         ///< Scheduler tick; 0 runs without a timer.
  std::uint32_t slice_ticks = 2;       ///< Ticks before a running task is preempted.
  std::uint32_t balance_ticks = 4;     ///< rebalance_all() every this many boot-CPU ticks.
  bool profile = true;
  /// Check the invariants that depend on time (balance bound, stealing spread). Off where
  /// cycle_counter() is not the CPU's own time (vCPUs as host threads that the host deschedules).
  bool check_timing = true;
  /// The spin watchdog (after Linux's "spinlock lockup suspected"): a CPU that has waited this
  /// long for one lock or one cross-CPU call hands `on_lockup` a report naming the lock, its
  /// holder and the waiter, once per wait. 0 (or no hook) turns it off. The platform decides
  /// what a report does (a kernel prints it as a protocol line; the simulator fails the run).
  hal::Cycles lockup_cycles = 0;
  void (*on_lockup)(const char* report) = nullptr;
};

/// Resets every piece of core state, registers the platform's CPUs and brings the boot CPU
/// online. Boot CPU, interrupts disabled, before anything else in the core.
void init(const BootConfig& config) noexcept;

/// Starts every other enabled CPU and runs the staged handshake with each, with a timeout per
/// stage. A CPU that fails or times out is reported and left offline. Returns the number of
/// CPUs online afterwards (boot CPU included). Boot CPU.
std::uint32_t boot_aps() noexcept;

/// First code of a secondary CPU (the HAL starts it here with interrupts disabled). Completes
/// the handshake and enters the scheduler; never returns.
[[noreturn]] void ap_startup_main(hal::CpuId cpu) noexcept;

/// CPUs the platform reported (enabled or not).
hal::CpuId cpu_count() noexcept;
/// CPUs online now.
hal::CpuId online_count() noexcept;
bool cpu_is_online(hal::CpuId cpu) noexcept;
/// This CPU's record (alias of this_cpu(), the name users know).
inline PerCpu& current_cpu() noexcept { return this_cpu(); }
/// The configuration init() received.
const BootConfig& boot_config() noexcept;

/// Takes `cpu` offline: its tasks migrate to other CPUs, IPIs to it are refused from then on.
/// With `halt` it stops for good, otherwise it parks and cpu_online() can bring it back.
/// Returns after the CPU is offline (or false at once for this CPU, the boot CPU, or a CPU not
/// online). Thread context on another CPU.
bool cpu_offline(hal::CpuId cpu, bool halt = false) noexcept;

/// Brings a parked CPU back online. Returns once it is online, false if it was not parked.
bool cpu_online(hal::CpuId cpu) noexcept;

/// Halts every other online CPU and waits until they are offline. Boot CPU, end of a run.
void shutdown_others() noexcept;

}  // namespace lockstep::core
