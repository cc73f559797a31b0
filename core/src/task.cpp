#include <lockstep/core/cpu.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/task.hpp>
#include <new>

#include "state.hpp"
#include "sched_internal.hpp"

namespace lockstep::core {
namespace {
struct Pool {
  std::span<Task> tasks;
  Task* free = nullptr;
  std::uint32_t free_count = 0;
  TaskId next_id = 1;
};
Spinlock<Pool> g_pool{"task-pool"};
hal::Atomic<std::uint64_t> g_finished{0};

void task_trampoline(void* arg) {
  Task& t = *static_cast<Task*>(arg);
  hal::irq_enable();
  t.entry(t.arg);
  (void)hal::irq_save_disable();
  detail::finish_current_task(t);
}

/// The least loaded online CPU (lowest id on ties), or kInvalidCpu.
hal::CpuId least_loaded_cpu() noexcept {
  hal::CpuId best = hal::kInvalidCpu;
  std::uint32_t best_len = ~0u;
  for (hal::CpuId c = 0; c < cpu_count(); ++c) {
    if (!cpu_is_online(c)) continue;
    const std::uint32_t len = cpu_record(c).run_queue.length();
    if (len < best_len) {
      best = c;
      best_len = len;
    }
  }
  return best;
}
}  // namespace

void for_each_blocked_task(void (*fn)(const BlockedTask&, void*), void* ctx) noexcept {
  // Quiescent: the pool lock is not taken (a CPU that stopped may hold it).
  for (const Task& t : g_pool.quiescent_value().tasks) {
    const auto s = static_cast<TaskState>(t.state.load(std::memory_order_acquire));
    if ((s != TaskState::kBlocked && s != TaskState::kBlocking) || t.blocked_on == nullptr) continue;
    fn(BlockedTask{t.id, t.last_cpu, t.blocked_on, t.blocked_at}, ctx);
  }
}

void task_pool_init(std::span<Task> tasks, std::span<std::byte> stacks, std::size_t stack_size) noexcept {
  auto pool = g_pool.lock_irq();
  pool->tasks = tasks;
  pool->free = nullptr;
  pool->free_count = 0;
  pool->next_id = 1;
  const std::size_t n = stack_size == 0 ? 0 : stacks.size() / stack_size;
  for (std::size_t i = tasks.size(); i-- > 0;) {
    Task& t = tasks[i];
    // A fresh atomic, not a store: no other CPU runs yet, and on the deterministic engine a
    // store is a scheduling point and a history for the race detector, for each of 1,024 tasks
    // (most of a short run's points were these).
    new (&t.state) hal::Atomic<std::uint8_t>(static_cast<std::uint8_t>(TaskState::kFree));
    if (i >= n) continue;  // No stack for it: not usable.
    t.stack = stacks.subspan(i * stack_size, stack_size);
    t.next = pool->free;
    pool->free = &t;
    ++pool->free_count;
  }
  g_finished.store(0, std::memory_order_relaxed);
}

void detail::free_task(Task& t) noexcept {
  t.state.store(static_cast<std::uint8_t>(TaskState::kFree), std::memory_order_relaxed);
  g_finished.fetch_add(1, std::memory_order_relaxed);
  auto pool = g_pool.lock_irq();
  t.next = pool->free;
  pool->free = &t;
  ++pool->free_count;
}

Task* spawn_task(TaskEntry entry, void* arg, std::uint8_t priority, hal::CpuId cpu) noexcept {
  Task* t = nullptr;
  {
    auto pool = g_pool.lock_irq();
    if (pool->free == nullptr) return nullptr;
    t = pool->free;
    pool->free = t->next;
    --pool->free_count;
    t->id = pool->next_id++;
  }
  t->entry = entry;
  t->arg = arg;
  t->priority = priority < kPriorityLevels ? priority : kPriorityLevels - 1;
  t->next = nullptr;
  t->queued_on = hal::kInvalidCpu;
  t->ticks_in_slice = 0;
  t->switches_in = 0;
  hal::context_init(t->context, t->stack, task_trampoline, t);
  t->state.store(static_cast<std::uint8_t>(TaskState::kRunnable), std::memory_order_release);
  const hal::CpuId first = cpu == hal::kInvalidCpu ? least_loaded_cpu() : cpu;
  t->last_cpu = first;
  if (first != hal::kInvalidCpu && detail::enqueue_anywhere(first, *t)) return t;
  detail::free_task(*t);
  return nullptr;
}

std::uint32_t tasks_free() noexcept { return g_pool.lock_irq()->free_count; }
std::uint64_t tasks_finished() noexcept { return g_finished.load(std::memory_order_acquire); }

}  // namespace lockstep::core
