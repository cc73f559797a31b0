// The per-CPU scheduler. Each CPU's idle loop runs on the CPU's own boot flow; a task always
// switches back to its CPU's idle loop, which then decides what to do with it (requeue, park,
// free) once the task is completely off the CPU. That single rule makes migration safe: no task
// is ever queued while its context is still being saved.

#include <array>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/hal/hal.hpp>

#include "sched_internal.hpp"
#include "state.hpp"

namespace lockstep::core {
namespace {

hal::Atomic<std::uint64_t> g_balance_violations{0};

constexpr std::uint8_t as_u8(TaskState s) { return static_cast<std::uint8_t>(s); }
TaskState state_of(const Task& t) { return static_cast<TaskState>(t.state.load(std::memory_order_acquire)); }

/// From a task to its CPU's idle loop. Interrupts disabled. Returns when the task runs again,
/// possibly on another CPU.
void switch_to_idle(Task& t) noexcept {
  PerCpu& cpu = this_cpu();
  cpu.prev = &t;
  cpu.profile.depth = 0;  // Profiler regions do not span a context switch.
  hal::context_switch(t.context, cpu.idle_context);
}

/// From the idle loop to `t`. Interrupts disabled. Returns when `t` switched back.
void run_task(PerCpu& cpu, Task& t) noexcept {
  cpu.current = &t;
  cpu.idle_since.store(0, std::memory_order_relaxed);
  cpu.running_priority.store(t.priority, std::memory_order_relaxed);
  t.state.store(as_u8(TaskState::kRunning), std::memory_order_release);
  t.last_cpu = cpu.id;
  t.ticks_in_slice = 0;
  ++t.switches_in;
  ++cpu.counters.context_switches;
  cpu.need_resched = false;
  trace(TraceType::kTaskSwitch, 0, t.id, t.priority);
  cpu.profile.depth = 0;
  hal::context_switch(cpu.idle_context, t.context);
  // Back on this CPU's idle loop: the task is off the CPU now.
  cpu.current = nullptr;
  cpu.running_priority.store(kIdlePriority, std::memory_order_relaxed);
  Task* prev = cpu.prev;
  cpu.prev = nullptr;
  trace(TraceType::kTaskSwitch, 0, kIdleTask, 0);
  if (prev == nullptr) return;
  ProfileScope scope(kLabelSwitch);
  switch (state_of(*prev)) {
    case TaskState::kRunning:  // Yielded or preempted.
      prev->state.store(as_u8(TaskState::kRunnable), std::memory_order_release);
      if (!detail::enqueue_anywhere(cpu.id, *prev)) panic("a preempted task fits on no run queue", __FILE__, __LINE__);
      break;
    case TaskState::kBlocking: {
      std::uint8_t expected = as_u8(TaskState::kBlocking);
      if (!prev->state.compare_exchange_strong(expected, as_u8(TaskState::kBlocked), std::memory_order_acq_rel)) {
        // Woken while switching away (kWakePending): it runs again.
        prev->state.store(as_u8(TaskState::kRunnable), std::memory_order_release);
        if (!detail::enqueue_anywhere(cpu.id, *prev)) panic("a woken task fits on no run queue", __FILE__, __LINE__);
      }
      break;
    }
    case TaskState::kWakePending:  // Woken before we even looked: it runs again.
      prev->state.store(as_u8(TaskState::kRunnable), std::memory_order_release);
      if (!detail::enqueue_anywhere(cpu.id, *prev)) panic("a woken task fits on no run queue", __FILE__, __LINE__);
      break;
    case TaskState::kFinished:
      ++cpu.counters.tasks_finished;
      trace(TraceType::kTaskFinish, 0, prev->id);
      detail::free_task(*prev);
      break;
    default:
      panic("task in an impossible state after switching off its CPU", __FILE__, __LINE__);
  }
}

/// Runnable tasks of a CPU: its queue plus the one it runs.
std::uint32_t cpu_load(const PerCpu& cpu) noexcept {
  return cpu.run_queue.length() + (cpu.running_priority.load(std::memory_order_relaxed) != kIdlePriority ? 1 : 0);
}

/// A busy CPU with work to spare wakes idle CPUs so they steal it (they sleep without a tick).
/// It looks at its neighbours only (its group and the next ones, kKickScanCpus in all) and
/// names itself as the place to steal from; rebalance_all() finds idle CPUs farther away.
void kick_idle_cpus(PerCpu& self) noexcept {
  // Called from a running task's tick, or from the idle loop right before it runs one task.
  // Either way one task stays here; the rest is spare.
  constexpr hal::CpuId kKickScanCpus = 2 * kBalanceGroupCpus;
  const std::uint32_t load = cpu_load(self);
  std::uint32_t spare = load > 0 ? load - 1 : 0;
  if (spare == 0) return;
  const hal::CpuId n = cpu_count();
  const hal::CpuId scan = n - 1 < kKickScanCpus ? n - 1 : kKickScanCpus;
  RescheduleBatch batch;
  for (hal::CpuId k = 1; k <= scan && spare > 0; ++k) {
    const hal::CpuId c = (self.id + k) % n;
    PerCpu& idle = cpu_record(c);
    if (cpu_is_online(c) && idle.idle_since.load(std::memory_order_relaxed) != 0) {
      if (n > kBalanceGroupCpus) idle.balance_hint.store(self.id, std::memory_order_relaxed);
      request_reschedule(c);
      --spare;
    }
  }
}

Task* pick_next(PerCpu& cpu) noexcept {
  ProfileScope scope(kLabelPick);
  if (Task* t = dequeue_task(cpu.id)) return t;
  // A hint only matters beyond one group (and costs a scheduling point to read).
  const hal::CpuId hint = cpu_count() > kBalanceGroupCpus
                              ? cpu.balance_hint.exchange(hal::kInvalidCpu, std::memory_order_relaxed)
                              : hal::kInvalidCpu;
  if (load_balance(cpu.id, hint) != 0) return dequeue_task(cpu.id);
  return nullptr;
}

void idle_loop(bool (*done)(void*), void* arg) noexcept {
  for (;;) {
    PerCpu& cpu = this_cpu();
    if (done != nullptr && done(arg)) return;
    if (cpu.stop != StopRequest::kNone) {
      detail::go_offline(cpu);
      continue;
    }
    if (Task* t = pick_next(cpu)) {
      run_task(cpu, *t);
      continue;
    }
    if (cpu.idle_since.load(std::memory_order_relaxed) == 0)
      cpu.idle_since.store(hal::cycle_counter() | 1, std::memory_order_relaxed);
    // Tickless idle: an idle CPU needs no tick (busy CPUs kick it when they have work to
    // spare), and a ticking idle CPU would only burn time on emulated machines.
    const bool ticking = boot_config().tick_period != 0;
    if (ticking) hal::timer_stop();
    // Interrupts are off: a wake-up that arrives after the checks above stays pending, so the
    // wait returns at once instead of missing it.
    hal::wait_for_interrupt();
    if (ticking) hal::timer_set_periodic(boot_config().tick_period);
    hal::irq_enable();
    (void)hal::irq_save_disable();
  }
}

}  // namespace

namespace {
std::uint32_t g_run_epoch = 0;
}  // namespace

void detail::reset_sched() noexcept {
  g_balance_violations.store(0, std::memory_order_relaxed);
  ++g_run_epoch;
}

std::uint32_t detail::run_epoch() noexcept { return g_run_epoch; }

EnqueueResult enqueue_task(hal::CpuId cpu, Task& t) noexcept {
  if (cpu >= cpu_count()) return EnqueueResult::kOffline;
  PerCpu& target = cpu_record(cpu);
  EnqueueResult r;
  std::uint32_t length = 0;
  {
    IrqSpinlockGuard guard(target.run_queue.lock());
    if (target.cpu_state() != CpuState::kOnline) return EnqueueResult::kOffline;
    r = target.run_queue.push(t, cpu);
    length = target.run_queue.length();
  }
  if (r != EnqueueResult::kOk) return r;
  trace(TraceType::kTaskEnqueue, 0, t.id, cpu);
  trace(TraceType::kRunQueueLength, 0, length, cpu);
  if (cpu != hal::current_cpu_id()) {
    const std::uint8_t running = target.running_priority.load(std::memory_order_relaxed);
    if (running == kIdlePriority || running < t.priority) request_reschedule(cpu);
  }
  return r;
}

Task* dequeue_task(hal::CpuId cpu) noexcept {
  PerCpu& target = cpu_record(cpu);
  if (target.run_queue.length() == 0) return nullptr;
  IrqSpinlockGuard guard(target.run_queue.lock());
  return target.run_queue.pop();
}

bool detail::enqueue_anywhere(hal::CpuId preferred, Task& t) noexcept {
  const hal::CpuId n = cpu_count();
  for (hal::CpuId k = 0; k < n; ++k) {
    const hal::CpuId c = (preferred + k) % n;
    if (enqueue_task(c, t) == EnqueueResult::kOk) return true;
  }
  return false;
}

namespace {

/// choose_victim's rule, fed one CPU at a time (so load_balance, which runs from the timer
/// interrupt on a task's stack, needs no per-CPU arrays).
class VictimSearch {
 public:
  void consider(hal::CpuId cpu, std::uint32_t load) noexcept {
    if (load <= best_) return;
    best_ = load;
    victim_ = cpu;
  }
  StealPlan plan(std::uint32_t mine) const noexcept {
    if (victim_ == hal::kInvalidCpu || best_ < 2 || best_ < mine + 2) return StealPlan{};
    return StealPlan{victim_, (best_ - mine) / 2};
  }

 private:
  hal::CpuId victim_ = hal::kInvalidCpu;
  std::uint32_t best_ = 0;
};

}  // namespace

StealPlan choose_victim(std::span<const std::uint32_t> loads, std::span<const bool> eligible,
                        hal::CpuId self) noexcept {
  if (self >= loads.size()) return StealPlan{};
  VictimSearch search;
  for (hal::CpuId c = 0; c < loads.size(); ++c)
    if (c != self && c < eligible.size() && eligible[c]) search.consider(c, loads[c]);
  return search.plan(loads[self]);
}

namespace {

/// Moves up to `planned` tasks from `victim`'s queue to `self`'s, both locked; re-checks the
/// estimate first (it may be stale) and moves nothing if `self` went offline.
std::uint32_t steal_locked(PerCpu& self, PerCpu& victim, std::uint32_t planned) noexcept
    LOCKSTEP_REQUIRES(self.run_queue.lock(), victim.run_queue.lock()) {
  if (self.cpu_state() != CpuState::kOnline) return 0;
  const std::uint32_t room = kRunQueueCapacity - self.run_queue.length();
  std::uint32_t want = planned < room ? planned : room;
  const std::uint32_t vl = cpu_load(victim), sl = cpu_load(self);
  if (vl < sl + 2) return 0;
  if (want > (vl - sl) / 2) want = (vl - sl) / 2;
  Task* moved[kRunQueueCapacity];
  const std::uint32_t count = victim.run_queue.take(moved, want);
  for (std::uint32_t i = 0; i < count; ++i) (void)self.run_queue.push(*moved[i], self.id);
  return count;
}

}  // namespace

std::uint32_t balance_candidates(hal::CpuId self, hal::CpuId n, hal::CpuId hint, hal::CpuId cursor,
                                 std::span<hal::CpuId, kBalanceMaxCandidates> out) noexcept {
  std::uint32_t count = 0;
  const hal::CpuId group = self / kBalanceGroupCpus;
  const bool hint_outside = hint < n && hint / kBalanceGroupCpus != group;
  if (hint_outside) out[count++] = hint;
  for (hal::CpuId c = group * kBalanceGroupCpus; c < n && c < (group + 1) * kBalanceGroupCpus; ++c) out[count++] = c;
  if (n <= kBalanceGroupCpus) return count;
  for (hal::CpuId k = 0; k < kBalanceSampleCpus; ++k) {
    const hal::CpuId c = (cursor + k) % n;
    if (c / kBalanceGroupCpus != group && !(hint_outside && c == hint)) out[count++] = c;
  }
  return count;
}

std::uint32_t load_balance(hal::CpuId cpu, hal::CpuId hint) noexcept {
  const hal::CpuId n = cpu_count();
  if (n < 2 || cpu >= n) return 0;
  ProfileScope scope(kLabelSteal);
  PerCpu& record = cpu_record(cpu);
  hal::CpuId candidates[kBalanceMaxCandidates];
  // A machine of one group has no window (and spends no scheduling point on its cursor).
  const hal::CpuId cursor =
      n > kBalanceGroupCpus ? record.balance_cursor.fetch_add(kBalanceSampleCpus, std::memory_order_relaxed) % n : 0;
  const std::uint32_t candidate_count = balance_candidates(cpu, n, hint, cursor, candidates);
  VictimSearch search;
  std::uint32_t mine = 0;
  for (std::uint32_t i = 0; i < candidate_count; ++i) {
    const hal::CpuId c = candidates[i];
    const std::uint32_t load = cpu_load(cpu_record(c));
    const bool online = cpu_is_online(c);
    if (c == cpu) {
      mine = load;
    } else if (online) {
      search.consider(c, load);
    }
  }
  const StealPlan plan = search.plan(mine);
  if (plan.victim == hal::kInvalidCpu) return 0;
  PerCpu& self = record;
  PerCpu& victim = cpu_record(plan.victim);
  std::uint32_t count = 0;
  // Two run queues are always locked in CPU-id order.
  if (cpu < plan.victim) {
    IrqSpinlockGuard g1(self.run_queue.lock());
    IrqSpinlockGuard g2(victim.run_queue.lock());
    count = steal_locked(self, victim, plan.count);
  } else {
    IrqSpinlockGuard g1(victim.run_queue.lock());
    IrqSpinlockGuard g2(self.run_queue.lock());
    count = steal_locked(self, victim, plan.count);
  }
  if (count != 0) {
    PerCpu& me = this_cpu();
    ++me.counters.steals;
    me.counters.stolen_tasks += count;
    trace(TraceType::kTaskSteal, 0, count, plan.victim);
    // A thief with work to spare passes it on at once: spreading then takes log2(CPUs) steals
    // instead of waiting a tick per round.
    if (&me == &self) kick_idle_cpus(self);
  }
  return count;
}

void rebalance_all() noexcept {
  // The busiest CPUs (a few are enough to point every idle CPU somewhere useful), then each idle
  // CPU balanced against the one with the most left to spare.
  constexpr std::uint32_t kBusyKept = 16;
  struct Busy {
    hal::CpuId cpu;
    std::uint32_t load;
  } busy[kBusyKept];
  std::uint32_t busy_count = 0;
  const hal::CpuId n = cpu_count();
  for (hal::CpuId c = 0; c < n; ++c) {
    const std::uint32_t load = cpu_is_online(c) ? cpu_load(cpu_record(c)) : 0;
    if (load < 2) continue;
    std::uint32_t slot = busy_count < kBusyKept ? busy_count++ : kBusyKept;
    if (slot == kBusyKept) {  // Full: replace the least busy if this one is busier.
      slot = 0;
      for (std::uint32_t i = 1; i < kBusyKept; ++i)
        if (busy[i].load < busy[slot].load) slot = i;
      if (busy[slot].load >= load) continue;
    }
    busy[slot] = {c, load};
  }
  if (busy_count == 0) return;
  const BootConfig& config = boot_config();
  const hal::Cycles period = config.tick_period * config.balance_ticks;
  const hal::Cycles now = hal::cycle_counter();
  RescheduleBatch batch;
  for (hal::CpuId c = 0; c < n; ++c) {
    PerCpu& cpu = cpu_record(c);
    if (!cpu_is_online(c) || cpu.run_queue.length() != 0) continue;
    const hal::Cycles since = cpu.idle_since.load(std::memory_order_relaxed);
    if (since == 0) continue;
    // The bound is two balancing periods: one for the idle CPU to notice, one for us to run.
    if (period != 0 && now > since && now - since > 2 * period) g_balance_violations.fetch_add(1, std::memory_order_relaxed);
    std::uint32_t most = 0;
    for (std::uint32_t i = 1; i < busy_count; ++i)
      if (busy[i].load > busy[most].load) most = i;
    const std::uint32_t moved = load_balance(c, busy[most].cpu);
    if (moved != 0) request_reschedule(c);
    // What it has left (nothing, if it had nothing for us: then nobody else is pointed at it).
    busy[most].load = moved != 0 && busy[most].load > moved ? busy[most].load - moved : 0;
  }
}

std::uint64_t balance_violations() noexcept { return g_balance_violations.load(std::memory_order_relaxed); }

Task* current_task() noexcept { return this_cpu().current; }

void yield() noexcept {
  const hal::IrqState saved = hal::irq_save_disable();
  Task* t = this_cpu().current;
  LOCKSTEP_ASSERT(t != nullptr, "yield() outside a task");
  (void)detail::lockdep_check_block("yield()");
  LOCKSTEP_ASSERT(this_cpu().front.preempt_count == 0, "yield() with a spinlock held");
  switch_to_idle(*t);
  hal::irq_restore(saved);
}

void detail::finish_current_task(Task& t) noexcept {
  if (this_cpu().front.preempt_count != 0) {
    TextBuffer text;
    text.format("task {} finished with a spinlock held", t.id);
    detail::lockdep_put_held(text, hal::current_cpu_id());  // ", holding 'X' (since cycle N)"
    text.put('\0');
    panic(text.data(), __FILE__, __LINE__);
  }
  t.state.store(as_u8(TaskState::kFinished), std::memory_order_release);
  switch_to_idle(t);
  panic("a finished task was resumed", __FILE__, __LINE__);
}

void Event::wait() noexcept {
  if (signaled()) return;
  (void)detail::lockdep_check_block("Event::wait()");
  const hal::IrqState saved = hal::irq_save_disable();
  Task* t = this_cpu().current;
  LOCKSTEP_ASSERT(t != nullptr, "Event::wait() outside a task");
  bool block = false;
  {
    auto waiters = waiters_.lock();
    if (!signaled()) {
      t->state.store(as_u8(TaskState::kBlocking), std::memory_order_release);
      t->blocked_on = this;
      t->blocked_at = hal::cycle_counter();
      t->next = *waiters;
      *waiters = t;
      block = true;
    }
  }
  if (block) {
    LOCKSTEP_ASSERT(this_cpu().front.preempt_count == 0, "Event::wait() with a spinlock held");
    trace(TraceType::kTaskBlock, 0, t->id);
    switch_to_idle(*t);
  }
  hal::irq_restore(saved);
}

void Event::reset() noexcept {
  signaled_.store(0, std::memory_order_relaxed);
  const bool running = hal::percpu_base() != nullptr;
  const hal::Cycles now = running ? hal::cycle_counter() : 0;
  // From here on no HAL call: a signal cannot slip between reading the history and clearing it.
  // A signal of an earlier run was on another machine's clocks: only this run's counts.
  const bool drops = running && signals_ != 0 && signal_run_ == detail::run_epoch();
  dropped_at_ = drops ? now : 0;
  dropped_by_ = drops ? this_cpu().id : hal::kInvalidCpu;
  dropped_signal_ = drops ? last_signal_ : 0;
  dropped_signal_cpu_ = drops ? last_signal_cpu_ : hal::kInvalidCpu;
  last_signal_ = 0;
  last_signal_cpu_ = hal::kInvalidCpu;
  signals_ = 0;
}

void Event::signal() noexcept {
  signaled_.store(1, std::memory_order_release);
  Task* list = nullptr;
  {
    auto waiters = waiters_.lock_irq();
    list = *waiters;
    *waiters = nullptr;
    last_signal_ = hal::cycle_counter();
    last_signal_cpu_ = hal::current_cpu_id();
    signal_run_ = detail::run_epoch();
    ++signals_;
  }
  while (list != nullptr) {
    Task* next = list->next;
    list->blocked_on = nullptr;
    wake_task(*list);
    list = next;
  }
}

void Completion::done() noexcept {
  if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1 && waiter_ != hal::current_cpu_id())
    (void)send_ipi(waiter_, IpiKind::kReschedule);
}

void wake_task(Task& t) noexcept {
  for (;;) {
    std::uint8_t s = t.state.load(std::memory_order_acquire);
    if (s == as_u8(TaskState::kBlocking)) {
      if (t.state.compare_exchange_strong(s, as_u8(TaskState::kWakePending), std::memory_order_acq_rel)) return;
    } else if (s == as_u8(TaskState::kBlocked)) {
      if (t.state.compare_exchange_strong(s, as_u8(TaskState::kRunnable), std::memory_order_acq_rel)) {
        const hal::CpuId target = cpu_is_online(t.last_cpu) ? t.last_cpu : hal::current_cpu_id();
        trace(TraceType::kTaskWake, 0, t.id, target);
        if (!detail::enqueue_anywhere(target, t)) panic("a woken task fits on no run queue", __FILE__, __LINE__);
        return;
      }
    } else {
      return;  // Already awake.
    }
  }
}

void run_scheduler_until(bool (*done)(void*), void* arg) noexcept {
  const hal::IrqState saved = hal::irq_save_disable();
  idle_loop(done, arg);
  this_cpu().idle_since.store(0, std::memory_order_relaxed);
  hal::irq_restore(saved);
}

void run_scheduler() noexcept {
  (void)hal::irq_save_disable();
  idle_loop(nullptr, nullptr);
  panic("the scheduler loop returned", __FILE__, __LINE__);
}

void scheduler_tick() noexcept {
  PerCpu& cpu = this_cpu();
  profile_sample_tick();
  if (Task* t = cpu.current; t != nullptr && ++t->ticks_in_slice >= boot_config().slice_ticks) cpu.need_resched = true;
  kick_idle_cpus(cpu);
  if (cpu.id == 0 && boot_config().balance_ticks != 0 && ++cpu.ticks_since_balance >= boot_config().balance_ticks) {
    cpu.ticks_since_balance = 0;
    rebalance_all();
  }
}

void preempt_on_irq_exit() noexcept {
  PerCpu& cpu = this_cpu();
  if (!cpu.need_resched || cpu.current == nullptr || cpu.front.preempt_count != 0) return;
  cpu.need_resched = false;
  switch_to_idle(*cpu.current);
}

}  // namespace lockstep::core
