#include <lockstep/core/run_queue.hpp>

namespace lockstep::core {

std::uint32_t RunQueue::take(Task** out, std::uint32_t n) noexcept {
  // A thief takes from the tail of each level: the tasks the owner would run last.
  std::uint32_t taken = 0;
  std::uint32_t& nonempty = nonempty_.write();
  while (taken < n && nonempty != 0) {
    const unsigned p = 31 - static_cast<unsigned>(__builtin_clz(nonempty));
    Level& level = levels_[p];
    while (taken < n && level.count != 0) {
      --level.count;
      Task* t = level.slots[(level.head + level.count) % kRunQueueCapacity];
      t->queued_on = hal::kInvalidCpu;
      out[taken++] = t;
    }
    if (level.count == 0) nonempty &= ~(1u << p);
  }
  const std::uint32_t total = total_.write() -= taken;
  length_.store(total, std::memory_order_relaxed);
  return taken;
}

std::uint8_t RunQueue::top_priority() const noexcept {
  const std::uint32_t nonempty = nonempty_.read();
  return nonempty == 0 ? 0 : static_cast<std::uint8_t>(31 - __builtin_clz(nonempty));
}

}  // namespace lockstep::core
