#pragma once
// arm64 kernel internals: system registers, MMIO, architectural constants and the pieces the
// kernel's files share. Not part of the HAL contract; only hal/baremetal/arm64 includes it.

#include <cstddef>
#include <cstdint>
#include <lockstep/arm64/architecture.hpp>
#include <lockstep/baremetal/cmdline.hpp>
#include <lockstep/firmware/fdt_platform.hpp>
#include <lockstep/hal/types.hpp>

// System register access by name or by S<op0>_<op1>_C<n>_C<m>_<op2> encoding; the extra macro
// level expands an encoding given through a macro before it is stringified.
#define LOCKSTEP_SYSREG_STR_(x) #x
#define LOCKSTEP_SYSREG_STR(x) LOCKSTEP_SYSREG_STR_(x)
#define LOCKSTEP_READ_SYSREG(name)                                      \
  ([] {                                                                 \
    std::uint64_t v_;                                                   \
    asm volatile("mrs %0, " LOCKSTEP_SYSREG_STR(name) : "=r"(v_)::"memory"); \
    return v_;                                                          \
  }())
#define LOCKSTEP_WRITE_SYSREG(name, value) \
  asm volatile("msr " LOCKSTEP_SYSREG_STR(name) ", %0" ::"r"(static_cast<std::uint64_t>(value)) : "memory")

namespace lockstep::arm64 {

// ---- MMIO (device memory, mapped nGnRnE by boot.S) ----
inline std::uint32_t mmio_read32(std::uintptr_t addr) noexcept {
  std::uint32_t v;
  asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
inline void mmio_write32(std::uintptr_t addr, std::uint32_t v) noexcept {
  asm volatile("str %w0, [%1]" ::"rZ"(v), "r"(addr) : "memory");
}
inline std::uint64_t mmio_read64(std::uintptr_t addr) noexcept {
  std::uint64_t v;
  asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
inline void mmio_write8(std::uintptr_t addr, std::uint8_t v) noexcept {
  asm volatile("strb %w0, [%1]" ::"rZ"(v), "r"(addr) : "memory");
}

inline void isb() noexcept { asm volatile("isb" ::: "memory"); }
inline void dsb_sy() noexcept { asm volatile("dsb sy" ::: "memory"); }
inline void dsb_ishst() noexcept { asm volatile("dsb ishst" ::: "memory"); }

// ---- Architectural constants ----
// ESR classes, PSCI and semihosting: lockstep/arm64/architecture.hpp (shared with the Unicorn machine).

/// Exception kinds as vectors.S passes them: the vector table slot (Arm ARM D1.10.2), 0-15.
inline constexpr std::uint64_t kSlotSyncSpx = 4, kSlotIrqSpx = 5, kSlotFiqSpx = 6, kSlotSErrorSpx = 7;

// ---- Kernel-wide layout ----
/// SGI n carries the core's IPI vector n (GICv2 4.1 / GICv3 2.2: SGIs are INTIDs 0-15).
inline constexpr std::uint32_t kFirstSgi = 0;
inline constexpr std::uint32_t kSpuriousIntid = 1023;     // GICv2 3.2.5, GICv3 2.2.1.
inline constexpr std::uint32_t kVirtualTimerIntid = 27;   // PPI 11 (SBSA; QEMU virt), when the tree has none.
inline constexpr std::uint8_t kIrqPriority = 0xA0;
inline constexpr std::uint8_t kPriorityMask = 0xF0;       // Everything above 0xF0 passes.
inline constexpr std::uintptr_t kDefaultUart = 0x09000000;  // QEMU virt PL011 (FACTS), before the tree is read.

/// What secondary_entry (boot.S) reads from the pointer PSCI CPU_ON hands it in x0. Layout
/// shared with boot.S: keep offsets in sync.
struct ApStart {
  std::uint64_t stack_top;  // +0
  std::uint64_t cpu_local;  // +8: TPIDR_EL1
  std::uint64_t entry;      // +16: hal::CpuEntry
  std::uint64_t cpu;        // +24: logical id
};
static_assert(sizeof(ApStart) == 32);

/// The register frame vectors.S builds on exception entry; field order = memory order.
struct Frame {
  std::uint64_t x[31];
  std::uint64_t elr, spsr, esr, far, sp;
};
static_assert(sizeof(Frame) == 36 * 8, "vectors.S reserves 288 bytes");

struct Options : baremetal::KernelOptions {  // extra_cpu: an MPIDR the tree does not list.
  bool physical_timer = false;  ///< lockstep.timer=phys: the EL1 physical timer instead of the virtual one.
};

}  // namespace lockstep::arm64

// ---- Defined in the kernel's files ----
namespace lockstep::arm64 {
// console.cpp
void uart_init(std::uintptr_t base) noexcept;
// platform.cpp
bool platform_init(const Options& options, firmware::FdtArmPlatform& out) noexcept;
Options parse_options(const char* bootargs) noexcept;
const char* early_bootargs() noexcept;
hal::CpuId platform_cpu_count() noexcept;
hal::HwId platform_hw_id(hal::CpuId cpu) noexcept;
void cpu_local_init(hal::CpuId cpu, hal::HwId hw) noexcept;
void* cpu_local_of(hal::CpuId cpu) noexcept;
bool cpu_started(hal::CpuId cpu) noexcept;
// psci.cpp
void psci_init(const firmware::FdtArmPlatform& p, bool verbose) noexcept;
std::int64_t psci_call(std::uint64_t fn, std::uint64_t a1 = 0, std::uint64_t a2 = 0, std::uint64_t a3 = 0) noexcept;
bool psci_available() noexcept;
const char* psci_error_name(std::int64_t code) noexcept;
// gic.cpp
bool gic_init(const firmware::FdtArmPlatform& p, bool verbose) noexcept;
void gic_init_this_cpu() noexcept;
void gic_enable_ppi(std::uint32_t intid) noexcept;
/// Acknowledges the highest pending interrupt: its INTID (kSpuriousIntid if none) and the raw
/// value to hand back to gic_eoi().
std::uint32_t gic_ack(std::uint64_t& raw) noexcept;
void gic_eoi(std::uint64_t raw) noexcept;
void gic_send_sgi(hal::CpuId target, std::uint32_t sgi) noexcept;
const char* gic_name() noexcept;
// timer.cpp
void timer_init(const firmware::FdtArmPlatform& p, const Options& o) noexcept;
void timer_init_this_cpu() noexcept;
std::uint32_t timer_intid() noexcept;
/// The timer's interrupt: re-arms (periodic) or disarms (one-shot) before the EOI.
void timer_on_interrupt() noexcept;
hal::Cycles timer_hz() noexcept;
// exceptions.cpp
void print_fault(const Frame& f, std::uint64_t slot) noexcept;
}  // namespace lockstep::arm64

extern "C" {
extern char arm64_vectors[];
[[noreturn]] void secondary_entry(lockstep::arm64::ApStart* start);
void arm64_exception(lockstep::arm64::Frame* frame, std::uint64_t slot);
[[noreturn]] void kernel_main_arm64();
[[noreturn]] void ap_main_arm64(lockstep::arm64::ApStart* start);
}
