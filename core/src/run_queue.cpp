#include <lockstep/core/run_queue.hpp>

namespace lockstep::core {

EnqueueResult RunQueue::push(Task& t, hal::CpuId owner) noexcept {
  if (t.queued_on != hal::kInvalidCpu) return EnqueueResult::kAlreadyQueued;
  if (total_ == kRunQueueCapacity) return EnqueueResult::kFull;
  const std::uint8_t p = t.priority < kPriorityLevels ? t.priority : kPriorityLevels - 1;
  Level& level = levels_[p];
  level.slots[(level.head + level.count) % kRunQueueCapacity] = &t;
  ++level.count;
  nonempty_ |= 1u << p;
  ++total_;
  t.queued_on = owner;
  length_.store(total_, std::memory_order_relaxed);
  return EnqueueResult::kOk;
}

Task* RunQueue::pop() noexcept {
  if (nonempty_ == 0) return nullptr;
  const unsigned p = 31 - static_cast<unsigned>(__builtin_clz(nonempty_));
  Level& level = levels_[p];
  Task* t = level.slots[level.head];
  level.head = (level.head + 1) % kRunQueueCapacity;
  if (--level.count == 0) nonempty_ &= ~(1u << p);
  --total_;
  t->queued_on = hal::kInvalidCpu;
  length_.store(total_, std::memory_order_relaxed);
  return t;
}

std::uint32_t RunQueue::take(Task** out, std::uint32_t n) noexcept {
  // A thief takes from the tail of each level: the tasks the owner would run last.
  std::uint32_t taken = 0;
  while (taken < n && nonempty_ != 0) {
    const unsigned p = 31 - static_cast<unsigned>(__builtin_clz(nonempty_));
    Level& level = levels_[p];
    while (taken < n && level.count != 0) {
      --level.count;
      Task* t = level.slots[(level.head + level.count) % kRunQueueCapacity];
      t->queued_on = hal::kInvalidCpu;
      out[taken++] = t;
    }
    if (level.count == 0) nonempty_ &= ~(1u << p);
  }
  total_ -= taken;
  length_.store(total_, std::memory_order_relaxed);
  return taken;
}

std::uint8_t RunQueue::top_priority() const noexcept {
  return nonempty_ == 0 ? 0 : static_cast<std::uint8_t>(31 - __builtin_clz(nonempty_));
}

}  // namespace lockstep::core
