#pragma once
// A start barrier: the tasks of a test program wait here until the last one arrives, so a
// race begins with every thread live. Spawning tasks one by one costs scheduling points (run
// queue lock, reschedule IPI), enough that a short thread can finish before a later one
// exists; SCTBench's programs, by contrast, start their threads at once. The last arrival also
// marks the start of the program's own part for schedule exploration (hal::test_focus).

#include <cstdint>
#include <lockstep/core/ipi.hpp>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/search.hpp>

namespace lockstep::core {

class StartBarrier {
 public:
  /// Expects `parties` arrivals. Before any party can arrive (e.g. before spawning them).
  void reset(std::uint32_t parties) noexcept {
    open_.store(false, std::memory_order_relaxed);
    arrived_.store(0, std::memory_order_relaxed);
    parties_.store(parties, std::memory_order_release);
  }

  /// Arrives and spins (serving calls, see spin_until) until every party has. Any context that
  /// may spin; all parties must be able to run at once (on different CPUs, or preemptible).
  void arrive_and_wait() noexcept {
    const std::uint32_t parties = parties_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties) {
      // The focus begins before anyone is let go: opening on the count itself let a waiter
      // run its whole thread before the last arrival got as far as saying so.
      hal::test_focus(true);
      open_.store(true, std::memory_order_release);
      return;
    }
    spin_until([this] { return open_.load(std::memory_order_acquire); });
  }

 private:
  hal::Atomic<bool> open_{false};
  hal::Atomic<std::uint32_t> arrived_{0};
  hal::Atomic<std::uint32_t> parties_{0};
};

}  // namespace lockstep::core
