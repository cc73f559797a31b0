// The remaining out-of-line HAL functions of the arm64 kernel.

#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

extern "C" void arm64_context_start();

namespace lockstep::hal {

void wait_for_interrupt() noexcept {
  // WFI wakes on a pending interrupt even while PSTATE.I masks it (Arm ARM D1.16.2). With
  // interrupts enabled, mask around it so one arriving just before cannot be taken and leave
  // the CPU asleep; unmasking takes it before this returns.
  if (irq_enabled()) {
    asm volatile("msr daifset, #2; wfi; msr daifclr, #2" ::: "memory");
  } else {
    asm volatile("wfi" ::: "memory");
  }
}

void context_init(Context& ctx, std::span<std::byte> stack, ContextEntry entry, void* arg) noexcept {
  auto top = reinterpret_cast<std::uintptr_t>(stack.data() + stack.size()) & ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<std::uint64_t*>(top) - 12;
  // Loaded by context_switch (vectors.S): x19..x28, x29 (fp), x30 (lr) from the frame.
  for (int i = 0; i < 12; ++i) frame[i] = 0;
  frame[0] = reinterpret_cast<std::uint64_t>(entry);  // x19
  frame[1] = reinterpret_cast<std::uint64_t>(arg);    // x20
  frame[11] = reinterpret_cast<std::uint64_t>(&arm64_context_start);  // x30
  ctx.sp = reinterpret_cast<std::uintptr_t>(frame);
}

}  // namespace lockstep::hal
