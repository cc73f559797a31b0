#pragma once
// The lock both kernels' consoles write under: test-and-set with an owner, so that a CPU that
// faults while it prints can still print its fault (the owner re-enters instead of spinning on
// itself). Header-only and freestanding.

#include <cstdint>
#include <lockstep/hal/hal.hpp>

namespace lockstep::baremetal {

class ConsoleLock {
 public:
  /// Runs `write()` with interrupts disabled and the lock held by `me` (taken unless `me`
  /// already holds it: a fault inside a write). `me`: the CPU's id, or 0 before it has one
  /// (early boot, when only the boot CPU runs).
  template <class Write>
  void write_locked(std::uint32_t me, Write write) noexcept {
    const hal::IrqState irq = hal::irq_save_disable();
    const bool taken = owner_.load(std::memory_order_relaxed) != me;
    if (taken) {
      for (std::uint32_t free = kFree;
           !owner_.compare_exchange_weak(free, me, std::memory_order_acquire, std::memory_order_relaxed); free = kFree)
        hal::relax();
    }
    write();
    if (taken) owner_.store(kFree, std::memory_order_release);
    hal::irq_restore(irq);
  }

 private:
  static constexpr std::uint32_t kFree = ~0u;
  hal::Atomic<std::uint32_t> owner_{kFree};
};

}  // namespace lockstep::baremetal
