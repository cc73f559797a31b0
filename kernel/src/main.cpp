// The kernel program's main flow on the boot CPU: the core's bring-up, the built-in workloads,
// the report, the trace dump, the end of the run; each step announced as a protocol line.

#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/report.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/core/workload.hpp>
#include <lockstep/hal/hal.hpp>

#include "program.hpp"

namespace lockstep::kernel {
namespace {

namespace protocol = baremetal::protocol;
using baremetal::protocol_line;

alignas(64) std::byte g_cpu_stacks[hal::kMaxCpus * kCpuStackSize];
alignas(64) std::byte g_task_stacks[kKernelTasks * kTaskStackSize];
core::Task g_tasks[kKernelTasks];
core::TraceRecord g_trace[kMaxTraceRecords];

/// Reasons go on one line: newlines become spaces.
void sanitize(char* text) noexcept {
  for (; *text; ++text)
    if (*text == '\n' || *text == '\r') *text = ' ';
}

core::BootConfig boot_config(const baremetal::KernelInfo& info) noexcept {
  const hal::Cycles hz = info.cycles_per_second;
  core::BootConfig config;
  config.cpu_stacks = g_cpu_stacks;
  config.cpu_stack_size = kCpuStackSize;
  config.tasks = g_tasks;
  config.task_stacks = g_task_stacks;
  config.task_stack_size = kTaskStackSize;
  const std::size_t records = info.trace_records < kMaxTraceRecords ? info.trace_records : kMaxTraceRecords;
  config.trace = std::span<core::TraceRecord>(g_trace, records);
  config.ap_timeout = hz;          // One second per handshake stage: slow emulators start APs late.
  config.tick_period = hz / 1000;  // 1 ms scheduler tick.
  config.check_timing = info.check_timing;
  // Two seconds on one lock or one call is a lockup on any machine we boot (Linux waits one).
  config.lockup_cycles = 2 * hz;
  config.on_lockup = [](const char* report) { protocol_line(protocol::kLockup, "{}", report); };
  return config;
}

void bring_up(const baremetal::KernelInfo& info) noexcept {
  protocol_line(protocol::kBoot, "arch={} protocol={} trace-format={} cpus={}", info.arch, protocol::kVersion,
                core::kTraceFormatVersion, hal::platform_cpus().size());
  protocol_line(protocol::kStage, "core-init");
  core::init(boot_config(info));
  protocol_line(protocol::kStage, "boot-aps");
  core::boot_aps();
  hal::CpuId enabled = 0;
  for (hal::CpuId c = 0; c < core::cpu_count(); ++c) {
    const core::PerCpu& cpu = core::cpu_record(c);
    if (cpu.enabled) ++enabled;
    protocol_line(protocol::kCpu, "{} hw={:x} {}", c, cpu.hw_id,
                  cpu.enabled ? core::cpu_state_name(cpu.cpu_state()) : "disabled");
  }
  protocol_line(protocol::kOnline, "{} {}", core::online_count(), enabled);
}

bool run_one(const core::Workload& w) noexcept {
  protocol_line(protocol::kStage, "workload {}", w.name);
  core::WorkloadResult r = core::run_workload(w);
  sanitize(r.reason);
  protocol_line(protocol::kResult, "{} {} {}", w.name, r.passed ? protocol::kPass : protocol::kFail, r.reason);
  return r.passed;
}

/// Every built-in workload, or only the one the command line names (none if no such one).
bool run_workloads(const char* only) noexcept {
  if (only != nullptr) {
    const core::Workload* w = core::find_workload(only);
    return w == nullptr || run_one(*w);
  }
  bool passed = true;
  for (const core::Workload& w : core::builtin_workloads()) passed = run_one(w) && passed;
  return passed;
}

}  // namespace
}  // namespace lockstep::kernel

namespace lockstep::baremetal {

void kernel_main(const KernelInfo& info) noexcept {
  using namespace kernel;
  set_stop_hook(&on_stop);
  if (info.fault_on_purpose != nullptr) info.fault_on_purpose();
  bring_up(info);
  const bool passed = info.ipi_bench != 0 ? run_ipi_bench(info) : run_workloads(info.only_workload);
  protocol_line(protocol::kStage, "report");
  protocol_line(protocol::kReport, "{}", protocol::kBegin);
  core::print_report();
  protocol_line(protocol::kReport, "{}", protocol::kEnd);
  protocol_line(protocol::kStage, "shutdown");
  core::shutdown_others();
  protocol_line(protocol::kStage, "trace-dump");
  dump_trace();
  end_run(passed);
}

}  // namespace lockstep::baremetal
