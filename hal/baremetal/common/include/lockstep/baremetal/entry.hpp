#pragma once
// Where a bare-metal HAL hands the machine to the kernel program (kernel/), and how the program
// hears that the machine stops. The architecture brings the hardware up, fills KernelInfo and
// calls kernel_main(), as a C runtime calls main(); the HAL never calls further into the
// program than that and the stop hook the program installs.

#include <cstddef>
#include <cstdint>
#include <lockstep/hal/types.hpp>

namespace lockstep::baremetal {

/// Trace records per CPU a kernel keeps unless its command line asks otherwise.
inline constexpr std::size_t kDefaultTraceRecords = 16384;
/// Samples per figure of the IPI benchmark (lockstep.ipi_bench[=N]) by default and at most.
inline constexpr std::uint32_t kDefaultIpiBenchSamples = 1000;
inline constexpr std::uint32_t kMaxIpiBenchSamples = 4096;

/// What the architecture tells the kernel program.
struct KernelInfo {
  const char* arch = "?";
  hal::Cycles cycles_per_second = 0;  ///< cycle_counter() frequency (measured or reported).
  bool check_timing = true;           ///< false under a hypervisor whose vCPUs the host deschedules.
  bool verbose = false;
  std::size_t trace_records = kDefaultTraceRecords;
  const char* only_workload = nullptr;  ///< Run this workload only (kernel command line), or all.
  /// Non-zero (lockstep.ipi_bench[=N]): instead of the workloads, time N IPI round trips between
  /// CPUs 0 and 1 against N self-IPIs on CPU 0 and print the IPI-BENCH line (serial_protocol.hpp).
  std::uint32_t ipi_bench = 0;
  /// Set when the command line asks for a fault on purpose (lockstep.fault_test): raises a CPU
  /// exception with recognisable registers, to prove the fault path end to end. Never returns.
  void (*fault_on_purpose)() = nullptr;
};

/// Defined by the kernel program: runs it on the boot CPU and ends the machine. Boot CPU,
/// interrupts disabled, the HAL fully initialised (console, interrupts, timer, platform_cpus()).
[[noreturn]] void kernel_main(const KernelInfo& info) noexcept;

/// Why the HAL tells the kernel program the machine is stopping.
enum class Stop {
  kCpuHalt,  ///< hal::halt() on `cpu`: after a panic, at shutdown, or a CPU leaving for good.
  kFault,    ///< A CPU exception nothing handles; the architecture printed the FAULT line.
};

/// Called with interrupts disabled, on the stopping CPU. For kCpuHalt it may return (the CPU then
/// halts); for kFault the HAL ends the machine as failed if it returns.
using StopHook = void (*)(Stop how, hal::CpuId cpu) noexcept;

/// Installs the hook; on the boot CPU before any other CPU runs (no later writes, so the other
/// CPUs read it without ordering of their own).
void set_stop_hook(StopHook hook) noexcept;

/// For the architecture's hal::halt(): tells the hook, which may end the machine.
void cpu_halting(hal::CpuId cpu) noexcept;

/// For the architecture's exception handlers, after printing the fault: tells the hook, then
/// ends the machine as failed.
[[noreturn]] void fatal_fault(hal::CpuId cpu) noexcept;

// ---- Provided by each architecture ----

/// Powers the machine off with the protocol's pass or fail status. Any CPU, any context.
[[noreturn]] void platform_exit(bool passed) noexcept;

}  // namespace lockstep::baremetal
