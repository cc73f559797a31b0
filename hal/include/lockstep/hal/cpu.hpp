#pragma once
// CPU identity, topology and the small per-CPU operations every spin and wait loop needs.

#include <atomic>
#include <lockstep/hal/types.hpp>
#include <span>

namespace lockstep::hal {

/// One CPU as the platform reports it (MADT entry, device-tree node, engine configuration).
struct CpuDescriptor {
  HwId hw_id;
  bool enabled;  ///< false: present in the tables but not usable (MADT flags, status = "disabled").
};

/// This CPU's logical id. Any context, any interrupt state; never blocks; reads CPU-local state
/// only, so it is not a scheduling point on the deterministic engine.
inline CpuId current_cpu_id() noexcept;

/// The CPUs the platform reports, boot CPU first, in logical-id order. Valid after the back end
/// has initialised; the span stays valid for the life of the machine.
std::span<const CpuDescriptor> platform_cpus() noexcept;

/// Spin-loop hint (PAUSE / YIELD). Call it in every loop that waits for another CPU. On the
/// deterministic engine it is a scheduling point that tells the scheduler this CPU is waiting;
/// on every back end a pending, enabled interrupt may be delivered inside it.
inline void relax() noexcept;

/// A memory barrier: this CPU's accesses before it are ordered with those after it as
/// std::atomic_thread_fence(order) orders them (x86-64: `mfence` for seq_cst, nothing else;
/// arm64: `dmb ish`/`dmb ishld`). Any context; never blocks. On the deterministic engine it is a
/// scheduling point, and under the tso memory model a seq_cst fence drains the store buffer.
inline void fence(std::memory_order order) noexcept;

/// Monotonic per-CPU cycle counter. Any context; never blocks. Not ordered with memory accesses.
inline Cycles cycle_counter() noexcept;

/// Waits until an interrupt is pending on this CPU. If interrupts are enabled the interrupt is
/// taken before this returns; if they are disabled it stays pending. May return spuriously.
void wait_for_interrupt() noexcept;

/// Stops this CPU for good (it stays offline). Interrupts are ignored afterwards.
[[noreturn]] void halt() noexcept;

}  // namespace lockstep::hal

// The back end's inline definitions of the functions declared `inline` above.
#include <lockstep/hal_backend/inline.hpp>
