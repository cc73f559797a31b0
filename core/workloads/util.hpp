#pragma once
// Helpers the workloads share: spawning tasks and waiting for them on the boot CPU.

#include <lockstep/core/cpu.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/workload.hpp>

namespace lockstep::core::workloads {

/// Upper bound of tasks any workload spawns at once (the task pool must hold them).
inline constexpr std::uint32_t kMaxWorkloadTasks = 512;

/// The boot CPU waits for this; every workload task calls done() as its last act.
extern Completion g_tasks_done;

/// Spawns `count` tasks `entry(index)` (index passed as the arg pointer's integer value), on
/// `cpu` or spread over online CPUs when kInvalidCpu, then runs the scheduler on the boot CPU
/// until all finished. Fails `result` if a task cannot be spawned.
void spawn_and_wait(std::uint32_t count, TaskEntry entry, hal::CpuId cpu, WorkloadResult& result) noexcept;

inline std::uint32_t task_index(void* arg) noexcept { return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(arg)); }

/// Formats a failure reason.
template <class... Args>
void fail(WorkloadResult& result, const char* fmt, const Args&... args) noexcept {
  TextBuffer text;
  text.format(fmt, args...);
  text.put('\0');
  workload_fail(result, text.data());
}

}  // namespace lockstep::core::workloads
