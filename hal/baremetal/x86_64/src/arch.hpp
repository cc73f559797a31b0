#pragma once
// x86_64 kernel internals: instructions, MSRs, CPUID, and the pieces the kernel's files share.
// Not part of the HAL contract; only hal/baremetal/x86_64 includes it.

#include <cstddef>
#include <cstdint>
#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/types.hpp>

#include "boot_layout.h"

namespace lockstep::x86 {

// ---- Instructions ----
inline void outb(std::uint16_t port, std::uint8_t v) noexcept { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline std::uint8_t inb(std::uint16_t port) noexcept {
  std::uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outl(std::uint16_t port, std::uint32_t v) noexcept { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }

inline std::uint64_t rdmsr(std::uint32_t msr) noexcept {
  std::uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}
inline void wrmsr(std::uint32_t msr, std::uint64_t v) noexcept {
  asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<std::uint32_t>(v)), "d"(static_cast<std::uint32_t>(v >> 32)) : "memory");
}

struct CpuidRegs {
  std::uint32_t eax, ebx, ecx, edx;
};
inline CpuidRegs cpuid(std::uint32_t leaf, std::uint32_t subleaf = 0) noexcept {
  CpuidRegs r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

inline std::uint64_t read_cr2() noexcept {
  std::uint64_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
inline std::uint64_t read_cr3() noexcept {
  std::uint64_t v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}

/// A pointer to identity-mapped physical memory. The empty asm hides the constant address from
/// the optimiser, which would otherwise treat low constant addresses as out-of-bounds objects.
template <class T>
T* phys_ptr(std::uintptr_t phys) noexcept {
  asm("" : "+r"(phys));
  return reinterpret_cast<T*>(phys);
}

// ---- Architectural constants ----
inline constexpr std::uint32_t kMsrApicBase = 0x1B;          // Intel SDM Vol.3 10.4.4
inline constexpr std::uint64_t kApicBaseBsp = 1u << 8;
inline constexpr std::uint64_t kApicBaseX2apic = 1u << 10;   // SDM Vol.3 10.12.1
inline constexpr std::uint64_t kApicBaseEnable = 1u << 11;
inline constexpr std::uint32_t kMsrGsBase = 0xC0000101;      // SDM Vol.4 Table 2-2
inline constexpr std::uint32_t kCpuid1EcxX2apic = 1u << 21;  // SDM Vol.2A CPUID leaf 1
inline constexpr std::uint32_t kCpuid1EcxHypervisor = 1u << 31;
inline constexpr std::uint32_t kCpuid1EdxApic = 1u << 9;

// ---- Kernel-wide layout ----
/// APIC vectors: exceptions 0-31, core vectors from kVectorBase, spurious at 0xFF (SDM Vol.3
/// 10.9: the low 4 bits of the spurious vector are writable in every APIC generation).
inline constexpr std::uint8_t kVectorBase = 0x40;
inline constexpr std::uint8_t kApicErrorVector = 0xFE;
inline constexpr std::uint8_t kSpuriousVector = 0xFF;
inline constexpr std::uint16_t kKernelCodeSelector = X86_SEL_CODE64;

/// Physical address where the AP trampoline is copied (boot_layout.h).
inline constexpr std::uint32_t kTrampolineAddress = X86_TRAMPOLINE_ADDRESS;

/// Per-CPU start slot ap_entry64 (boot.S) looks itself up in, by APIC id. The assembly reads
/// it at the offsets of boot_layout.h, checked here.
struct ApSlot {
  std::uint32_t apic_id;
  std::uint32_t armed;  ///< 1 once start_cpu() filled the slot.
  std::uint64_t stack_top;
  std::uint64_t cpu;    ///< Logical id.
  std::uint64_t entry;  ///< hal::CpuEntry.
};
static_assert(offsetof(ApSlot, apic_id) == X86_AP_SLOT_APIC_ID && offsetof(ApSlot, armed) == X86_AP_SLOT_ARMED &&
              offsetof(ApSlot, stack_top) == X86_AP_SLOT_STACK_TOP && offsetof(ApSlot, cpu) == X86_AP_SLOT_CPU &&
              offsetof(ApSlot, entry) == X86_AP_SLOT_ENTRY && sizeof(ApSlot) == X86_AP_SLOT_SIZE,
              "boot.S reads ApSlot at these offsets");

}  // namespace lockstep::x86

// ---- Defined in the kernel's files ----
namespace lockstep::x86 {
struct Frame;
void serial_init() noexcept;
void serial_write_raw(const char* text, std::size_t len) noexcept;
void idt_init() noexcept;
void idt_load() noexcept;
void apic_init_boot(bool verbose, bool force_xapic) noexcept;
void apic_init_this_cpu() noexcept;
std::uint32_t apic_id() noexcept;
std::uint32_t apic_version() noexcept;
void apic_eoi() noexcept;
bool apic_x2() noexcept;
void apic_send_init(std::uint32_t apic_id) noexcept;
void apic_send_sipi(std::uint32_t apic_id, std::uint8_t page) noexcept;
bool apic_wait_icr_idle(hal::Cycles timeout) noexcept;
void apic_send_fixed(std::uint32_t apic_id, std::uint8_t vector) noexcept;
void apic_send_all_but_self(std::uint8_t vector) noexcept;
void timer_calibrate(bool verbose) noexcept;
hal::Cycles tsc_hz() noexcept;
hal::Cycles us_to_tsc(std::uint64_t us) noexcept;
/// Spins until `done()` or until `timeout` TSC cycles have passed; whether it was done. The
/// bounded wait of every boot handshake here (guest time, never spin counts).
template <class Done>
bool wait_until(Done done, hal::Cycles timeout) noexcept {
  const hal::Cycles start = hal::cycle_counter();
  while (!done()) {
    if (hal::cycle_counter() - start > timeout) return false;
    hal::relax();
  }
  return true;
}
void delay_us(std::uint64_t us) noexcept;
bool acpi_enumerate(std::uint64_t rsdp_hint, bool verbose, std::uint32_t extra_cpu, bool has_extra) noexcept;
hal::CpuId platform_cpu_count() noexcept;
bool cpu_started(hal::CpuId cpu) noexcept;
void smp_init() noexcept;
void cpu_local_init(hal::CpuId cpu, hal::HwId hw) noexcept;
}  // namespace lockstep::x86
