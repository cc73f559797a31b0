#pragma once
// Emulated machines: the hot HAL functions. Each reads the vCPU this host thread runs.

// The contract's declarations (with their attributes) come before these definitions.
#include <atomic>
#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/irq.hpp>
#include <lockstep/hal/percpu.hpp>
#include <lockstep/hal/types.hpp>
#include <lockstep/hal_backend/cpu_state.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lockstep::hal {

inline CpuId current_cpu_id() noexcept { return emu::detail::tl_cpu->id; }

inline void relax() noexcept {
  if (emu::detail::tl_det) {
    emu::detail::det_relax();
  } else {
#if defined(__x86_64__)
    _mm_pause();
#endif
    emu::detail::par_relax();
  }
}

inline void fence(std::memory_order order) noexcept {
  if (emu::detail::tl_det) {
    emu::detail::det_fence(order);
  } else {
    std::atomic_thread_fence(order);
  }
}

inline Cycles cycle_counter() noexcept {
  return emu::detail::tl_det ? emu::detail::tl_cpu->cycles : emu::detail::par_cycles();
}

// No compiler barrier around the flag: an emulated CPU takes interrupts only inside the engine's
// calls (a scheduling point, par_deliver_pending), which the compiler cannot move memory across,
// never between two instructions. Barriers here made every lock's preemption-count raise reload
// and spill the caller's state (bench_core: 2-6 ns of a run queue's push and pop).
inline IrqState irq_save_disable() noexcept {
  auto* cpu = emu::detail::tl_cpu;
  IrqState was = cpu->irq_enabled ? 1 : 0;
  cpu->irq_enabled = false;
  return was;
}

inline void irq_enable() noexcept {
  emu::detail::tl_cpu->irq_enabled = true;
  if (emu::detail::tl_det)
    emu::detail::det_irq_enabled();
  else if (emu::detail::tl_cpu->pending.load(std::memory_order_relaxed) != 0)
    emu::detail::par_deliver_pending();
}

inline void irq_restore(IrqState state) noexcept {
  if (state) irq_enable();
}

inline bool irq_enabled() noexcept { return emu::detail::tl_cpu->irq_enabled; }

inline void* percpu_base() noexcept { return emu::detail::tl_cpu->percpu; }

/// An emulated CPU takes interrupts only inside the engine's calls, never within an expression.
inline std::uint64_t cpu_local_fetch_add(std::uint64_t& word, std::uint64_t delta) noexcept {
  const std::uint64_t old = word;
  word = old + delta;
  return old;
}

}  // namespace lockstep::hal
