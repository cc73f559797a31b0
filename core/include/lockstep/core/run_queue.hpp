#pragma once
// A per-CPU run queue: fixed capacity, FIFO within each priority, highest priority first.
// Callers hold the queue's lock; `length` may be read without it (load balancing estimates).

#include <cstdint>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/task.hpp>
#include <lockstep/core/thread_annotations.hpp>

namespace lockstep::core {

inline constexpr std::uint32_t kRunQueueCapacity = 64;

enum class EnqueueResult : std::uint8_t { kOk, kFull, kAlreadyQueued, kOffline };

class RunQueue {
 public:
  RunQueue() noexcept : lock_("run-queue") {}

  /// Adds `t` behind the tasks of its priority. Lock held. kFull when kRunQueueCapacity tasks
  /// are queued (the task is not queued; nothing is dropped).
  EnqueueResult push(Task& t, hal::CpuId owner) noexcept LOCKSTEP_REQUIRES(lock_);
  /// Removes the first task of the highest non-empty priority, or nullptr. Lock held.
  Task* pop() noexcept LOCKSTEP_REQUIRES(lock_);
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
  std::uint32_t nonempty_ LOCKSTEP_GUARDED_BY(lock_) = 0;  ///< Bit per non-empty level.
  std::uint32_t total_ LOCKSTEP_GUARDED_BY(lock_) = 0;
  hal::Atomic<std::uint32_t> length_{0};
};

}  // namespace lockstep::core
