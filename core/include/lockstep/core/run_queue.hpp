#pragma once
// A per-CPU run queue: fixed capacity, FIFO within each priority, highest priority first.
// Callers hold the queue's lock; `length` may be read without it (load balancing estimates).

#include <cstdint>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/task.hpp>
#include <lockstep/core/thread_annotations.hpp>
#include <lockstep/hal/tracked.hpp>

namespace lockstep::core {

inline constexpr std::uint32_t kRunQueueCapacity = 64;
static_assert((kRunQueueCapacity & (kRunQueueCapacity - 1)) == 0, "a power of two: the ring's % is a mask");

enum class EnqueueResult : std::uint8_t { kOk, kFull, kAlreadyQueued, kOffline };

class RunQueue {
 public:
  RunQueue() noexcept : lock_("run-queue") {}

  /// Adds `t` behind the tasks of its priority. Lock held. kFull when kRunQueueCapacity tasks
  /// are queued (the task is not queued; nothing is dropped). Inline, as pop(): both run at
  /// every enqueue and pick, and are a few instructions each.
  EnqueueResult push(Task& t, hal::CpuId owner) noexcept LOCKSTEP_REQUIRES(lock_) {
    if (t.queued_on != hal::kInvalidCpu) return EnqueueResult::kAlreadyQueued;
    std::uint32_t& total = total_.write();
    if (total == kRunQueueCapacity) return EnqueueResult::kFull;
    const std::uint8_t p = t.priority < kPriorityLevels ? t.priority : kPriorityLevels - 1;
    Level& level = levels_[p];
    level.slots[(level.head + level.count) % kRunQueueCapacity] = &t;
    ++level.count;
    nonempty_.write() |= 1u << p;
    ++total;
    t.queued_on = owner;
    length_.store(total, std::memory_order_relaxed);
    return EnqueueResult::kOk;
  }
  /// Removes the first task of the highest non-empty priority, or nullptr. Lock held.
  Task* pop() noexcept LOCKSTEP_REQUIRES(lock_) {
    const std::uint32_t nonempty = nonempty_.read();
    if (nonempty == 0) return nullptr;
    const unsigned p = 31 - static_cast<unsigned>(__builtin_clz(nonempty));
    Level& level = levels_[p];
    Task* t = level.slots[level.head];
    level.head = (level.head + 1) % kRunQueueCapacity;
    if (--level.count == 0) nonempty_.write() &= ~(1u << p);
    const std::uint32_t total = --total_.write();
    t->queued_on = hal::kInvalidCpu;
    length_.store(total, std::memory_order_relaxed);
    return t;
  }
  /// Removes up to `n` tasks for another CPU, highest priority first, into `out`. Lock held.
  std::uint32_t take(Task** out, std::uint32_t n) noexcept LOCKSTEP_REQUIRES(lock_);

  std::uint32_t length() const noexcept { return length_.load(std::memory_order_relaxed); }
  std::uint8_t top_priority() const noexcept LOCKSTEP_REQUIRES(lock_);
  RawSpinlock& lock() noexcept LOCKSTEP_RETURN_CAPABILITY(lock_) { return lock_; }

 private:
  struct Level {
    Task* slots[kRunQueueCapacity];
    std::uint32_t head = 0;
    std::uint32_t count = 0;
  };
  RawSpinlock lock_;
  Level levels_[kPriorityLevels] LOCKSTEP_GUARDED_BY(lock_);
  // Tracked (hal/tracked.hpp): every operation reads or writes these, so the race detector
  // checks that each one is ordered by the lock.
  hal::Tracked<std::uint32_t> nonempty_ LOCKSTEP_GUARDED_BY(lock_);  ///< Bit per non-empty level.
  hal::Tracked<std::uint32_t> total_ LOCKSTEP_GUARDED_BY(lock_);
  hal::Atomic<std::uint32_t> length_{0};
};

}  // namespace lockstep::core
