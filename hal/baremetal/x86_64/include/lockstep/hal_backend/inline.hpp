#pragma once
// x86_64: the hot HAL functions, each a few instructions.

#include <atomic>
#include <cstdint>
// The contract's declarations (with their attributes) come before these definitions.
#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/irq.hpp>
#include <lockstep/hal/percpu.hpp>
#include <lockstep/hal/types.hpp>
#include <lockstep/hal_backend/cpu_local.hpp>

namespace lockstep::hal {

namespace x86_64 {
/// RFLAGS.IF, the interrupt-enable flag (Intel SDM Vol. 1, 3.4.3.3).
inline constexpr std::uint64_t kRflagsIf = 1u << 9;

inline std::uint64_t read_rflags() noexcept {
  std::uint64_t flags;
  asm volatile("pushfq; popq %0" : "=r"(flags)::"memory");
  return flags;
}
}  // namespace x86_64

inline CpuId current_cpu_id() noexcept {
  CpuId id;
  asm volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(baremetal::kCpuLocalIdOffset));
  return id;
}

inline void relax() noexcept { __builtin_ia32_pause(); }

/// The compiler emits the architecture's barrier for the order (the contract's table).
inline void fence(std::memory_order order) noexcept { std::atomic_thread_fence(order); }

inline Cycles cycle_counter() noexcept { return __builtin_ia32_rdtsc(); }

inline IrqState irq_save_disable() noexcept {
  const std::uint64_t flags = x86_64::read_rflags();
  asm volatile("cli" ::: "memory");
  return flags & x86_64::kRflagsIf;
}

inline void irq_enable() noexcept { asm volatile("sti" ::: "memory"); }

inline void irq_restore(IrqState state) noexcept {
  if (state) irq_enable();
}

inline bool irq_enabled() noexcept { return (x86_64::read_rflags() & x86_64::kRflagsIf) != 0; }

inline void* percpu_base() noexcept {
  void* base;
  asm volatile("movq %%gs:%c1, %0" : "=r"(base) : "i"(baremetal::kCpuLocalPercpuOffset));
  return base;
}

/// One XADD without LOCK: interrupts are taken between instructions only (SDM Vol.3 6.6), and
/// no other CPU writes the word, so the bus lock would buy nothing.
inline std::uint64_t cpu_local_fetch_add(std::uint64_t& word, std::uint64_t delta) noexcept {
  asm volatile("xaddq %0, %1" : "+r"(delta), "+m"(word)::"memory");
  return delta;
}

}  // namespace lockstep::hal
