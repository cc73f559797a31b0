// The remaining out-of-line HAL functions of the x86_64 kernel.

#include <lockstep/baremetal/entry.hpp>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/hal/hal.hpp>
#include <lockstep/hal_backend/cpu_local.hpp>

#include "arch.hpp"

extern "C" void x86_context_start();

namespace lockstep::hal {
namespace {
baremetal::CpuLocal& local() noexcept {
  baremetal::CpuLocal* self;
  asm volatile("movq %%gs:0, %0" : "=r"(self));
  return *self;
}
}  // namespace

void set_percpu_base(void* base) noexcept { local().core_percpu = base; }

void wait_for_interrupt() noexcept {
  // STI's one-instruction shadow makes "sti; hlt" atomic: an interrupt pending before the
  // HLT wakes it (SDM Vol.2B STI). With interrupts off on entry they are off again on return.
  if (irq_enabled()) {
    asm volatile("sti; hlt" ::: "memory");
  } else {
    asm volatile("sti; hlt; cli" ::: "memory");
  }
}

void halt() noexcept {
  (void)irq_save_disable();
  ::lockstep::baremetal::cpu_halting(current_cpu_id());
  for (;;) asm volatile("cli; hlt" ::: "memory");
}

void context_init(Context& ctx, std::span<std::byte> stack, ContextEntry entry, void* arg) noexcept {
  auto top = reinterpret_cast<std::uintptr_t>(stack.data() + stack.size()) & ~std::uintptr_t{15};
  auto* sp = reinterpret_cast<std::uint64_t*>(top);
  // Popped by context_switch: r15, r14, r13 (arg), r12 (entry), rbx, rbp; then `ret` into
  // x86_context_start with %rsp 16-byte aligned, as a call site would leave it.
  *--sp = reinterpret_cast<std::uint64_t>(&x86_context_start);
  *--sp = 0;                                        // rbp
  *--sp = 0;                                        // rbx
  *--sp = reinterpret_cast<std::uint64_t>(entry);   // r12
  *--sp = reinterpret_cast<std::uint64_t>(arg);     // r13
  *--sp = 0;                                        // r14
  *--sp = 0;                                        // r15
  ctx.sp = reinterpret_cast<std::uintptr_t>(sp);
}

}  // namespace lockstep::hal

namespace lockstep::baremetal {

void platform_exit(bool passed) noexcept {
  // isa-debug-exit (QEMU -device isa-debug-exit,iobase=0xf4,iosize=0x04): writing v makes
  // QEMU exit with status v * 2 + 1.
  constexpr std::uint16_t kDebugExitPort = 0xF4;
  const int status = passed ? protocol::kExitPass : protocol::kExitFail;
  x86::outl(kDebugExitPort, static_cast<std::uint32_t>((status - 1) / 2));
  baremetal::warning("no isa-debug-exit device; halting");
  for (;;) asm volatile("cli; hlt" ::: "memory");
}

}  // namespace lockstep::baremetal
