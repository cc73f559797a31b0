#pragma once
// Scheduler pieces shared by the core's own files.

#include <lockstep/core/percpu.hpp>
#include <lockstep/core/task.hpp>

namespace lockstep::core::detail {

/// Queues `t` on `preferred`, or on the next online CPU with room. False if every queue is full
/// or no CPU is online.
bool enqueue_anywhere(hal::CpuId preferred, Task& t) noexcept;

/// Returns a finished task's slot to the pool (after it is off every CPU).
void free_task(Task& t) noexcept;

/// The end of a task: marks it finished and leaves its CPU for good. Interrupts disabled.
[[noreturn]] void finish_current_task(Task& t) noexcept;

/// Takes this CPU offline from its idle loop (park or halt, as requested). Returns only after a
/// parked CPU is brought back online. Interrupts disabled.
void go_offline(PerCpu& cpu) noexcept;

}  // namespace lockstep::core::detail
