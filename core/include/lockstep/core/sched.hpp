#pragma once
// The per-CPU scheduler: run queues, task switching, blocking and waking, preemption at the
// timer tick, and load balancing by work stealing.

#include <cstdint>
#include <lockstep/core/run_queue.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/task.hpp>
#include <span>

namespace lockstep::core {

/// Queues `t` on `cpu` and asks that CPU to reschedule if it is idle or runs lower-priority
/// work. kFull if the queue is full (the task is not queued). Any context.
EnqueueResult enqueue_task(hal::CpuId cpu, Task& t) noexcept;

/// Removes the next task from `cpu`'s queue, or nullptr. Any context.
Task* dequeue_task(hal::CpuId cpu) noexcept;

/// The pure part of load balancing: which CPU to steal from and how many tasks.
struct StealPlan {
  hal::CpuId victim = hal::kInvalidCpu;
  std::uint32_t count = 0;
};

/// From queue lengths `loads` (index = CPU; offline CPUs have `eligible` false), the busiest
/// eligible CPU (lowest id on ties) and half the difference to `self` (at least 1) if the victim
/// has two or more tasks more than `self`. Deterministic, no side effects.
StealPlan choose_victim(std::span<const std::uint32_t> loads, std::span<const bool> eligible, hal::CpuId self) noexcept;

/// Scheduling domains, small: a balance looks at the CPU that asked for help (the hint), the
/// CPU's group of kBalanceGroupCpus (as Linux balances within a cache domain first) and a window
/// of kBalanceSampleCpus elsewhere that moves on at every balance, so its cost is the same at any
/// machine size. rebalance_all() is the machine-wide pass, once per balancing period.
inline constexpr hal::CpuId kBalanceGroupCpus = 8;
inline constexpr hal::CpuId kBalanceSampleCpus = 8;
inline constexpr std::uint32_t kBalanceMaxCandidates = 1 + kBalanceGroupCpus + kBalanceSampleCpus;

/// The CPUs a balance of `self` on `n` CPUs reads, in order: `hint` (if it is outside the group),
/// `self`'s group (`self` included: its own load is read in its place), then the window of
/// kBalanceSampleCpus from `cursor` without the group and the hint. Never one twice. Pure;
/// returns how many it wrote to `out`.
std::uint32_t balance_candidates(hal::CpuId self, hal::CpuId n, hal::CpuId hint, hal::CpuId cursor,
                                 std::span<hal::CpuId, kBalanceMaxCandidates> out) noexcept;

/// Pulls tasks from the busiest of balance_candidates() into `cpu`'s queue (both queues locked
/// in CPU-id order). Returns the number moved. Any context that may take IRQ-safe locks.
std::uint32_t load_balance(hal::CpuId cpu, hal::CpuId hint = hal::kInvalidCpu) noexcept;

/// Balances every idle online CPU against the busiest ones (each idle CPU is pointed at the
/// busy CPU with the most to spare). O(CPUs). Called periodically by the boot CPU.
void rebalance_all() noexcept;

/// The running task on this CPU, or nullptr in the idle loop or an interrupt of it.
Task* current_task() noexcept;

/// Gives up the CPU; the task stays runnable. Task context, no spinlock held.
void yield() noexcept;

/// A one-shot event tasks wait for. wait() blocks the task until signal(); signal() wakes all.
class Event {
 public:
  /// `name` appears in deadlock and hang reports (for_each_blocked_task()).
  constexpr explicit Event(const char* name = "event") noexcept : name_(name) {}

  /// Blocks the calling task until signalled (returns at once if already). Task context.
  void wait() noexcept;
  /// Signals and wakes every waiter. Any context.
  void signal() noexcept;
  /// Unsignalled again, its history forgotten. No task may wait on it. A reset that drops a
  /// signal of the same run is remembered for the reports (dropped_signal()).
  void reset() noexcept;
  bool signaled() const noexcept { return signaled_.load(std::memory_order_acquire) != 0; }

  const char* name() const noexcept { return name_; }
  /// The last signal: when (that CPU's clock, 0: never since reset), from which CPU, how many.
  /// Read on a quiescent machine.
  hal::Cycles last_signal() const noexcept { return last_signal_; }
  hal::CpuId last_signal_cpu() const noexcept { return last_signal_cpu_; }
  std::uint64_t signals() const noexcept { return signals_; }
  /// The last reset that threw away a signal of this run: when and by which CPU, and that
  /// signal's time and CPU (0 / kInvalidCpu: none).
  hal::Cycles dropped_at() const noexcept { return dropped_at_; }
  hal::CpuId dropped_by() const noexcept { return dropped_by_; }
  hal::Cycles dropped_signal() const noexcept { return dropped_signal_; }
  hal::CpuId dropped_signal_cpu() const noexcept { return dropped_signal_cpu_; }

 private:
  const char* name_;
  hal::Atomic<std::uint32_t> signaled_{0};
  Spinlock<Task*> waiters_{"event-waiters", nullptr};
  // Written under waiters_, for the reports only.
  hal::Cycles last_signal_ = 0;
  hal::CpuId last_signal_cpu_ = hal::kInvalidCpu;
  std::uint64_t signals_ = 0;
  std::uint32_t signal_run_ = 0;  // detail::run_epoch() of the last signal.
  hal::Cycles dropped_at_ = 0;
  hal::CpuId dropped_by_ = hal::kInvalidCpu;
  hal::Cycles dropped_signal_ = 0;
  hal::CpuId dropped_signal_cpu_ = hal::kInvalidCpu;
};

/// A task that waits: on which Event, since when. Read on a quiescent machine.
struct BlockedTask {
  TaskId id = 0;
  hal::CpuId cpu = 0;  ///< The CPU it blocked on.
  const Event* event = nullptr;
  hal::Cycles since = 0;  ///< That CPU's clock when it blocked.
};

/// Calls `fn(task, ctx)` for every blocked task, in pool order. Quiescent machine only (a
/// report at the end of a run).
void for_each_blocked_task(void (*fn)(const BlockedTask&, void*), void* ctx) noexcept;

/// Counts down outstanding work and wakes the CPU that waits for it (with a Reschedule IPI), so
/// a waiting CPU can sleep in wait_for_interrupt instead of polling.
class Completion {
 public:
  /// Expects `count` done() calls; `waiter` is the CPU that waits (run_scheduler_until).
  void reset(std::uint32_t count, hal::CpuId waiter) noexcept {
    waiter_ = waiter;
    remaining_.store(count, std::memory_order_release);
  }
  /// One piece finished. Any context.
  void done() noexcept;
  bool complete() const noexcept { return remaining_.load(std::memory_order_acquire) == 0; }
  std::uint32_t remaining() const noexcept { return remaining_.load(std::memory_order_acquire); }

 private:
  hal::Atomic<std::uint32_t> remaining_{0};
  hal::CpuId waiter_ = 0;
};

/// Makes a blocked task runnable again (on the CPU it last ran on, if online). Any context.
void wake_task(Task& t) noexcept;

/// Runs the scheduler on this CPU until `done(arg)` is true (checked between tasks and after
/// every interrupt). The boot CPU uses it to take part in a workload. Thread context.
void run_scheduler_until(bool (*done)(void*), void* arg) noexcept;

/// The scheduler's loop for a secondary CPU; leaves only by going offline. Never returns.
[[noreturn]] void run_scheduler() noexcept;

/// Timer tick: time slices, profiler sampling, periodic balancing. Interrupt context.
void scheduler_tick() noexcept;

/// At interrupt exit: switches away from a task whose slice ended or that a Reschedule asked
/// to preempt, if preemption is allowed. Interrupt context.
void preempt_on_irq_exit() noexcept;

/// How many times the balance invariant was violated: an online CPU idle for longer than one
/// balancing period while another held two or more runnable tasks.
std::uint64_t balance_violations() noexcept;

}  // namespace lockstep::core
