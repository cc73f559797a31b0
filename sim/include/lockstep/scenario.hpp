#pragma once
// Everything a user's scenario needs, in one include: the LOCKSTEP_SCENARIO macro and the core
// API the scenario's tasks run on the emulated CPUs.
//
//   #include <lockstep/scenario.hpp>
//   namespace core = lockstep::core;
//   LOCKSTEP_SCENARIO(my_race, "two tasks race on a counter") {
//     ... spawn tasks, run_scheduler_until(...), then check the invariant:
//     if (broken) core::workload_fail(result, "what went wrong");
//   }
//
// Link the scenario's source file into an executable with lockstep::cli (find_package(lockstep))
// and it appears in `scenarios`, `run`, `explore` and `replay`. docs/WRITING_SCENARIOS.md has a
// complete example.
//
// The rules the core follows hold for scenario code too: every variable that tasks on different
// CPUs share is a hal::Atomic<T> (each access is a scheduling point of the deterministic engine;
// a plain variable is invisible to it, so races on it are never explored), every spin loop calls
// hal::relax() or core::spin_until.

#include <lockstep/hal/atomic.hpp>   // hal::Atomic<T>
#include <lockstep/hal/cpu.hpp>      // hal::current_cpu_id, relax, cycle_counter
#include <lockstep/hal/types.hpp>    // hal::CpuId, kInvalidCpu, Cycles

#include <lockstep/core/barrier.hpp>    // core::StartBarrier
#include <lockstep/core/cpu.hpp>        // core::cpu_count, online_count, cpu_is_online
#include <lockstep/core/ipi.hpp>        // core::send_ipi, broadcast_ipi, call_on_cpu, call_on_others, spin_until
#include <lockstep/core/irq_guard.hpp>  // core::IrqDisabledScope
#include <lockstep/core/profiler.hpp>   // core::profile_label, profile_counter, ProfileScope, profile_count
#include <lockstep/core/sched.hpp>      // core::run_scheduler_until, yield, Event, Completion, wake_task
#include <lockstep/core/spinlock.hpp>   // core::RawSpinlock, TicketSpinlock, Spinlock<T>, SpinlockGuard, IrqSpinlockGuard
#include <lockstep/core/task.hpp>       // core::spawn_task, TaskEntry
#include <lockstep/core/workload.hpp>   // core::WorkloadResult, workload_fail

#include <lockstep/sim/scenario.hpp>  // LOCKSTEP_SCENARIO
