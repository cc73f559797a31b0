// The local APIC: xAPIC through MMIO, or x2APIC through MSRs when CPUID offers it (Intel SDM
// Vol.3 chapter 10); its timer, calibrated against the PIT; IPIs through the ICR.

#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

namespace lockstep::x86 {
namespace {

// Register offsets in the xAPIC MMIO page; the x2APIC MSR is 0x800 + offset / 16
// (SDM Vol.3 Table 10-1 and 10.12.1.2).
constexpr std::uint32_t kRegId = 0x20, kRegVersion = 0x30, kRegTpr = 0x80, kRegEoi = 0xB0, kRegSvr = 0xF0,
                        kRegEsr = 0x280, kRegIcrLow = 0x300, kRegIcrHigh = 0x310, kRegLvtTimer = 0x320,
                        kRegLvtLint0 = 0x350, kRegLvtLint1 = 0x360, kRegLvtError = 0x370, kRegTimerInit = 0x380,
                        kRegTimerCurrent = 0x390, kRegTimerDivide = 0x3E0;
constexpr std::uint32_t kX2apicMsrBase = 0x800;
constexpr std::uint32_t kSvrEnable = 1u << 8;
constexpr std::uint32_t kLvtMasked = 1u << 16;
constexpr std::uint32_t kLvtTimerPeriodic = 1u << 17;
constexpr std::uint32_t kLvtNmi = 4u << 8;
constexpr std::uint32_t kTimerDivideBy16 = 0x3;
// ICR fields (SDM Vol.3 10.6.1).
constexpr std::uint32_t kIcrFixed = 0u << 8, kIcrInit = 5u << 8, kIcrStartup = 6u << 8;
constexpr std::uint32_t kIcrDeliveryPending = 1u << 12;
constexpr std::uint32_t kIcrLevelAssert = 1u << 14;
constexpr std::uint32_t kIcrAllButSelf = 3u << 18;
// PIT (Intel 8254): channel 2, gated through port 0x61.
constexpr std::uint16_t kPitCommand = 0x43, kPitChannel2 = 0x42, kPortB = 0x61;
constexpr std::uint32_t kPitHz = 1193182;
constexpr std::uint32_t kCalibrationMs = 10;

bool g_x2 = false;
// The architectural reset value of IA32_APIC_BASE's base (Intel SDM Vol.3 10.4.4).
constexpr std::uintptr_t kDefaultApicBase = 0xFEE00000;
// The 8259A PICs' data (mask) ports (Intel 8259A datasheet; the PC's master and slave).
constexpr std::uint16_t kPic1Data = 0x21, kPic2Data = 0xA1;
// Fallback rates when the PIT cannot calibrate: QEMU's usual figures, named in the warning.
constexpr hal::Cycles kFallbackTscHz = 1'000'000'000;
constexpr std::uint64_t kFallbackApicTimerHz = 62'500'000;

std::uintptr_t g_mmio = kDefaultApicBase;  // Kept in a variable: an immediate above 2 GiB sign-extends.
hal::Cycles g_tsc_hz = 0;
std::uint64_t g_apic_timer_hz = 0;

std::uint32_t read(std::uint32_t reg) noexcept {
  if (g_x2) return static_cast<std::uint32_t>(rdmsr(kX2apicMsrBase + reg / 16));
  return *reinterpret_cast<volatile std::uint32_t*>(g_mmio + reg);
}

void write(std::uint32_t reg, std::uint32_t v) noexcept {
  if (g_x2) {
    wrmsr(kX2apicMsrBase + reg / 16, v);
  } else {
    *reinterpret_cast<volatile std::uint32_t*>(g_mmio + reg) = v;
  }
}

/// Writes the ICR; interrupts must be off (the xAPIC writes are two stores).
void write_icr(std::uint32_t dest, std::uint32_t low) noexcept {
  if (g_x2) {
    // x2APIC: one 64-bit MSR write, destination in bits 63:32 (SDM Vol.3 10.12.9).
    wrmsr(kX2apicMsrBase + kRegIcrLow / 16, (static_cast<std::uint64_t>(dest) << 32) | low);
  } else {
    (void)apic_wait_icr_idle(g_tsc_hz != 0 ? g_tsc_hz / 100 : 10'000'000);
    write(kRegIcrHigh, dest << 24);
    write(kRegIcrLow, low);
  }
}

std::uint64_t scale(std::uint64_t v, std::uint64_t mul, std::uint64_t div) noexcept {
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(v) * mul / div);
}

std::uint32_t cycles_to_timer_count(hal::Cycles c) noexcept {
  std::uint64_t n = scale(c, g_apic_timer_hz, g_tsc_hz);
  if (n == 0) n = 1;
  if (n > 0xFFFFFFFFu) n = 0xFFFFFFFFu;
  return static_cast<std::uint32_t>(n);
}

}  // namespace

bool apic_x2() noexcept { return g_x2; }
hal::Cycles tsc_hz() noexcept { return g_tsc_hz; }

std::uint32_t apic_id() noexcept {
  const std::uint32_t id = read(kRegId);
  return g_x2 ? id : id >> 24;  // xAPIC: bits 31:24 (SDM Vol.3 10.4.6)
}

void apic_eoi() noexcept { write(kRegEoi, 0); }

bool apic_wait_icr_idle(hal::Cycles timeout) noexcept {
  if (g_x2) return true;  // x2APIC has no delivery status (SDM Vol.3 10.12.9).
  return wait_until([] { return (read(kRegIcrLow) & kIcrDeliveryPending) == 0; }, timeout);
}

void apic_init_boot(bool verbose, bool force_xapic) noexcept {
  const CpuidRegs leaf1 = cpuid(1);
  if ((leaf1.edx & kCpuid1EdxApic) == 0) baremetal::warning("cpuid reports no local APIC");
  std::uint64_t base = rdmsr(kMsrApicBase);
  g_x2 = (leaf1.ecx & kCpuid1EcxX2apic) != 0 && !force_xapic;
  g_mmio = static_cast<std::uintptr_t>(base & 0xFFFFFF000ull);
  if (verbose) {
    core::print("apic: IA32_APIC_BASE={:x} (base {:x}, bsp {}, enabled {}, x2apic {}), cpuid x2apic {}\n", base,
                g_mmio, (base & kApicBaseBsp) != 0, (base & kApicBaseEnable) != 0, (base & kApicBaseX2apic) != 0,
                g_x2);
  }
  if (verbose) core::print("apic: mode {}\n", g_x2 ? "x2APIC (MSRs)" : "xAPIC (MMIO)");
  if ((base & kApicBaseBsp) == 0) baremetal::warning("IA32_APIC_BASE says this is not the BSP");
  // Outside the x2APIC mode the 8259s may still deliver through LINT0: mask both PICs.
  outb(kPic1Data, 0xFF);
  outb(kPic2Data, 0xFF);
}

void apic_init_this_cpu() noexcept {
  std::uint64_t base = rdmsr(kMsrApicBase) | kApicBaseEnable;
  wrmsr(kMsrApicBase, base);  // xAPIC enabled first: x2APIC can only be entered from it.
  if (g_x2) wrmsr(kMsrApicBase, base | kApicBaseX2apic);
  write(kRegTpr, 0);
  write(kRegLvtTimer, kLvtMasked | (kVectorBase + hal::kTimerVector));
  write(kRegLvtLint0, kLvtMasked);
  write(kRegLvtLint1, kLvtNmi);
  write(kRegLvtError, kApicErrorVector);
  write(kRegEsr, 0);  // Clear errors: write, then read (SDM Vol.3 10.5.3).
  (void)read(kRegEsr);
  write(kRegTimerDivide, kTimerDivideBy16);
  write(kRegSvr, kSvrEnable | kSpuriousVector);
  apic_eoi();
}

std::uint32_t apic_version() noexcept { return read(kRegVersion); }

void timer_calibrate(bool verbose) noexcept {
  const std::uint32_t latch = kPitHz * kCalibrationMs / 1000;
  outb(kPortB, static_cast<std::uint8_t>((inb(kPortB) & ~0x02) | 0x01));  // gate on, speaker off
  outb(kPitCommand, 0xB0);  // channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count)
  outb(kPitChannel2, static_cast<std::uint8_t>(latch));
  outb(kPitChannel2, static_cast<std::uint8_t>(latch >> 8));
  write(kRegLvtTimer, kLvtMasked | (kVectorBase + hal::kTimerVector));
  write(kRegTimerInit, 0xFFFFFFFFu);
  const std::uint64_t tsc0 = hal::cycle_counter();
  const std::uint32_t apic0 = read(kRegTimerCurrent);
  std::uint64_t polls = 0;
  constexpr std::uint64_t kMaxPolls = 200'000'000;  // PIT output never rising: a broken platform.
  while ((inb(kPortB) & 0x20) == 0 && ++polls < kMaxPolls) {
  }
  const std::uint64_t tsc1 = hal::cycle_counter();
  const std::uint32_t apic1 = read(kRegTimerCurrent);
  write(kRegTimerInit, 0);
  if (polls >= kMaxPolls || tsc1 == tsc0) {
    baremetal::warning("PIT calibration failed; assuming 1 GHz TSC and 62.5 MHz APIC timer");
    g_tsc_hz = kFallbackTscHz;
    g_apic_timer_hz = kFallbackApicTimerHz;
  } else {
    g_tsc_hz = (tsc1 - tsc0) * 1000 / kCalibrationMs;
    g_apic_timer_hz = static_cast<std::uint64_t>(apic0 - apic1) * 1000 / kCalibrationMs;
  }
  if (verbose) {
    core::print("timer: PIT {} ms window: TSC {} Hz, APIC timer {} Hz (divide 16)\n", kCalibrationMs, g_tsc_hz,
                g_apic_timer_hz);
    const CpuidRegs max = cpuid(0);
    if (max.eax >= 0x15) {
      const CpuidRegs l15 = cpuid(0x15);
      core::print("timer: cpuid 0x15 tsc/crystal {}/{} crystal {} Hz\n", l15.ebx, l15.eax, l15.ecx);
    }
  }
}

hal::Cycles us_to_tsc(std::uint64_t us) noexcept { return scale(us, g_tsc_hz, 1'000'000); }

void delay_us(std::uint64_t us) noexcept {
  const hal::Cycles wait = us_to_tsc(us);
  const hal::Cycles start = hal::cycle_counter();
  while (hal::cycle_counter() - start < wait) hal::relax();
}

void apic_send_init(std::uint32_t dest) noexcept {
  const hal::IrqState irq = hal::irq_save_disable();
  write_icr(dest, kIcrInit | kIcrLevelAssert);
  hal::irq_restore(irq);
}

void apic_send_sipi(std::uint32_t dest, std::uint8_t page) noexcept {
  const hal::IrqState irq = hal::irq_save_disable();
  write_icr(dest, kIcrStartup | kIcrLevelAssert | page);
  hal::irq_restore(irq);
}

void apic_send_fixed(std::uint32_t dest, std::uint8_t vector) noexcept {
  const hal::IrqState irq = hal::irq_save_disable();
  write_icr(dest, kIcrFixed | kIcrLevelAssert | vector);
  hal::irq_restore(irq);
}

void apic_send_all_but_self(std::uint8_t vector) noexcept {
  const hal::IrqState irq = hal::irq_save_disable();
  write_icr(0, kIcrFixed | kIcrLevelAssert | kIcrAllButSelf | vector);
  hal::irq_restore(irq);
}

}  // namespace lockstep::x86

namespace lockstep::hal {

void timer_set_periodic(Cycles period) noexcept {
  x86::write(x86::kRegLvtTimer, x86::kLvtTimerPeriodic | (x86::kVectorBase + kTimerVector));
  x86::write(x86::kRegTimerInit, x86::cycles_to_timer_count(period));
}

void timer_stop() noexcept {
  x86::write(x86::kRegTimerInit, 0);
  x86::write(x86::kRegLvtTimer, x86::kLvtMasked | (x86::kVectorBase + kTimerVector));
}

}  // namespace lockstep::hal
