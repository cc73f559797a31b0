#pragma once
// arm64: the hot HAL functions, each a few instructions.

#include <atomic>
#include <cstdint>
// The contract's declarations (with their attributes) come before these definitions.
#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/irq.hpp>
#include <lockstep/hal/percpu.hpp>
#include <lockstep/hal/types.hpp>
#include <lockstep/hal_backend/cpu_local.hpp>

namespace lockstep::hal {

namespace arm64 {
/// DAIF.I, the IRQ mask bit as read through MRS DAIF (Arm ARM C5.2.2).
inline constexpr std::uint64_t kDaifIrqMask = 1u << 7;

inline baremetal::CpuLocal* cpu_local() noexcept {
  baremetal::CpuLocal* local;
  asm volatile("mrs %0, tpidr_el1" : "=r"(local));
  return local;
}
}  // namespace arm64

inline CpuId current_cpu_id() noexcept { return arm64::cpu_local()->id; }

inline void relax() noexcept { asm volatile("yield" ::: "memory"); }

/// The compiler emits the architecture's barrier for the order (the contract's table).
inline void fence(std::memory_order order) noexcept { std::atomic_thread_fence(order); }

/// CNTVCT_EL0: counts at the generic timer's frequency (CNTFRQ_EL0), not CPU cycles.
inline Cycles cycle_counter() noexcept {
  Cycles v;
  asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

inline IrqState irq_save_disable() noexcept {
  std::uint64_t daif;
  asm volatile("mrs %0, daif; msr daifset, #2" : "=r"(daif)::"memory");
  return (daif & arm64::kDaifIrqMask) == 0 ? 1 : 0;
}

inline void irq_enable() noexcept { asm volatile("msr daifclr, #2" ::: "memory"); }

inline void irq_restore(IrqState state) noexcept {
  if (state) irq_enable();
}

inline bool irq_enabled() noexcept {
  std::uint64_t daif;
  asm volatile("mrs %0, daif" : "=r"(daif)::"memory");
  return (daif & arm64::kDaifIrqMask) == 0;
}

inline void* percpu_base() noexcept { return arm64::cpu_local()->core_percpu; }

/// A load-exclusive/store-exclusive loop (ARMv8.0 has no LSE). An interrupt handler that adds
/// to the word between the two does so with its own store-exclusive, which leaves the local
/// monitor open (Arm ARM DDI 0487, "The local monitor" in the exclusive-access chapter; exception
/// return clears it too, AArch64.ExceptionReturn's ClearExclusiveLocal), so the interrupted
/// store fails and the add retries.
inline std::uint64_t cpu_local_fetch_add(std::uint64_t& word, std::uint64_t delta) noexcept {
  std::uint64_t old, sum;
  std::uint32_t failed;
  asm volatile(
      "1: ldxr %0, %3\n"
      "   add %1, %0, %4\n"
      "   stxr %w2, %1, %3\n"
      "   cbnz %w2, 1b"
      : "=&r"(old), "=&r"(sum), "=&r"(failed), "+Q"(word)
      : "r"(delta)
      : "memory");
  return old;
}

}  // namespace lockstep::hal
