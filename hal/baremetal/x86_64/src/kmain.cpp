// The boot CPU's C++ entry: hardware bring-up in dependency order, then the kernel program (kernel/).

#include <lockstep/baremetal/cmdline.hpp>
#include <lockstep/baremetal/entry.hpp>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

extern "C" {
using InitFunction = void (*)();
extern InitFunction __init_array_start[];
extern InitFunction __init_array_end[];
[[noreturn]] void kernel_main_x86(std::uint32_t start_info);
}

namespace lockstep::x86 {
namespace {

using baremetal::parse_number;
using baremetal::starts_with;

/// struct hvm_start_info (Xen public/arch-x86/hvm/start_info.h), the PVH boot protocol.
struct PvhStartInfo {
  std::uint32_t magic;  // kPvhMagic
  std::uint32_t version;
  std::uint32_t flags;
  std::uint32_t nr_modules;
  std::uint64_t modlist_paddr;
  std::uint64_t cmdline_paddr;
  std::uint64_t rsdp_paddr;
};
constexpr std::uint32_t kPvhMagic = 0x336ec578;

struct Options : baremetal::KernelOptions {
  bool force_xapic = false;  ///< lockstep.xapic: stay in xAPIC mode where x2APIC exists.
};

char g_cmdline[512];

/// lockstep.fault_test: an invalid opcode with recognisable registers.
[[noreturn]] void fault_on_purpose() {
  asm volatile("mov $0x1badc0de, %%rax; ud2" ::: "rax", "memory");
  __builtin_unreachable();
}

/// Kernel command line (QEMU -append): space-separated words, documented in docs/BAREMETAL.md.
Options parse_cmdline(const char* text) noexcept {
  Options o;
  baremetal::parse_kernel_options(text, o, [&](const char* word) {
    const char* rest = nullptr;
    if (starts_with(word, "lockstep.xapic", &rest)) o.force_xapic = true;
  });
  return o;
}

}  // namespace
}  // namespace lockstep::x86

extern "C" void kernel_main_x86(std::uint32_t start_info_phys) {
  using namespace lockstep;
  for (InitFunction* f = __init_array_start; f != __init_array_end; ++f) (*f)();
  x86::serial_init();
  x86::cpu_local_init(0, 0);
  x86::idt_init();
  x86::idt_load();

  std::uint64_t rsdp_hint = 0;
  const auto* info = reinterpret_cast<const x86::PvhStartInfo*>(static_cast<std::uintptr_t>(start_info_phys));
  if (info != nullptr && info->magic == x86::kPvhMagic) {
    rsdp_hint = info->rsdp_paddr;
    if (info->cmdline_paddr != 0 && info->cmdline_paddr < (1ull << 32))
      core::copy_string(x86::g_cmdline, sizeof x86::g_cmdline,
                        reinterpret_cast<const char*>(static_cast<std::uintptr_t>(info->cmdline_paddr)));
  }
  const x86::Options options = x86::parse_cmdline(x86::g_cmdline);
  core::print("lockstep x86_64 kernel (PVH entry), command line '{}'\n", x86::g_cmdline);

  (void)x86::acpi_enumerate(rsdp_hint, options.verbose, options.extra_cpu, options.has_extra_cpu);
  const hal::HwId boot_hw = hal::platform_cpus()[0].hw_id;
  x86::cpu_local_init(0, boot_hw);
  x86::apic_init_boot(options.verbose, options.force_xapic);
  x86::apic_init_this_cpu();
  const std::uint32_t lapic_id = x86::apic_id();
  if (lapic_id != boot_hw) baremetal::warning("LAPIC id register {} differs from CPUID APIC id {}", lapic_id, boot_hw);
  if (options.verbose)
    core::print("apic: boot CPU LAPIC id {} (CPUID {}), version {:x}, mode {}\n", lapic_id, boot_hw, x86::apic_version(),
                x86::apic_x2() ? "x2APIC" : "xAPIC");
  x86::timer_calibrate(options.verbose);
  x86::smp_init();

  baremetal::KernelInfo k;
  k.arch = "x86_64";
  k.cycles_per_second = x86::tsc_hz();
  // Under a hypervisor the vCPUs are host threads the host deschedules: TSC time is not the
  // CPU's own, so the core's timing invariants would fail for reasons outside the kernel.
  k.check_timing = (x86::cpuid(1).ecx & x86::kCpuid1EcxHypervisor) == 0;
  k.verbose = options.verbose;
  k.trace_records = options.trace_records;
  k.only_workload = options.workload[0] != '\0' ? options.workload : nullptr;
  k.ipi_bench = options.ipi_bench;
  if (options.fault_test) k.fault_on_purpose = &x86::fault_on_purpose;
  baremetal::kernel_main(k);
}
