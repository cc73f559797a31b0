// CPU enumeration from ACPI (through the portable parsers in core/firmware), per-CPU blocks,
// and starting application processors with INIT-SIPI-SIPI (Intel SDM Vol.3 8.4.4).

#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/firmware/acpi.hpp>
#include <lockstep/hal/hal.hpp>
#include <lockstep/hal_backend/cpu_local.hpp>

#include "arch.hpp"

extern "C" {
/// Start slots by logical CPU id, searched by ap_entry64 (boot.S) by APIC id.
lockstep::x86::ApSlot ap_slots[lockstep::hal::kMaxCpus];
std::uint32_t ap_slot_count = 0;
extern const char ap_trampoline_start[];
extern const char ap_trampoline_end[];
[[noreturn]] void ap_main_x86(lockstep::x86::ApSlot* slot);
}

namespace lockstep::x86 {
namespace {

using firmware::AcpiStatus;

hal::baremetal::CpuLocal g_local[hal::kMaxCpus];
hal::CpuDescriptor g_platform[hal::kMaxCpus];
hal::CpuId g_platform_count = 0;

/// Delays of the INIT-SIPI-SIPI sequence. The SDM's MP initialization example (Vol.3 8.4.4.1)
/// waits 10 ms after INIT and 200 us after each SIPI; Linux waits nothing after INIT on every
/// AMD64 CPU and on Intel's family 6 (arch/x86/kernel/smpboot.c, smp_quirk_init_udelay), and the
/// 200 us after a SIPI here is a bound on waiting for the AP's check-in, not a fixed delay.
constexpr std::uint64_t kLegacyInitDelayUs = 10'000;
constexpr std::uint64_t kSipiTimeoutUs = 200;
/// ApSlot::armed: start_cpu() filled the slot; the AP runs its C entry.
constexpr std::uint32_t kSlotArmed = 1;
constexpr std::uint32_t kSlotCheckedIn = 2;
constexpr std::uint64_t kFourGiB = 1ull << 32;

firmware::Bytes map_identity(void*, std::uint64_t phys, std::size_t len) noexcept {
  // Identity-mapped low 4 GiB; address 0 is never a table.
  if (phys == 0 || phys >= kFourGiB || len > kFourGiB - phys) return {};
  return {phys_ptr<const std::byte>(static_cast<std::uintptr_t>(phys)), len};
}

AcpiStatus find_rsdp(std::uint64_t hint, std::uint64_t& rsdp, bool verbose) noexcept {
  firmware::Rsdp parsed;
  if (hint != 0) {
    const firmware::Bytes b = map_identity(nullptr, hint, firmware::kRsdpV2Size);
    const AcpiStatus s = firmware::parse_rsdp(b, parsed);
    if (verbose) core::print("acpi: RSDP from the boot loader at {:x}: {}\n", hint, firmware::acpi_status_name(s));
    if (s == AcpiStatus::kOk) {
      rsdp = hint;
      return s;
    }
  }
  // ACPI 6.5 5.2.5.1: the first KiB of the EBDA, then the BIOS area 0xE0000-0xFFFFF.
  const std::uint64_t ebda = static_cast<std::uint64_t>(*phys_ptr<const volatile std::uint16_t>(0x40E)) << 4;
  AcpiStatus s = AcpiStatus::kNotFound;
  if (ebda >= 0x80000 && ebda < 0xA0000) s = firmware::find_rsdp(map_identity(nullptr, ebda, 1024), ebda, rsdp);
  if (s != AcpiStatus::kOk) s = firmware::find_rsdp(map_identity(nullptr, 0xE0000, 0x20000), 0xE0000, rsdp);
  if (verbose) core::print("acpi: RSDP search (EBDA {:x}, E0000-FFFFF): {} at {:x}\n", ebda, firmware::acpi_status_name(s), rsdp);
  return s;
}

std::uint32_t cpuid_apic_id() noexcept {
  if (cpuid(0).eax >= 0x0B) {
    const CpuidRegs r = cpuid(0x0B, 0);
    if (r.ebx != 0) return r.edx;  // x2APIC id (SDM Vol.2A CPUID leaf 0BH)
  }
  return cpuid(1).ebx >> 24;  // initial APIC id
}

void print_topology() noexcept {
  const CpuidRegs l1 = cpuid(1);
  core::print("cpuid: leaf 1 initial APIC id {} logical count {} x2apic {} hypervisor {}\n", l1.ebx >> 24,
              (l1.ebx >> 16) & 0xFF, (l1.ecx & kCpuid1EcxX2apic) != 0, (l1.ecx & kCpuid1EcxHypervisor) != 0);
  const std::uint32_t max = cpuid(0).eax;
  for (std::uint32_t leaf : {0x0Bu, 0x1Fu}) {
    if (max < leaf) continue;
    for (std::uint32_t sub = 0; sub < 8; ++sub) {
      const CpuidRegs r = cpuid(leaf, sub);
      const std::uint32_t type = (r.ecx >> 8) & 0xFF;
      if (type == 0) break;
      core::print("cpuid: leaf {:x}.{} level type {} ({}) shift {} count {} x2apic id {}\n", leaf, sub, type,
                  type == 1 ? "smt" : type == 2 ? "core" : "other", r.eax & 0x1F, r.ebx & 0xFFFF, r.edx);
    }
  }
}

}  // namespace

void cpu_local_init(hal::CpuId cpu, hal::HwId hw) noexcept {
  hal::baremetal::CpuLocal& l = g_local[cpu];
  l.self = &l;
  l.id = cpu;
  l.hw_id = hw;
  wrmsr(kMsrGsBase, reinterpret_cast<std::uint64_t>(&l));
}


bool acpi_enumerate(std::uint64_t rsdp_hint, bool verbose, std::uint32_t extra_cpu, bool has_extra) noexcept {
  const std::uint32_t boot_id = cpuid_apic_id();
  if (verbose) print_topology();
  g_platform[0] = hal::CpuDescriptor{boot_id, true};
  g_platform_count = 1;

  firmware::MadtCpu cpus[hal::kMaxCpus];
  firmware::MadtInfo info;
  const firmware::PhysMemory mem{map_identity, nullptr};
  std::uint64_t rsdp_phys = 0;
  AcpiStatus s = find_rsdp(rsdp_hint, rsdp_phys, verbose);
  firmware::Bytes madt;
  bool xsdt = false;
  if (s == AcpiStatus::kOk) {
    firmware::Rsdp rsdp;
    (void)firmware::parse_rsdp(map_identity(nullptr, rsdp_phys, firmware::kRsdpV1Size), rsdp);
    if (rsdp.revision >= 2) (void)firmware::parse_rsdp(map_identity(nullptr, rsdp_phys, firmware::kRsdpV2Size), rsdp);
    if (verbose)
      core::print("acpi: RSDP rev {} oem '{}' RSDT {:x} XSDT {:x}\n", rsdp.revision, rsdp.oem_id, rsdp.rsdt_address,
                  rsdp.xsdt_address);
    s = firmware::find_table(mem, rsdp, "APIC", madt, &xsdt);
  }
  if (s == AcpiStatus::kOk) s = firmware::parse_madt(madt, info, cpus);
  if (s != AcpiStatus::kOk && s != AcpiStatus::kTooMany) {
    baremetal::error("acpi: no usable MADT ({}); running on the boot CPU only", firmware::acpi_status_name(s));
    return false;
  }
  if (s == AcpiStatus::kTooMany)
    baremetal::warning("acpi: {} CPUs beyond the kernel's {} ignored", info.dropped, hal::kMaxCpus);
  if (verbose) {
    core::print("acpi: MADT via {} length {} LAPIC {:x} flags {:x}: {} entries, {} CPUs, {} disabled skipped, {} duplicate, {} IOAPIC\n",
                xsdt ? "XSDT" : "RSDT", madt.size(), info.lapic_address, info.flags, info.entries, info.cpus,
                info.skipped_disabled, info.duplicates, info.ioapics);
    for (std::uint32_t i = 0; i < info.cpus; ++i)
      core::print("acpi: MADT {} uid {} apic id {} enabled {} online-capable {}\n",
                  cpus[i].x2apic_entry ? "x2APIC" : "LAPIC", cpus[i].uid, cpus[i].apic_id, cpus[i].enabled,
                  cpus[i].online_capable);
  }
  const std::uint64_t msr_base = rdmsr(kMsrApicBase) & 0xFFFFFF000ull;
  if (info.lapic_address != msr_base)
    baremetal::warning("MADT LAPIC address {:x} differs from IA32_APIC_BASE {:x}", info.lapic_address, msr_base);
  bool boot_listed = false;
  for (std::uint32_t i = 0; i < info.cpus; ++i) {
    if (cpus[i].apic_id == boot_id) {
      boot_listed = true;
      continue;
    }
    if (g_platform_count < hal::kMaxCpus)
      g_platform[g_platform_count++] = hal::CpuDescriptor{cpus[i].apic_id, cpus[i].enabled};
  }
  if (!boot_listed) baremetal::warning("boot CPU apic id {} is not in the MADT", boot_id);
  if (has_extra && g_platform_count < hal::kMaxCpus) {
    core::print("acpi: adding CPU apic id {} the machine does not list (lockstep.extra_cpu)\n", extra_cpu);
    g_platform[g_platform_count++] = hal::CpuDescriptor{extra_cpu, true};
  }
  return true;
}

void smp_init() noexcept {
  const std::size_t size = static_cast<std::size_t>(ap_trampoline_end - ap_trampoline_start);
  auto* dst = phys_ptr<volatile char>(kTrampolineAddress);
  for (std::size_t i = 0; i < size; ++i) dst[i] = ap_trampoline_start[i];
  for (hal::CpuId c = 0; c < g_platform_count; ++c) ap_slots[c].apic_id = static_cast<std::uint32_t>(g_platform[c].hw_id);
  __atomic_store_n(&ap_slot_count, g_platform_count, __ATOMIC_RELEASE);
}

/// Only Intel's NetBurst family (0xF) among 64-bit CPUs keeps the INIT delay, as in Linux.
std::uint64_t init_delay_us() noexcept {
  const CpuidRegs vendor = cpuid(0);
  const bool intel =
      vendor.ebx == 0x756e6547 && vendor.edx == 0x49656e69 && vendor.ecx == 0x6c65746e;  // "GenuineIntel"
  const std::uint32_t family = (cpuid(1).eax >> 8) & 0xF;
  return intel && family == 0xF ? kLegacyInitDelayUs : 0;
}

/// Waits up to `us` for the AP of `slot` to reach its C entry.
bool wait_check_in(const ApSlot& slot, std::uint64_t us) noexcept {
  return wait_until([&slot] { return __atomic_load_n(&slot.armed, __ATOMIC_ACQUIRE) == kSlotCheckedIn; },
                    us_to_tsc(us));
}

hal::CpuId platform_cpu_count() noexcept { return g_platform_count; }
bool cpu_started(hal::CpuId cpu) noexcept { return cpu == 0 || __atomic_load_n(&ap_slots[cpu].armed, __ATOMIC_ACQUIRE) != 0; }

}  // namespace lockstep::x86

extern "C" void ap_main_x86(lockstep::x86::ApSlot* slot) {
  using namespace lockstep;
  const auto cpu = static_cast<hal::CpuId>(slot->cpu);
  __atomic_store_n(&slot->armed, x86::kSlotCheckedIn, __ATOMIC_RELEASE);  // No second SIPI needed.
  x86::cpu_local_init(cpu, slot->apic_id);
  x86::idt_load();
  x86::apic_init_this_cpu();
  reinterpret_cast<hal::CpuEntry>(slot->entry)(cpu);
  hal::halt();
}

namespace lockstep::hal {

std::span<const CpuDescriptor> platform_cpus() noexcept { return {x86::g_platform, x86::g_platform_count}; }

StartResult start_cpu(CpuId cpu, CpuEntry entry, std::span<std::byte> stack) noexcept {
  if (cpu >= x86::g_platform_count) return StartResult::kNoSuchCpu;
  if (cpu == 0 || x86::cpu_started(cpu)) return StartResult::kAlreadyStarted;
  x86::ApSlot& slot = ap_slots[cpu];
  const auto top = reinterpret_cast<std::uintptr_t>(stack.data() + stack.size()) & ~std::uintptr_t{15};
  slot.apic_id = static_cast<std::uint32_t>(x86::g_platform[cpu].hw_id);
  slot.stack_top = top;
  slot.cpu = cpu;
  slot.entry = reinterpret_cast<std::uint64_t>(entry);
  __atomic_store_n(&slot.armed, x86::kSlotArmed, __ATOMIC_RELEASE);  // Slot complete before the AP can look.
  const Cycles icr_timeout = x86::tsc_hz() / 100;
  x86::apic_send_init(slot.apic_id);
  if (!x86::apic_wait_icr_idle(icr_timeout)) return StartResult::kRefused;
  x86::delay_us(x86::init_delay_us());
  // Two SIPIs, the second only if the first went unanswered (SDM Vol.3 8.4.4.1 sends both; a
  // running AP ignores the second).
  for (int i = 0; i < 2; ++i) {
    x86::apic_send_sipi(slot.apic_id, static_cast<std::uint8_t>(x86::kTrampolineAddress >> 12));
    if (!x86::apic_wait_icr_idle(icr_timeout)) return StartResult::kRefused;
    if (x86::wait_check_in(slot, x86::kSipiTimeoutUs)) break;
  }
  return StartResult::kStarted;
}

void send_ipi(CpuId target, Vector v) noexcept {
  if (target >= x86::g_platform_count) return;
  x86::apic_send_fixed(static_cast<std::uint32_t>(x86::g_platform[target].hw_id), static_cast<std::uint8_t>(x86::kVectorBase + v));
}

}  // namespace lockstep::hal
