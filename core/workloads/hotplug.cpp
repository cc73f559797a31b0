// CPUs go offline and come back while tasks run; every task still runs exactly once and every
// CPU ends online.

#include <lockstep/core/ipi.hpp>

#include "util.hpp"

namespace lockstep::core::workloads {
namespace {

std::uint32_t g_runs[kMaxWorkloadTasks];

void hotplug_task(void* arg) {
  ++g_runs[task_index(arg)];
  for (int i = 0; i < 4; ++i) {
    const hal::Cycles start = hal::cycle_counter();
    while (hal::cycle_counter() - start < 2'000) hal::relax();
    yield();
  }
  g_tasks_done.done();
}

}  // namespace

void run_hotplug(WorkloadResult& r) {
  const std::uint32_t tasks = cpu_count() * 3 < kMaxWorkloadTasks ? cpu_count() * 3 : kMaxWorkloadTasks;
  for (std::uint32_t i = 0; i < tasks; ++i) g_runs[i] = 0;
  g_tasks_done.reset(tasks, hal::current_cpu_id());
  for (std::uint32_t i = 0; i < tasks; ++i)
    if (spawn_task(hotplug_task, reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)), 1, hal::kInvalidCpu) == nullptr) {
      fail(r, "could not spawn task {}", i);
      g_tasks_done.done();
    }
  // Cycle every secondary CPU offline and back while the tasks run on the others.
  for (hal::CpuId c = 1; c < cpu_count(); ++c) {
    if (!cpu_is_online(c)) continue;
    if (!cpu_offline(c)) fail(r, "cpu {} refused to go offline", c);
    if (send_ipi(c, IpiKind::kReschedule)) fail(r, "an IPI to offline cpu {} was accepted", c);
    if (!cpu_online(c)) fail(r, "cpu {} did not come back online", c);
  }
  run_scheduler_until([](void*) { return g_tasks_done.complete(); }, nullptr);
  for (std::uint32_t i = 0; i < tasks; ++i)
    if (g_runs[i] != 1) fail(r, "task {} ran {} times", i, g_runs[i]);
  for (hal::CpuId c = 0; c < cpu_count(); ++c)
    if (cpu_record(c).enabled && cpu_record(c).cpu_state() != CpuState::kOnline && cpu_record(c).cpu_state() != CpuState::kFailed)
      fail(r, "cpu {} ended {}", c, cpu_state_name(cpu_record(c).cpu_state()));
}

}  // namespace lockstep::core::workloads
