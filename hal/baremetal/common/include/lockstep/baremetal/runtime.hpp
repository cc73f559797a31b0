#pragma once
// The freestanding runtime both kernels share: the entry into the core (init, boot_aps, the
// built-in workloads), the serial protocol's lines, the trace dump and the end of the run.
// The architecture code brings the hardware up, fills KernelInfo and calls run_kernel().

#include <cstddef>
#include <cstdint>
#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/types.hpp>

namespace lockstep::baremetal {

/// Storage limits of the kernels (static arrays; the core never allocates).
inline constexpr hal::CpuId kMaxKernelCpus = hal::kMaxCpus;  // hal_backend/limits.hpp
inline constexpr std::size_t kCpuStackSize = 32 * 1024;
inline constexpr std::size_t kKernelTasks = 640;
inline constexpr std::size_t kTaskStackSize = 16 * 1024;
/// Trace records the kernels keep at most (the kernel command line may ask for fewer).
inline constexpr std::size_t kMaxTraceRecords = 65536;
inline constexpr std::size_t kDefaultTraceRecords = 16384;

/// What the architecture tells the shared runtime.
struct KernelInfo {
  const char* arch = "?";
  hal::Cycles cycles_per_second = 0;  ///< cycle_counter() frequency (measured or reported).
  bool check_timing = true;           ///< false under a hypervisor whose vCPUs the host deschedules.
  bool verbose = false;
  std::size_t trace_records = kDefaultTraceRecords;
  const char* only_workload = nullptr;  ///< Run this workload only (kernel command line), or all.
};

/// Runs the self-test on the boot CPU and ends the machine. Boot CPU, interrupts disabled,
/// the HAL fully initialised (console, interrupts, timer, platform_cpus()). Never returns.
[[noreturn]] void run_kernel(const KernelInfo& info) noexcept;

/// Writes one protocol line: "LOCKSTEP " + text + "\n", in one console_write. Any context.
void protocol_line(const char* text) noexcept;

/// Writes "LOCKSTEP <word> <fmt formatted>\n" in one console write (`word`: one of
/// serial_protocol.hpp's). Any context.
template <class... Args>
void protocol_line(const char* word, const char* fmt, const Args&... args) noexcept {
  core::TextBuffer b;
  b.put(protocol::kLinePrefix);
  b.put(word);
  b.put(' ');
  b.format(fmt, args...);
  b.put('\n');
  b.flush();
}

/// "LOCKSTEP WARNING ..." and "LOCKSTEP ERROR ...": the host lists them with the run's problems.
template <class... Args>
void warning(const char* fmt, const Args&... args) noexcept {
  protocol_line(protocol::kWarning, fmt, args...);
}
template <class... Args>
void error(const char* fmt, const Args&... args) noexcept {
  protocol_line(protocol::kError, fmt, args...);
}

/// Called by the HAL when a CPU halts for good. If the core has panicked, or the boot CPU
/// halts, the run is over: prints PANIC/END lines and ends the machine as failed. Any context,
/// interrupts disabled.
void on_cpu_halt(hal::CpuId cpu) noexcept;

/// Ends the run after a CPU exception the kernel cannot handle (the architecture printed it).
[[noreturn]] void fatal_fault() noexcept;

// ---- Provided by each architecture ----

/// Powers the machine off with the protocol's pass or fail status. Any CPU, any context.
[[noreturn]] void platform_exit(bool passed) noexcept;

}  // namespace lockstep::baremetal
