// The boot CPU's C++ entry (after boot.S: EL1, MMU on, stack) and the secondary CPUs' one:
// hardware bring-up in dependency order, then the kernel program (kernel/).

#include <lockstep/baremetal/entry.hpp>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

extern "C" {
using InitFunction = void (*)();
extern InitFunction __init_array_start[];
extern InitFunction __init_array_end[];
/// CurrentEL at entry (boot.S).
extern std::uint64_t arm64_entry_el;
}

namespace {

/// lockstep.fault_test: a load from an address no table maps, with recognisable registers.
[[noreturn]] void fault_on_purpose() {
  asm volatile("mov x0, #0x1bad; movk x0, #0xc0de, lsl #16; mov x1, #0xdead00000000; ldr x2, [x1]" ::: "x0", "x1", "x2",
               "memory");
  __builtin_unreachable();
}

}  // namespace

extern "C" void kernel_main_arm64() {
  using namespace lockstep;
  for (InitFunction* f = __init_array_start; f != __init_array_end; ++f) (*f)();
  const hal::HwId boot_mpidr = LOCKSTEP_READ_SYSREG(mpidr_el1) & firmware::kMpidrAffinityMask;
  arm64::cpu_local_init(0, boot_mpidr);
  const char* args = arm64::early_bootargs();
  const arm64::Options options = arm64::parse_options(args);
  core::print("lockstep arm64 kernel (entered at EL{}), command line '{}'\n", (arm64_entry_el >> 2) & 3,
              args != nullptr ? args : "");

  firmware::FdtArmPlatform platform;
  (void)arm64::platform_init(options, platform);
  arm64::uart_init(platform.uart);
  arm64::psci_init(platform, options.verbose);
  if (!arm64::gic_init(platform, options.verbose)) baremetal::error("gic: no interrupt controller");
  arm64::timer_init(platform, options);
  arm64::gic_init_this_cpu();
  arm64::timer_init_this_cpu();
  if (options.verbose)
    core::print("cpu 0: mpidr {:x}, {}, counter {} Hz, midr {:x}\n", boot_mpidr, arm64::gic_name(), arm64::timer_hz(),
                LOCKSTEP_READ_SYSREG(midr_el1));
  baremetal::KernelInfo k;
  k.arch = "arm64";
  k.cycles_per_second = arm64::timer_hz();
  // Under TCG (and KVM) the vCPUs are host threads the host deschedules: counter time is not
  // the CPU's own, so the core's timing invariants would fail for reasons outside the kernel.
  k.check_timing = false;
  k.verbose = options.verbose;
  k.trace_records = options.trace_records;
  k.only_workload = options.workload[0] != '\0' ? options.workload : nullptr;
  k.ipi_bench = options.ipi_bench;
  if (options.fault_test) k.fault_on_purpose = &fault_on_purpose;
  baremetal::kernel_main(k);
}

extern "C" void ap_main_arm64(lockstep::arm64::ApStart* start) {
  using namespace lockstep;
  const auto cpu = static_cast<hal::CpuId>(start->cpu);
  arm64::gic_init_this_cpu();
  arm64::timer_init_this_cpu();
  reinterpret_cast<hal::CpuEntry>(start->entry)(cpu);
  hal::halt();
}
