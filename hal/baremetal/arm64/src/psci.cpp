// PSCI (Arm DEN0022) through the conduit the device tree names: version, CPU_ON with
// AFFINITY_INFO, CPU_OFF, SYSTEM_OFF; and powering off with a status (semihosting exit).

#include <lockstep/baremetal/entry.hpp>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

extern "C" {
/// Semihosting call (vectors.S): x0 = operation, x1 = parameter block.
std::int64_t arm64_semihost_call(std::uint64_t op, const void* param);
}

namespace lockstep::arm64 {
namespace {

firmware::PsciConduit g_conduit = firmware::PsciConduit::kNone;
std::uint32_t g_cpu_on = kPsciCpuOn64;
std::uint32_t g_cpu_off = kPsciCpuOff;
ApStart g_ap_start[hal::kMaxCpus];
hal::Atomic<std::uint32_t> g_started[hal::kMaxCpus];

}  // namespace

const char* psci_error_name(std::int64_t code) noexcept {
  switch (code) {
    case kPsciSuccess: return "SUCCESS";
    case kPsciNotSupported: return "NOT_SUPPORTED";
    case kPsciInvalidParameters: return "INVALID_PARAMETERS";
    case kPsciDenied: return "DENIED";
    case kPsciAlreadyOn: return "ALREADY_ON";
    case kPsciOnPending: return "ON_PENDING";
    case kPsciInternalFailure: return "INTERNAL_FAILURE";
    case kPsciNotPresent: return "NOT_PRESENT";
    case kPsciDisabled: return "DISABLED";
    case kPsciInvalidAddress: return "INVALID_ADDRESS";
  }
  return "?";
}

std::int64_t psci_call(std::uint64_t fn, std::uint64_t a1, std::uint64_t a2, std::uint64_t a3) noexcept {
  // SMC Calling Convention (Arm DEN0028) 2.x: arguments in x0-x3, result in x0; x4-x17 may
  // be clobbered by an SMCCC 1.0 implementation.
  register std::uint64_t x0 asm("x0") = fn;
  register std::uint64_t x1 asm("x1") = a1;
  register std::uint64_t x2 asm("x2") = a2;
  register std::uint64_t x3 asm("x3") = a3;
  if (g_conduit == firmware::PsciConduit::kHvc) {
    asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
                 "x13", "x14", "x15", "x16", "x17", "memory");
  } else if (g_conduit == firmware::PsciConduit::kSmc) {
    asm volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
                 "x13", "x14", "x15", "x16", "x17", "memory");
  } else {
    return kPsciNotSupported;
  }
  return static_cast<std::int64_t>(x0);
}

bool psci_available() noexcept { return g_conduit != firmware::PsciConduit::kNone; }

void psci_init(const firmware::FdtArmPlatform& p, bool verbose) noexcept {
  g_conduit = p.psci;
  if (!p.psci_0_2) {
    // PSCI 0.1: the tree names the function ids (and no standard ids can be assumed).
    g_cpu_on = p.psci_cpu_on;
    g_cpu_off = p.psci_cpu_off;
  }
  const char* conduit = g_conduit == firmware::PsciConduit::kHvc ? "hvc" : g_conduit == firmware::PsciConduit::kSmc ? "smc" : "none";
  if (!p.psci_0_2) {
    if (verbose) core::print("psci: 0.1 via {} (cpu_on {:x}, cpu_off {:x})\n", conduit, g_cpu_on, g_cpu_off);
    return;
  }
  const std::int64_t v = psci_call(kPsciVersion);
  if (verbose)
    core::print("psci: version {}.{} via {}\n", static_cast<std::uint64_t>(v) >> 16 & 0x7fff, static_cast<std::uint64_t>(v) & 0xffff,
                conduit);
}

bool cpu_started(hal::CpuId cpu) noexcept {
  return cpu == 0 || (cpu < hal::kMaxCpus && g_started[cpu].load(std::memory_order_acquire) != 0);
}

}  // namespace lockstep::arm64

namespace lockstep::hal {

StartResult start_cpu(CpuId cpu, CpuEntry entry, std::span<std::byte> stack) noexcept {
  using namespace ::lockstep::arm64;
  if (cpu >= platform_cpu_count()) return StartResult::kNoSuchCpu;
  if (cpu_started(cpu)) return StartResult::kAlreadyStarted;
  if (!psci_available() || g_cpu_on == 0) return StartResult::kRefused;
  const HwId mpidr = platform_hw_id(cpu);
  // AFFINITY_INFO (PSCI 5.1.8): 0 = ON, 1 = OFF, 2 = ON_PENDING; negative = error.
  const std::int64_t before = psci_call(kPsciAffinityInfo64, mpidr, 0);
  if (before == 0 || before == 2) {
    ::lockstep::baremetal::warning("psci: cpu {} (mpidr {:x}) is already {} before CPU_ON", cpu, mpidr,
                                   before == 0 ? "on" : "pending");
    return StartResult::kAlreadyStarted;
  }
  ApStart& s = g_ap_start[cpu];
  s.stack_top = reinterpret_cast<std::uintptr_t>(stack.data() + stack.size()) & ~std::uintptr_t{15};
  s.cpu_local = reinterpret_cast<std::uintptr_t>(cpu_local_of(cpu));
  s.entry = reinterpret_cast<std::uintptr_t>(entry);
  s.cpu = cpu;
  // The new CPU reads the block with its MMU on (coherent); the barrier orders it before the call.
  dsb_sy();
  // CPU_ON (PSCI 5.1.4): target MPIDR, entry point (identity mapped: physical = virtual),
  // context id handed to the entry in x0.
  const std::int64_t r = psci_call(g_cpu_on, mpidr, reinterpret_cast<std::uintptr_t>(&secondary_entry),
                                   reinterpret_cast<std::uintptr_t>(&s));
  if (r != kPsciSuccess) {
    ::lockstep::baremetal::warning("psci: CPU_ON cpu {} (mpidr {:x}) failed: {} ({}), AFFINITY_INFO said {}", cpu,
                                   mpidr, psci_error_name(r), r, before);
    return r == kPsciAlreadyOn ? StartResult::kAlreadyStarted : StartResult::kRefused;
  }
  g_started[cpu].store(1, std::memory_order_release);
  return StartResult::kStarted;
}

void halt() noexcept {
  (void)irq_save_disable();
  const CpuId me = current_cpu_id();
  ::lockstep::baremetal::cpu_halting(me);
  // A secondary CPU leaves for good through PSCI CPU_OFF (AFFINITY_INFO then says OFF).
  if (me != 0 && ::lockstep::arm64::psci_available() && ::lockstep::arm64::g_cpu_off != 0) {
    ::lockstep::arm64::g_started[me].store(0, std::memory_order_release);
    (void)::lockstep::arm64::psci_call(::lockstep::arm64::g_cpu_off);
  }
  for (;;) asm volatile("wfi" ::: "memory");
}

}  // namespace lockstep::hal

namespace lockstep::baremetal {

void platform_exit(bool passed) noexcept {
  (void)hal::irq_save_disable();
  // Semihosting SYS_EXIT gives QEMU (run with -semihosting) and the Unicorn machine the exit
  // status. Without semihosting the HLT is undefined: the exception handler steps over it and
  // the call returns, and PSCI SYSTEM_OFF powers off (status 0; the END line says pass/fail).
  const int status = passed ? protocol::kExitPass : protocol::kExitFail;
  const std::uint64_t block[2] = {arm64::kAdpStoppedApplicationExitValue, static_cast<std::uint64_t>(status)};
  (void)arm64_semihost_call(arm64::kSysExitOperation, block);
  (void)arm64::psci_call(arm64::kPsciSystemOff);
  baremetal::warning("neither semihosting nor PSCI SYSTEM_OFF ended the machine; halting");
  for (;;) asm volatile("wfi" ::: "memory");
}

}  // namespace lockstep::baremetal
