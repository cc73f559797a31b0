// The end of a run: normally after the workloads, early after a panic or a fault.

#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/trace_export.hpp>
#include <lockstep/hal/hal.hpp>

#include "program.hpp"

extern "C" {
/// The trace rings' table for machines that read guest memory (core/trace_export.hpp).
lockstep::core::TraceExport lockstep_trace_export;
}

namespace lockstep::kernel {
namespace {

namespace protocol = baremetal::protocol;

hal::Atomic<std::uint32_t> g_ending{0};

/// True for the first caller only: a panic on one CPU and a fault on another end the run once.
bool first_to_end() noexcept {
  std::uint32_t expected = 0;
  return g_ending.compare_exchange_strong(expected, 1, std::memory_order_acq_rel);
}

[[noreturn]] void finish(bool passed) noexcept {
  baremetal::protocol_line(protocol::kEnd, "{}", passed ? protocol::kPass : protocol::kFail);
  core::trace_publish(lockstep_trace_export);
  baremetal::platform_exit(passed);
}

}  // namespace

void end_run(bool passed) noexcept {
  if (first_to_end()) finish(passed);
  baremetal::platform_exit(false);
}

void on_stop(baremetal::Stop how, hal::CpuId cpu) noexcept {
  if (how == baremetal::Stop::kFault) end_run(false);
  if (g_ending.load(std::memory_order_acquire) != 0) return;
  const char* panic = core::panic_message();
  if (panic == nullptr && cpu != 0) return;  // A secondary CPU stopping (hotplug, shutdown).
  if (!first_to_end()) return;
  baremetal::protocol_line(protocol::kPanic, "{}", panic != nullptr ? panic : "boot cpu halted");
  finish(false);
}

}  // namespace lockstep::kernel
