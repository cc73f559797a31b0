#include <lockstep/core/percpu.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/trace.hpp>

#include "state.hpp"

namespace lockstep::core {
namespace {
// Registered locks form a list for the report. Registration happens at init or under the
// registry lock; the report reads the list when the machine is quiescent. Tracked: the race
// detector checks that every registration is ordered with the others and with the reads.
hal::Tracked<LockStats*> g_registered{nullptr};
RawSpinlock g_registry_lock{"lock-registry"};
/// Times a wait for the lock statistics and the trace. While the tracer records (the viewer shows
/// each wait) from the first poll; otherwise from the kUntimedSpins-th, so the short waits of a
/// lock handed back and forth read no clock: on hardware and the parallel engine a read costs
/// 10-40 ns, as much as the hand-off itself. Short waits still count as contended.
class WaitTimer {
 public:
  static constexpr std::uint32_t kUntimedSpins = 16;
  WaitTimer() noexcept : timed_(trace_enabled()), start_(timed_ ? hal::cycle_counter() : 0) {}
  void on_spin(std::uint32_t spins) noexcept {
    if (!timed_ && spins == kUntimedSpins) {
      timed_ = true;
      start_ = hal::cycle_counter();
    }
  }
  hal::Cycles waited() const noexcept { return timed_ ? hal::cycle_counter() - start_ : 0; }
  /// The lock was seen free: the wait is over unless another CPU takes it first. Read before
  /// the taking, so that no clock read lengthens the critical section the wait ends in.
  void seen_free() noexcept { waited_ = waited(); }
  hal::Cycles waited_until_seen_free() const noexcept { return waited_; }

 private:
  bool timed_;
  hal::Cycles start_;
  hal::Cycles waited_ = 0;
};

}  // namespace

void detail::reset_locks() noexcept { g_registered.write() = nullptr; }

void register_lock_stats(LockStats& stats) noexcept {
  IrqSpinlockGuard guard(g_registry_lock);
  LockStats*& head = g_registered.write();
  for (LockStats* s = head; s != nullptr; s = s->next_registered)
    if (s == &stats) return;
  stats.next_registered = head;
  head = &stats;
}

const LockStats* registered_locks() noexcept { return g_registered.read(); }

void detail::note_lock_contended(LockStats& stats, hal::Cycles waited) noexcept {
  ++stats.contended;
  stats.spin_cycles += waited;
  trace(TraceType::kLockAcquired, 0, waited > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(waited),
        reinterpret_cast<std::uintptr_t>(&stats));
}

void detail::recursive_acquire(const LockStats& stats) noexcept {
  TextBuffer text;
  text.format("recursive acquire of lock '{}'", stats.name);
  text.put('\0');
  panic(text.data(), __FILE__, __LINE__);  // panic() copies the text before it halts.
}

void RawSpinlock::lock_contended(hal::CpuId me, SourceSite at) noexcept {
  if (owner_.holder.load(std::memory_order_relaxed) == me) detail::recursive_acquire(owner_.stats);
  trace(TraceType::kLockContended, 0, 0, reinterpret_cast<std::uintptr_t>(&owner_.stats));
  WaitTimer timer;
  const std::uintptr_t outer_wait = detail::begin_lock_wait(&owner_);
  std::uint32_t spins = 0;
  do {
    while (owner_.holder.load(std::memory_order_relaxed) != hal::kInvalidCpu) {
      hal::relax();
      timer.on_spin(++spins);
      if (spins % detail::kWaitCheckPeriod == 0) detail::check_wait_cycle();
    }
    timer.seen_free();
  } while (!try_take(me));
  acquired(at);
  detail::end_wait(outer_wait);
  detail::note_lock_contended(owner_.stats, timer.waited_until_seen_free());
}

void TicketSpinlock::lock(SourceSite at) noexcept {
  preempt_disable();
  detail::lockdep_will_acquire(owner_, at);
  const hal::CpuId me = hal::current_cpu_id();
  const std::uint32_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
  if (serving_.load(std::memory_order_acquire) != ticket) {
    if (owner_.holder.load(std::memory_order_relaxed) == me) detail::recursive_acquire(owner_.stats);
    trace(TraceType::kLockContended, 0, 0, reinterpret_cast<std::uintptr_t>(&owner_.stats));
    WaitTimer timer;
    const std::uintptr_t outer_wait = detail::begin_lock_wait(&owner_);
    std::uint32_t spins = 0;
    while (serving_.load(std::memory_order_acquire) != ticket) {
      hal::relax();
      timer.on_spin(++spins);
      if (spins % detail::kWaitCheckPeriod == 0) detail::check_wait_cycle();
    }
    owner_.holder.store(me, std::memory_order_relaxed);
    ++owner_.stats.acquisitions;
    detail::lockdep_acquired(owner_, at);
    detail::end_wait(outer_wait);
    detail::note_lock_contended(owner_.stats, timer.waited());
    return;
  }
  owner_.holder.store(me, std::memory_order_relaxed);
  ++owner_.stats.acquisitions;
  detail::lockdep_acquired(owner_, at);
}

bool TicketSpinlock::try_lock(SourceSite at) noexcept {
  preempt_disable();
  std::uint32_t ticket = serving_.load(std::memory_order_acquire);
  if (next_.compare_exchange_strong(ticket, ticket + 1, std::memory_order_acquire, std::memory_order_relaxed)) {
    owner_.holder.store(hal::current_cpu_id(), std::memory_order_relaxed);
    ++owner_.stats.acquisitions;
    detail::lockdep_acquired(owner_, at);
    return true;
  }
  preempt_enable();
  return false;
}

// Preemption counts live in the per-CPU record and preemption happens only at interrupt exit
// with a zero count. Raising the count reads this CPU's record and then writes it: an interrupt
// between the two could preempt the task (the count is still zero) and resume it on another CPU,
// which would then raise the count of the CPU it left (seen on KVM: a later yield() there
// reported a spinlock held). So the raise runs with interrupts off. Lowering needs no guard: the
// count is non-zero throughout, so nothing can preempt in between.
bool preemptible() noexcept {
  void* base = hal::percpu_base();
  return base != nullptr && static_cast<PerCpu*>(base)->front.preempt_count == 0;
}

}  // namespace lockstep::core
