#pragma once
// The lock validator (after Linux's lockdep,
// Documentation/locking/lockdep-design.rst). Locks fall into classes by name
// (every lock built with the same name string is one class, as the accounts of
// an array of locks are). Each acquisition records, per class, the contexts it
// was taken in, and, for every lock the CPU already holds, the edge "held A,
// then took B". The graph lives for the whole process, so it covers every run
// of a sweep: an order seen in one run and its reverse in another is reported
// although neither run deadlocked. Rules:
//   - a cycle in the lock order (ABBA, or longer);
//   - a class taken in interrupt context and also in task context with
//   interrupts enabled;
//   - a cross-CPU call waited for while holding a class that is taken with
//   interrupts off
//     (a CPU spinning on it cannot take the call's IPI);
//   - blocking (Event::wait, yield) with a spinlock held.
// Each report names the classes and one acquisition site per edge (run tag,
// CPU, cycle).
//
// The tables are plain memory, for speed and so the validator adds no
// scheduling point (a run's schedule is the same with it on or off; a report is
// only recorded, the harness prints it): enable it only on a machine that runs
// one CPU at a time, the deterministic engine. It is off unless enabled; the
// kernels never enable it.

#include <cstdint>
#include <lockstep/hal/types.hpp>

namespace lockstep::core {

inline constexpr std::uint32_t kMaxLockClasses = 64;

/// Turns the validator on or off for the runs that follow. Before a run.
void lockdep_enable(bool on) noexcept;
bool lockdep_enabled() noexcept;
/// A number naming the run in report sites (the sweep's seed). Before a run.
void lockdep_set_run_tag(std::uint64_t tag) noexcept;
/// The first report of this run (cleared by init()), or nullptr.
const char* lockdep_report() noexcept;
/// Forgets every class, edge and usage (a new sweep). Quiescent machine only.
void lockdep_forget() noexcept;

namespace detail {
struct LockOwner;
/// The lock hooks: `lock` is about to be taken (edges; any context), was taken
/// (held), was released. No-ops while the validator is off.
void lockdep_will_acquire(const LockOwner& lock) noexcept;
void lockdep_acquired(const LockOwner& lock) noexcept;
void lockdep_released(const LockOwner& lock) noexcept;
/// This CPU is about to wait for a cross-CPU call.
void lockdep_check_call_wait() noexcept;
/// This task is about to block (`what`: "Event::wait", "yield"); a held
/// spinlock is a report. True if the caller may go on.
bool lockdep_check_block(const char* what) noexcept;
/// init(): a new run (clears the report and every CPU's held locks; keeps the
/// graph).
void lockdep_run_start() noexcept;
}  // namespace detail

}  // namespace lockstep::core
