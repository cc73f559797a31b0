// The IDT, the interrupt dispatcher and the fault handler.

#include <lockstep/baremetal/entry.hpp>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

extern "C" const std::uint64_t isr_table[256];

namespace lockstep::x86 {

/// The register frame isr.S builds; field order = memory order.
struct Frame {
  std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  std::uint64_t vector, error;
  std::uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU (SDM Vol.3 6.14.1)
};
static_assert(sizeof(Frame) == 22 * 8);

namespace {

struct IdtGate {
  std::uint16_t offset_low;
  std::uint16_t selector;
  std::uint8_t ist;
  std::uint8_t type_attr;
  std::uint16_t offset_mid;
  std::uint32_t offset_high;
  std::uint32_t zero;
};
static_assert(sizeof(IdtGate) == 16);

/// 64-bit interrupt gate, present, DPL 0 (SDM Vol.3 6.14.1): clears IF on entry.
constexpr std::uint8_t kInterruptGate = 0x8E;

alignas(16) IdtGate g_idt[256];
hal::Atomic<std::uint64_t> g_spurious{0};

const char* exception_name(std::uint64_t v) noexcept {
  static const char* const kNames[32] = {
      "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
      "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
      "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
      "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
      "#XM SIMD error", "#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
      "reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
      "#VC VMM communication", "#SX security", "reserved 31"};
  return v < 32 ? kNames[v] : "?";
}

long current_cpu_or_minus_one() noexcept {
  if (rdmsr(kMsrGsBase) == 0) return -1;
  return static_cast<long>(hal::current_cpu_id());
}

[[noreturn]] void fault(const Frame& f) noexcept {
  const long cpu = current_cpu_or_minus_one();
  baremetal::protocol_line(baremetal::protocol::kFault, "cpu={} vector={} ({}) error={:x} rip={:x} cr2={:x}", cpu,
                           f.vector, exception_name(f.vector), f.error, f.rip, read_cr2());
  core::print("  rax={:x} rbx={:x} rcx={:x} rdx={:x}\n  rsi={:x} rdi={:x} rbp={:x} rsp={:x}\n", f.rax, f.rbx, f.rcx,
              f.rdx, f.rsi, f.rdi, f.rbp, f.rsp);
  core::print("  r8={:x} r9={:x} r10={:x} r11={:x}\n  r12={:x} r13={:x} r14={:x} r15={:x}\n", f.r8, f.r9, f.r10,
              f.r11, f.r12, f.r13, f.r14, f.r15);
  core::print("  cs={:x} ss={:x} rflags={:x} cr3={:x} apic={:x}\n", f.cs, f.ss, f.rflags, read_cr3(), apic_id());
  baremetal::fatal_fault(cpu < 0 ? 0 : static_cast<hal::CpuId>(cpu));
}

}  // namespace

void idt_init() noexcept {
  for (unsigned v = 0; v < 256; ++v) {
    const std::uint64_t addr = isr_table[v];
    g_idt[v] = IdtGate{static_cast<std::uint16_t>(addr), kKernelCodeSelector, 0, kInterruptGate,
                       static_cast<std::uint16_t>(addr >> 16), static_cast<std::uint32_t>(addr >> 32), 0};
  }
}

void idt_load() noexcept {
  struct [[gnu::packed]] {
    std::uint16_t limit;
    std::uint64_t base;
  } pointer{sizeof g_idt - 1, reinterpret_cast<std::uint64_t>(g_idt)};
  asm volatile("lidt %0" ::"m"(pointer) : "memory");
}

std::uint64_t spurious_interrupts() noexcept { return g_spurious.load(std::memory_order_relaxed); }

}  // namespace lockstep::x86

/// Every vector lands here from isr.S, interrupts disabled (interrupt gates).
extern "C" void x86_interrupt(lockstep::x86::Frame* frame) {
  using namespace lockstep;
  const std::uint64_t v = frame->vector;
  if (v < 32) x86::fault(*frame);
  if (v == x86::kSpuriousVector) {  // No EOI for a spurious interrupt (SDM Vol.3 10.9).
    x86::g_spurious.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (v >= x86::kVectorBase && v < x86::kVectorBase + hal::kVectorCount) {
    // EOI first: the core's handler may switch to another task and return much later.
    x86::apic_eoi();
    hal::interrupt_entry(static_cast<hal::Vector>(v - x86::kVectorBase));
    return;
  }
  if (v == x86::kApicErrorVector) {
    baremetal::protocol_line(baremetal::protocol::kApicError, "cpu={} (see ESR)", hal::current_cpu_id());
    x86::apic_eoi();
    return;
  }
  core::print("unexpected interrupt vector {} on cpu {}\n", v, hal::current_cpu_id());
  x86::apic_eoi();
}
