#pragma once
// Tasks: the units the scheduler runs. Each has its own kernel stack and HAL context.

#include <cstddef>
#include <cstdint>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/context.hpp>
#include <span>

namespace lockstep::core {

using TaskId = std::uint32_t;
using TaskEntry = void (*)(void* arg);

inline constexpr std::uint8_t kPriorityLevels = 4;  ///< 0 = lowest, kPriorityLevels - 1 = highest.

enum class TaskState : std::uint8_t {
  kFree,         ///< In the pool.
  kRunnable,     ///< On a run queue.
  kRunning,      ///< On a CPU.
  kBlocking,     ///< Decided to block, still switching away from its CPU.
  kBlocked,      ///< Off every CPU and queue, waiting for wake_task().
  kWakePending,  ///< Woken while still kBlocking: the scheduler requeues it once it is off the CPU.
  kFinished,     ///< Entry returned; its slot returns to the pool once it is off the CPU.
};

struct Task {
  TaskId id = 0;
  std::uint8_t priority = 0;
  TaskEntry entry = nullptr;
  void* arg = nullptr;
  hal::Context context;
  std::span<std::byte> stack;
  hal::Atomic<std::uint8_t> state{static_cast<std::uint8_t>(TaskState::kFree)};
  hal::CpuId last_cpu = 0;
  hal::CpuId queued_on = ~hal::CpuId{0};  ///< Invariant check: a task sits on at most one queue.
  std::uint32_t ticks_in_slice = 0;
  std::uint32_t switches_in = 0;
  hal::IrqState saved_irq = 0;            ///< Interrupt state across a voluntary switch.
  Task* next = nullptr;                   ///< Pool free list and wait lists.
  const class Event* blocked_on = nullptr;  ///< While blocked in Event::wait (reports).
  hal::Cycles blocked_at = 0;
};

/// Fixed pool of tasks over caller-provided storage (no general heap).
/// `tasks[i]` runs on the i-th `stack_size` slice of `stacks`.
void task_pool_init(std::span<Task> tasks, std::span<std::byte> stacks, std::size_t stack_size) noexcept;

/// Creates a task and queues it on `cpu` (or the least loaded online CPU if `cpu` is
/// kInvalidCpu). Returns nullptr if the pool is exhausted or every queue is full: the caller
/// decides, nothing is lost silently. Any context that may take IRQ-safe locks.
Task* spawn_task(TaskEntry entry, void* arg, std::uint8_t priority, hal::CpuId cpu) noexcept;

/// Tasks still in the pool's free list.
std::uint32_t tasks_free() noexcept;
/// Tasks that finished since init.
std::uint64_t tasks_finished() noexcept;

}  // namespace lockstep::core
