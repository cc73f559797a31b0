// Exception dispatch: IRQs to the core's interrupt entry, everything else to a fault report
// that names the exception, the CPU and the registers and ends the run as failed.

#include <lockstep/baremetal/entry.hpp>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

extern "C" char arm64_semihost_insn[];

namespace lockstep::arm64 {
namespace {

hal::Atomic<std::uint64_t> g_spurious{0};

const char* slot_name(std::uint64_t slot) noexcept {
  static const char* const kNames[16] = {
      "sync (SP_EL0)", "irq (SP_EL0)", "fiq (SP_EL0)", "serror (SP_EL0)", "sync", "irq", "fiq", "serror",
      "sync (lower EL, AArch64)", "irq (lower EL, AArch64)", "fiq (lower EL, AArch64)", "serror (lower EL, AArch64)",
      "sync (lower EL, AArch32)", "irq (lower EL, AArch32)", "fiq (lower EL, AArch32)", "serror (lower EL, AArch32)"};
  return slot < 16 ? kNames[slot] : "?";
}

const char* ec_name(std::uint64_t ec) noexcept {
  switch (ec) {
    case kEcUnknown: return "unknown reason / undefined instruction";
    case 0x01: return "wfi/wfe trapped";
    case 0x07: return "FP/SIMD access trapped";
    case 0x0e: return "illegal execution state";
    case kEcSvc64: return "svc";
    case kEcHvc64: return "hvc";
    case kEcSmc64: return "smc";
    case 0x18: return "system register access trapped";
    case 0x20: return "instruction abort from a lower EL";
    case kEcInstAbortSame: return "instruction abort";
    case kEcPcAlign: return "PC alignment fault";
    case 0x24: return "data abort from a lower EL";
    case kEcDataAbortSame: return "data abort";
    case kEcSpAlign: return "SP alignment fault";
    case kEcSError: return "SError";
    case 0x30: case 0x31: return "breakpoint";
    case 0x32: case 0x33: return "software step";
    case 0x34: case 0x35: return "watchpoint";
    case kEcBrk: return "brk";
  }
  return "other";
}

long current_cpu_or_minus_one() noexcept {
  if (LOCKSTEP_READ_SYSREG(tpidr_el1) == 0) return -1;
  return static_cast<long>(hal::current_cpu_id());
}

void irq() noexcept {
  std::uint64_t raw = 0;
  const std::uint32_t intid = gic_ack(raw);
  if (intid >= 1020) {  // 1020-1023: special INTIDs, nothing to acknowledge (GICv3 2.2.1).
    g_spurious.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  hal::Vector v = 0;
  if (intid >= kFirstSgi && intid < kFirstSgi + hal::kIpiVectorCount) {
    v = static_cast<hal::Vector>(intid - kFirstSgi);
  } else if (intid == timer_intid()) {
    timer_on_interrupt();
    v = hal::kTimerVector;
  } else {
    baremetal::warning("unexpected interrupt INTID {} on cpu {}", intid, hal::current_cpu_id());
    gic_eoi(raw);
    return;
  }
  // EOI first: the core's handler may switch to another task and return much later.
  gic_eoi(raw);
  hal::interrupt_entry(v);
}

}  // namespace

void print_fault(const Frame& f, std::uint64_t slot) noexcept {
  const std::uint64_t ec = f.esr >> 26;
  baremetal::protocol_line(baremetal::protocol::kFault, "cpu={} {} esr={:x} ec={:x} ({}) elr={:x} far={:x} spsr={:x}",
                           current_cpu_or_minus_one(), slot_name(slot), f.esr, ec, ec_name(ec), f.elr, f.far, f.spsr);
  for (int i = 0; i < 28; i += 4)
    core::print("  x{}={:x} x{}={:x} x{}={:x} x{}={:x}\n", i, f.x[i], i + 1, f.x[i + 1], i + 2, f.x[i + 2], i + 3, f.x[i + 3]);
  core::print("  x28={:x} fp={:x} lr={:x} sp={:x} mpidr={:x} tpidr={:x}\n", f.x[28], f.x[29], f.x[30], f.sp,
              LOCKSTEP_READ_SYSREG(mpidr_el1), LOCKSTEP_READ_SYSREG(tpidr_el1));
}

}  // namespace lockstep::arm64

/// Every exception lands here from vectors.S, interrupts masked.
extern "C" void arm64_exception(lockstep::arm64::Frame* frame, std::uint64_t slot) {
  using namespace lockstep;
  if (slot == arm64::kSlotIrqSpx) {
    arm64::irq();
    return;
  }
  if (slot == arm64::kSlotSyncSpx && (frame->esr >> 26) == arm64::kEcUnknown &&
      frame->elr == reinterpret_cast<std::uintptr_t>(arm64_semihost_insn)) {
    frame->elr += 4;  // No semihosting on this machine: the call returns -1.
    frame->x[0] = ~std::uint64_t{0};
    return;
  }
  arm64::print_fault(*frame, slot);
  const long cpu = arm64::current_cpu_or_minus_one();
  baremetal::fatal_fault(cpu < 0 ? 0 : static_cast<hal::CpuId>(cpu));
}
