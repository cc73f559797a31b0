// The interrupt controller the device tree names: GICv2 (memory-mapped distributor and CPU
// interface; the only one the Unicorn machine emulates) or GICv3 (distributor, one
// redistributor per CPU, ICC_* system registers). SGI n carries the core's IPI vector n; the
// timer is a PPI. Everything is in one group that signals IRQ (never FIQ), one priority.

#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

// GICv3 CPU interface system registers (GICv3 spec 12.2), by encoding: GCC 12 knows the names
// only with a GICv3-aware -march, and the kernel builds for plain ARMv8.0.
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_SGI1R_EL1 S3_0_C12_C11_5

namespace lockstep::arm64 {
namespace {

using firmware::GicVersion;

// Distributor (GICv2 spec 4.1.2; GICv3 spec 12.9).
constexpr std::uintptr_t kGicdCtlr = 0x000, kGicdTyper = 0x004, kGicdIsenabler = 0x100, kGicdIcenabler = 0x180;
constexpr std::uintptr_t kGicdIcpendr = 0x280, kGicdIpriorityr = 0x400, kGicdItargetsr = 0x800, kGicdSgir = 0xF00;
constexpr std::uint32_t kGicdCtlrEnable = 1u << 0;
// GICv3 GICD_CTLR: EnableGrp0 | EnableGrp1 (bit 1; EnableGrp1NS in the non-secure view, where
// bit 0 is EnableGrp1 and bit 4 ARE_NS) | ARE; RWP (bit 31) while a write is in progress.
constexpr std::uint32_t kGicdCtlrV3 = (1u << 0) | (1u << 1) | (1u << 4);
constexpr std::uint32_t kGicdCtlrRwp = 1u << 31;
// GICv2 CPU interface (4.1.3).
constexpr std::uintptr_t kGiccCtlr = 0x00, kGiccPmr = 0x04, kGiccIar = 0x0C, kGiccEoir = 0x10;
// GICv3 redistributor (12.10, 12.11): RD_base frame, then the SGI_base frame 64 KiB above.
constexpr std::uintptr_t kGicrCtlr = 0x0000, kGicrTyper = 0x0008, kGicrWaker = 0x0014;
constexpr std::uintptr_t kGicrSgiBase = 0x10000;
constexpr std::uintptr_t kGicrIgroupr0 = 0x080, kGicrIsenabler0 = 0x100, kGicrIcenabler0 = 0x180, kGicrIpriorityr = 0x400;
constexpr std::uint32_t kGicrCtlrRwp = 1u << 3;
constexpr std::uint32_t kGicrWakerProcessorSleep = 1u << 1, kGicrWakerChildrenAsleep = 1u << 2;
constexpr std::uint64_t kGicrTyperLast = 1u << 4, kGicrTyperVlpis = 1u << 1;
constexpr std::uintptr_t kGicrStrideV3 = 0x20000, kGicrStrideV4 = 0x40000;
constexpr std::uint32_t kSgiCount = 16;
constexpr std::uint32_t kIrqIdMask = 0x3ff;

GicVersion g_version = GicVersion::kNone;
std::uintptr_t g_gicd = 0, g_gicc = 0;
firmware::FdtRange g_gicr_region;
std::uint64_t g_gicr_stride = 0;
std::uint8_t g_v2_target[hal::kMaxCpus];  ///< GICv2 CPU interface mask, by logical CPU.
std::uintptr_t g_gicr[hal::kMaxCpus];     ///< GICv3 RD_base, by logical CPU.

std::uint64_t read_affinity_of_this_cpu() noexcept {
  // GICR_TYPER.Affinity_Value (63:32) = Aff3.Aff2.Aff1.Aff0 of the CPU it serves.
  const std::uint64_t m = LOCKSTEP_READ_SYSREG(mpidr_el1);
  return ((m >> 32) & 0xff) << 24 | (m & 0xffffff);
}

/// Waits for a register bit to clear, bounded (a broken controller must not hang boot).
bool wait_clear(std::uintptr_t reg, std::uint32_t bit) noexcept {
  for (int i = 0; i < 1000000; ++i) {
    if ((mmio_read32(reg) & bit) == 0) return true;
    hal::relax();
  }
  return false;
}

std::uintptr_t find_redistributor() noexcept {
  const std::uint64_t want = read_affinity_of_this_cpu();
  std::uintptr_t rd = g_gicr_region.base;
  const std::uintptr_t end = g_gicr_region.base + g_gicr_region.size;
  while (rd + kGicrStrideV3 <= end) {
    const std::uint64_t typer = mmio_read64(rd + kGicrTyper);
    if ((typer >> 32) == want) return rd;
    if ((typer & kGicrTyperLast) != 0) break;
    rd += g_gicr_stride != 0 ? g_gicr_stride : (typer & kGicrTyperVlpis) != 0 ? kGicrStrideV4 : kGicrStrideV3;
  }
  return 0;
}

void init_this_cpu_v2(hal::CpuId me) noexcept {
  // The banked GICD_ITARGETSR0-7 read back this CPU's interface bit (GICv2 4.3.12).
  std::uint8_t mask = 0;
  for (std::uintptr_t i = 0; i < 32 && mask == 0; i += 4) {
    const std::uint32_t v = mmio_read32(g_gicd + kGicdItargetsr + i);
    mask = static_cast<std::uint8_t>(v | v >> 8 | v >> 16 | v >> 24);
  }
  g_v2_target[me] = mask;
  mmio_write32(g_gicd + kGicdIcenabler, 0xffff0000u);  // PPIs off until a driver asks.
  for (std::uintptr_t i = 0; i < 32; i += 4) mmio_write32(g_gicd + kGicdIpriorityr + i, 0x01010101u * kIrqPriority);
  mmio_write32(g_gicd + kGicdIsenabler, (1u << hal::kIpiVectorCount) - 1);
  mmio_write32(g_gicc + kGiccPmr, kPriorityMask);
  mmio_write32(g_gicc + kGiccCtlr, 1);  // Enable signalling (group 0 as IRQ: FIQEn clear).
}

void init_this_cpu_v3(hal::CpuId me) noexcept {
  const std::uintptr_t rd = find_redistributor();
  g_gicr[me] = rd;
  if (rd == 0) {
    baremetal::error("gic: no redistributor for cpu {} (mpidr {:x})", me, LOCKSTEP_READ_SYSREG(mpidr_el1));
    return;
  }
  mmio_write32(rd + kGicrWaker, mmio_read32(rd + kGicrWaker) & ~kGicrWakerProcessorSleep);
  if (!wait_clear(rd + kGicrWaker, kGicrWakerChildrenAsleep))
    baremetal::warning("gic: redistributor of cpu {} stays asleep", me);
  const std::uintptr_t sgi = rd + kGicrSgiBase;
  mmio_write32(sgi + kGicrIgroupr0, 0xffffffffu);  // Group 1: IRQ at EL1 (group 0 would be FIQ).
  mmio_write32(sgi + kGicrIcenabler0, 0xffff0000u);
  (void)wait_clear(rd + kGicrCtlr, kGicrCtlrRwp);
  for (std::uintptr_t i = 0; i < 32; i += 4) mmio_write32(sgi + kGicrIpriorityr + i, 0x01010101u * kIrqPriority);
  mmio_write32(sgi + kGicrIsenabler0, (1u << hal::kIpiVectorCount) - 1);
  LOCKSTEP_WRITE_SYSREG(ICC_SRE_EL1, LOCKSTEP_READ_SYSREG(ICC_SRE_EL1) | 1);  // System register interface.
  isb();
  LOCKSTEP_WRITE_SYSREG(ICC_PMR_EL1, kPriorityMask);
  LOCKSTEP_WRITE_SYSREG(ICC_BPR1_EL1, 0);
  LOCKSTEP_WRITE_SYSREG(ICC_CTLR_EL1, 0);  // EOImode 0: EOIR drops priority and deactivates.
  LOCKSTEP_WRITE_SYSREG(ICC_IGRPEN1_EL1, 1);
  isb();
}

}  // namespace

bool gic_init(const firmware::FdtArmPlatform& p, bool verbose) noexcept {
  g_version = p.gic;
  g_gicd = p.gicd.base;
  g_gicc = p.gicc.base;
  g_gicr_region = p.gicr;
  g_gicr_stride = p.gicr_stride;
  if (g_version == GicVersion::kNone) return false;
  const std::uint32_t typer = mmio_read32(g_gicd + kGicdTyper);
  const std::uint32_t lines = 32 * ((typer & 0x1f) + 1);
  if (g_version == GicVersion::kV2) {
    mmio_write32(g_gicd + kGicdCtlr, 0);
    for (std::uint32_t i = 32; i < lines; i += 32) {  // No shared peripheral interrupts used.
      mmio_write32(g_gicd + kGicdIcenabler + i / 8, 0xffffffffu);
      mmio_write32(g_gicd + kGicdIcpendr + i / 8, 0xffffffffu);
    }
    mmio_write32(g_gicd + kGicdCtlr, kGicdCtlrEnable);
  } else {
    mmio_write32(g_gicd + kGicdCtlr, 0);
    (void)wait_clear(g_gicd + kGicdCtlr, kGicdCtlrRwp);
    for (std::uint32_t i = 32; i < lines; i += 32) mmio_write32(g_gicd + kGicdIcenabler + i / 8, 0xffffffffu);
    (void)wait_clear(g_gicd + kGicdCtlr, kGicdCtlrRwp);
    mmio_write32(g_gicd + kGicdCtlr, kGicdCtlrV3);
    (void)wait_clear(g_gicd + kGicdCtlr, kGicdCtlrRwp);
  }
  if (verbose)
    core::print("gic: {} distributor {:x} typer {:x} ({} interrupt lines, {} CPUs), ctlr {:x}\n", gic_name(), g_gicd, typer,
                lines, ((typer >> 5) & 7) + 1, mmio_read32(g_gicd + kGicdCtlr));
  return true;
}

void gic_init_this_cpu() noexcept {
  const hal::CpuId me = hal::current_cpu_id();
  if (g_version == GicVersion::kV2) init_this_cpu_v2(me);
  else if (g_version == GicVersion::kV3) init_this_cpu_v3(me);
}

const char* gic_name() noexcept {
  return g_version == GicVersion::kV2 ? "GICv2" : g_version == GicVersion::kV3 ? "GICv3" : "no GIC";
}

void gic_enable_ppi(std::uint32_t intid) noexcept {
  const std::uint32_t bit = 1u << (intid & 31);
  if (g_version == GicVersion::kV2) {
    mmio_write32(g_gicd + kGicdIsenabler, bit);
  } else if (g_version == GicVersion::kV3) {
    const std::uintptr_t rd = g_gicr[hal::current_cpu_id()];
    if (rd != 0) mmio_write32(rd + kGicrSgiBase + kGicrIsenabler0, bit);
  }
}

std::uint32_t gic_ack(std::uint64_t& raw) noexcept {
  if (g_version == GicVersion::kV2) {
    raw = mmio_read32(g_gicc + kGiccIar);
    return static_cast<std::uint32_t>(raw) & kIrqIdMask;
  }
  if (g_version == GicVersion::kV3) {
    raw = LOCKSTEP_READ_SYSREG(ICC_IAR1_EL1);
    dsb_sy();  // Order the acknowledge before the handler's reads (GICv3 spec 4.1.1 note).
    return static_cast<std::uint32_t>(raw) & 0xffffff;
  }
  raw = kSpuriousIntid;
  return kSpuriousIntid;
}

void gic_eoi(std::uint64_t raw) noexcept {
  if (g_version == GicVersion::kV2) {
    mmio_write32(g_gicc + kGiccEoir, static_cast<std::uint32_t>(raw));
  } else if (g_version == GicVersion::kV3) {
    LOCKSTEP_WRITE_SYSREG(ICC_EOIR1_EL1, raw);
    isb();
  }
}

void gic_send_sgi(hal::CpuId target, std::uint32_t sgi) noexcept {
  if (target >= platform_cpu_count() || sgi >= kSgiCount) return;
  // Stores before the send are visible to the target's handler (hal/ipi.hpp: release on send).
  dsb_ishst();
  if (g_version == GicVersion::kV2) {
    const std::uint32_t mask = g_v2_target[target];
    if (mask != 0) mmio_write32(g_gicd + kGicdSgir, (static_cast<std::uint32_t>(mask) << 16) | sgi);
  } else if (g_version == GicVersion::kV3) {
    // ICC_SGI1R_EL1 (GICv3 spec 12.2.22): Aff3 55:48, RS 47:44, Aff2 39:32, INTID 27:24,
    // Aff1 23:16, target list 15:0 (one bit per Aff0 within the range 16 * RS).
    const hal::HwId m = platform_hw_id(target);
    const std::uint64_t aff0 = m & 0xff, aff1 = (m >> 8) & 0xff, aff2 = (m >> 16) & 0xff, aff3 = (m >> 32) & 0xff;
    const std::uint64_t v = aff3 << 48 | (aff0 >> 4) << 44 | aff2 << 32 | std::uint64_t{sgi} << 24 | aff1 << 16 |
                            (std::uint64_t{1} << (aff0 & 15));
    LOCKSTEP_WRITE_SYSREG(ICC_SGI1R_EL1, v);
    isb();
  }
}

}  // namespace lockstep::arm64

namespace lockstep::hal {

void send_ipi(CpuId target, Vector v) noexcept {
  if (v >= kIpiVectorCount) return;
  ::lockstep::arm64::gic_send_sgi(target, ::lockstep::arm64::kFirstSgi + v);
}

}  // namespace lockstep::hal
