#pragma once
// Spinlocks. Two kinds, one interface (lock / try_lock / unlock, usable with std::scoped_lock
// on the host):
//  - RawSpinlock: test-and-test-and-set. Cheapest uncontended and highest throughput under
//    contention; not fair.
//  - TicketSpinlock: FIFO ticket lock. Fair: waiters acquire in arrival order, so no CPU
//    starves. We chose a ticket lock over MCS because our critical sections are short and our
//    CPU counts moderate: the ticket lock is two words, needs no per-waiter node, and has a
//    fast uncontended path; MCS wins only with many CPUs spinning on one line.
// Every spin calls hal::relax(). Every lock records its holder CPU for assertions; acquiring a
// lock this CPU already holds is reported (panic naming the lock), never a silent deadlock.
// A waiter records what it waits for in its per-CPU record and, every kWaitCheckPeriod spins,
// follows the chain of waits: one that leads back to itself is a deadlock, reported at once
// with the cycle (detail::check_wait_cycle). Holding a lock disables preemption.

#include <cstdint>
#include <lockstep/core/irq_guard.hpp>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/preempt.hpp>
#include <lockstep/core/thread_annotations.hpp>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/cpu.hpp>

namespace lockstep::core {

/// Contention statistics of one lock, updated by the holder only (so without atomics).
struct LockStats {
  const char* name = "lock";
  std::uint64_t acquisitions = 0;
  std::uint64_t contended = 0;
  hal::Cycles spin_cycles = 0;
  LockStats* next_registered = nullptr;
};

/// Makes a lock's statistics part of the profiler report. Any context; idempotent.
void register_lock_stats(LockStats& stats) noexcept;
/// The registered locks, most recent first (quiescent machine only).
const LockStats* registered_locks() noexcept;

namespace detail {
/// Who holds a lock, and its name: what the wait-for check follows and reports.
struct LockOwner {
  hal::Atomic<hal::CpuId> holder{hal::kInvalidCpu};
  LockStats stats;
  /// The validator's class of this lock, cached (lockdep.cpp); written only while it is on.
  mutable std::uint32_t lockdep_key = 0;
};

/// Spins between two looks at the chain of waits.
inline constexpr std::uint32_t kWaitCheckPeriod = 32;

/// This CPU starts waiting for `lock`. Returns the wait it interrupts (an interrupt handler can
/// contend while the interrupted code waits), which end_wait() restores. Any context.
std::uintptr_t begin_lock_wait(const LockOwner* lock) noexcept;
/// The target of a wait for calls on every other CPU (call_on_others): never a cycle's link.
inline constexpr hal::CpuId kCallsToOthers = hal::kMaxCpus;
/// This CPU starts waiting for its cross-CPU call on `target`. As begin_lock_wait.
std::uintptr_t begin_call_wait(hal::CpuId target) noexcept;
/// This CPU stops waiting for a while (see WaitPause). As begin_lock_wait.
std::uintptr_t pause_wait() noexcept;
/// The wait begun last is over; `outer` is what its begin returned.
void end_wait(std::uintptr_t outer) noexcept;
/// While one lives, this CPU runs (an interrupt handler, the calls it serves) instead of
/// waiting: the wait it interrupts is hidden from the check and comes back at the end. Without
/// it a CPU holding a lock in such code would look blocked by the wait it paused.
class WaitPause {
 public:
  WaitPause() noexcept : outer_(pause_wait()) {}
  ~WaitPause() { end_wait(outer_); }
  WaitPause(const WaitPause&) = delete;
  WaitPause& operator=(const WaitPause&) = delete;

 private:
  std::uintptr_t outer_;
};
/// Follows the chain of waits from this CPU; a chain that comes back is a deadlock: panics with
/// the cycle once it has been seen twice in a row unchanged. Called by waiting CPUs only.
void check_wait_cycle() noexcept;

/// Tracer and profiler hook for a contended acquisition.
void note_lock_contended(LockStats& stats, hal::Cycles waited) noexcept;
[[noreturn]] void recursive_acquire(const LockStats& stats) noexcept;
}  // namespace detail

class LOCKSTEP_CAPABILITY("spinlock") RawSpinlock {
 public:
  constexpr explicit RawSpinlock(const char* name = "spinlock") noexcept { owner_.stats.name = name; }
  RawSpinlock(const RawSpinlock&) = delete;
  RawSpinlock& operator=(const RawSpinlock&) = delete;

  /// Spins until acquired. Any context; with interrupts enabled only if no interrupt handler
  /// takes this lock. Acquire ordering. Always inlined: the fast path is a few instructions and a
  /// call with its register saves would cost as much again (the contended path is out of line).
  [[gnu::always_inline]] void lock(SourceSite at = SourceSite::here()) noexcept LOCKSTEP_ACQUIRE() {
    preempt_disable();
    detail::lockdep_will_acquire(owner_, at);
    const hal::CpuId me = hal::current_cpu_id();
    if (!try_take(me)) [[unlikely]] {
      lock_contended(me, at);
      return;
    }
    acquired(at);
  }

  /// Acquires if free. Never spins. Acquire ordering on success.
  bool try_lock(SourceSite at = SourceSite::here()) noexcept LOCKSTEP_TRY_ACQUIRE(true) {
    preempt_disable();
    if (owner_.holder.load(std::memory_order_relaxed) == hal::kInvalidCpu && try_take(hal::current_cpu_id())) {
      acquired(at);
      return true;
    }
    preempt_enable();
    return false;
  }

  /// Releases. Holder only. Release ordering.
  void unlock() noexcept LOCKSTEP_RELEASE() {
    detail::lockdep_released(owner_);
    owner_.holder.store(hal::kInvalidCpu, std::memory_order_release);
    preempt_enable();
  }

  bool is_held_by_current_cpu() const noexcept {
    return owner_.holder.load(std::memory_order_relaxed) == hal::current_cpu_id();
  }
  LockStats& stats() noexcept { return owner_.stats; }

 private:
  // The holder's id is the lock word: taking the lock and naming its holder are one atomic
  // step, so no interrupt can find it taken by nobody (the wait-for check would not see a
  // handler spinning on a lock its own CPU holds).
  bool try_take(hal::CpuId me) noexcept {
    hal::CpuId free = hal::kInvalidCpu;
    return owner_.holder.compare_exchange_strong(free, me, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void acquired(SourceSite at) noexcept {
    ++owner_.stats.acquisitions;
    detail::lockdep_acquired(owner_, at);
  }
  void lock_contended(hal::CpuId me, SourceSite at) noexcept;

  detail::LockOwner owner_;
};

class alignas(64) LOCKSTEP_CAPABILITY("spinlock") TicketSpinlock {
 public:
  constexpr explicit TicketSpinlock(const char* name = "ticket-lock") noexcept { owner_.stats.name = name; }
  TicketSpinlock(const TicketSpinlock&) = delete;
  TicketSpinlock& operator=(const TicketSpinlock&) = delete;

  /// Spins until this CPU's ticket is served. FIFO among waiters. Acquire ordering.
  void lock(SourceSite at = SourceSite::here()) noexcept LOCKSTEP_ACQUIRE();
  /// Acquires only if nobody holds or waits. Acquire ordering on success.
  bool try_lock(SourceSite at = SourceSite::here()) noexcept LOCKSTEP_TRY_ACQUIRE(true);
  /// Releases. Holder only. Release ordering.
  void unlock() noexcept LOCKSTEP_RELEASE() {
    detail::lockdep_released(owner_);
    owner_.holder.store(hal::kInvalidCpu, std::memory_order_relaxed);
    serving_.store(serving_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    preempt_enable();
  }

  bool is_held_by_current_cpu() const noexcept {
    return owner_.holder.load(std::memory_order_relaxed) == hal::current_cpu_id();
  }
  LockStats& stats() noexcept { return owner_.stats; }

 private:
  // One line for all: with two CPUs taking turns every acquisition moves the lock's lines to the
  // other CPU, and serving_ on a line of its own made that two lines instead of one (bench_core:
  // 0.52-0.77x of the hand-off floor then, 0.63-1.08x now). With many waiters the holder's stores
  // here would also disturb their spinning; the kernels run up to a few dozen CPUs. The class
  // keeps its line to itself.
  hal::Atomic<std::uint32_t> next_{0};
  hal::Atomic<std::uint32_t> serving_{0};
  detail::LockOwner owner_;
};

namespace detail {
/// Takes `lock`, telling it where from if it keeps the site (the core's locks do). The guards
/// and this are always inlined, as RawSpinlock::lock: GCC kept them out of line, a call with its
/// register saves per guard (bench_core: 3 ns of a 5.5 ns acquire and release).
template <class Lock>
[[gnu::always_inline]] inline void take(Lock& lock, SourceSite at) noexcept LOCKSTEP_NO_TSA {
  if constexpr (requires { lock.lock(at); }) {
    lock.lock(at);
  } else {
    lock.lock();
  }
}
}  // namespace detail

/// Holds `lock` for its scope.
template <class Lock>
class [[nodiscard]] LOCKSTEP_SCOPED_CAPABILITY SpinlockGuard {
 public:
  [[gnu::always_inline]] explicit SpinlockGuard(Lock& lock, SourceSite at = SourceSite::here()) noexcept
      LOCKSTEP_ACQUIRE(lock)
      : lock_(lock) {
    detail::take(lock_, at);
  }
  [[gnu::always_inline]] ~SpinlockGuard() LOCKSTEP_RELEASE() { lock_.unlock(); }
  SpinlockGuard(const SpinlockGuard&) = delete;
  SpinlockGuard& operator=(const SpinlockGuard&) = delete;
  SpinlockGuard(SpinlockGuard&&) = delete;
  SpinlockGuard& operator=(SpinlockGuard&&) = delete;

 private:
  Lock& lock_;
};

/// Disables interrupts, then takes `lock`; releases the lock, then restores interrupts. Use it
/// for every lock an interrupt handler may also take.
template <class Lock>
class [[nodiscard]] LOCKSTEP_SCOPED_CAPABILITY IrqSpinlockGuard {
 public:
  [[gnu::always_inline]] explicit IrqSpinlockGuard(Lock& lock, SourceSite at = SourceSite::here()) noexcept
      LOCKSTEP_ACQUIRE(lock)
      : saved_(hal::irq_save_disable()), lock_(lock) {
    detail::take(lock_, at);
  }
  [[gnu::always_inline]] ~IrqSpinlockGuard() LOCKSTEP_RELEASE() {
    lock_.unlock();
    hal::irq_restore(saved_);
  }
  IrqSpinlockGuard(const IrqSpinlockGuard&) = delete;
  IrqSpinlockGuard& operator=(const IrqSpinlockGuard&) = delete;
  IrqSpinlockGuard(IrqSpinlockGuard&&) = delete;
  IrqSpinlockGuard& operator=(IrqSpinlockGuard&&) = delete;

 private:
  hal::IrqState saved_;
  Lock& lock_;
};

/// A value that can only be reached with its lock held.
template <class T, class Lock = RawSpinlock>
class Spinlock {
 public:
  template <class... Args>
  constexpr explicit Spinlock(const char* name, Args&&... args) noexcept : lock_(name), value_(static_cast<Args&&>(args)...) {}

  /// Access to the value for the guard's lifetime.
  class [[nodiscard]] Guard {
   public:
    explicit Guard(Spinlock& s, SourceSite at) noexcept : guard_(s.lock_, at), value_(s.value_) {}
    T& operator*() noexcept { return value_; }
    T* operator->() noexcept { return &value_; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    SpinlockGuard<Lock> guard_;
    T& value_;
  };

  /// As Guard, with interrupts disabled for its lifetime.
  class [[nodiscard]] IrqGuard {
   public:
    explicit IrqGuard(Spinlock& s, SourceSite at) noexcept : guard_(s.lock_, at), value_(s.value_) {}
    T& operator*() noexcept { return value_; }
    T* operator->() noexcept { return &value_; }
    IrqGuard(const IrqGuard&) = delete;
    IrqGuard& operator=(const IrqGuard&) = delete;

   private:
    IrqSpinlockGuard<Lock> guard_;
    T& value_;
  };

  Guard lock(SourceSite at = SourceSite::here()) noexcept { return Guard(*this, at); }
  IrqGuard lock_irq(SourceSite at = SourceSite::here()) noexcept { return IrqGuard(*this, at); }
  Lock& raw() noexcept { return lock_; }
  /// The value without the lock: for reports on a quiescent machine, where a CPU that stopped
  /// may still hold it.
  const T& quiescent_value() const noexcept LOCKSTEP_NO_TSA { return value_; }

 private:
  Lock lock_;
  T value_ LOCKSTEP_GUARDED_BY(lock_);
};

}  // namespace lockstep::core
