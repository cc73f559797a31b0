#pragma once
// The kernel program's pieces, shared by its own files only.

#include <cstddef>
#include <lockstep/baremetal/entry.hpp>
#include <lockstep/hal/types.hpp>

namespace lockstep::kernel {

/// Storage limits (static arrays; the core never allocates).
inline constexpr std::size_t kCpuStackSize = 32 * 1024;
inline constexpr std::size_t kKernelTasks = 640;
inline constexpr std::size_t kTaskStackSize = 16 * 1024;
/// Trace records per CPU the kernels keep at most (the command line may ask for fewer).
inline constexpr std::size_t kMaxTraceRecords = 65536;

/// The IPI benchmark (ipi_bench.cpp): times info.ipi_bench IPI round trips between CPUs 0 and 1
/// and as many self-IPIs on CPU 0, and prints the IPI-BENCH line. Boot CPU, after bring-up,
/// interrupts disabled (enabled while it measures). False if it could not measure.
bool run_ipi_bench(const baremetal::KernelInfo& info) noexcept;

/// Writes every CPU's trace ring as TRACE lines (serial_protocol.hpp). Boot CPU, the others stopped.
void dump_trace() noexcept;

/// The stop hook (baremetal::set_stop_hook): a panic, the boot CPU halting or a fault ends the run.
void on_stop(baremetal::Stop how, hal::CpuId cpu) noexcept;

/// Ends the run once: the END line, the trace table published, the machine powered off. Used by
/// kernel_main at the end and by on_stop; whichever comes second only powers off.
[[noreturn]] void end_run(bool passed) noexcept;

}  // namespace lockstep::kernel
