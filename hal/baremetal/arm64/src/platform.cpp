// The platform from the flattened device tree (through the portable parser in core/firmware),
// the kernel command line (/chosen bootargs), and the per-CPU blocks behind TPIDR_EL1.

#include <lockstep/baremetal/cmdline.hpp>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/firmware/fdt.hpp>
#include <lockstep/firmware/fdt_platform.hpp>
#include <lockstep/hal/hal.hpp>
#include <lockstep/hal_backend/cpu_local.hpp>

#include "arch.hpp"

extern "C" char __kernel_start[];

namespace lockstep::arm64 {
namespace {

using baremetal::parse_number;
using baremetal::starts_with;

/// QEMU virt: for an ELF kernel the tree sits at the base of RAM and x0 is 0 (FACTS).
constexpr std::uintptr_t kDefaultDtb = 0x40000000;

hal::baremetal::CpuLocal g_local[hal::kMaxCpus];
hal::CpuDescriptor g_platform[hal::kMaxCpus];
hal::CpuId g_platform_count = 0;
firmware::FdtCpu g_fdt_cpus[hal::kMaxCpus];
firmware::Fdt g_fdt;

const char* gic_version_name(firmware::GicVersion v) noexcept {
  return v == firmware::GicVersion::kV2 ? "GICv2" : v == firmware::GicVersion::kV3 ? "GICv3" : "none";
}

/// Reads the header at `dtb` and opens the blob it describes, bounded by the kernel image.
firmware::FdtStatus open_tree(std::uintptr_t dtb) noexcept {
  const auto limit = reinterpret_cast<std::uintptr_t>(__kernel_start);
  if (dtb == 0 || dtb >= limit || limit - dtb < firmware::kFdtHeaderSize) return firmware::FdtStatus::kTruncated;
  const auto* header = reinterpret_cast<const std::byte*>(dtb);
  const firmware::FdtBytes head(header, firmware::kFdtHeaderSize);
  const std::uint32_t total = (std::to_integer<std::uint32_t>(head[4]) << 24) | (std::to_integer<std::uint32_t>(head[5]) << 16) |
                              (std::to_integer<std::uint32_t>(head[6]) << 8) | std::to_integer<std::uint32_t>(head[7]);
  const std::size_t available = limit - dtb;
  return g_fdt.open(firmware::FdtBytes(header, total < available ? total : available));
}

}  // namespace

Options parse_options(const char* text) noexcept {
  Options o;
  baremetal::parse_kernel_options(text, o, [&](const char* word) {
    const char* rest = nullptr;
    if (starts_with(word, "lockstep.timer=phys", &rest)) o.physical_timer = true;
  });
  return o;
}

/// Opens the device tree and reads the platform. Returns false (after printing why) when the
/// tree is unusable; `out` then holds QEMU virt's defaults and only the boot CPU is listed.
bool platform_init(const Options& options, firmware::FdtArmPlatform& out) noexcept {
  const hal::HwId boot_id = LOCKSTEP_READ_SYSREG(mpidr_el1) & firmware::kMpidrAffinityMask;
  g_platform[0] = hal::CpuDescriptor{boot_id, true};
  g_platform_count = 1;
  const firmware::FdtStatus fs = open_tree(kDefaultDtb);
  firmware::FdtPlatformStatus ps = firmware::FdtPlatformStatus::kNoCpus;
  if (fs == firmware::FdtStatus::kOk) ps = firmware::parse_arm_platform(g_fdt, out, g_fdt_cpus);
  if (options.verbose) {
    const firmware::FdtHeader& h = g_fdt.header();
    core::print("fdt: tree at {:x}: {} (size {}, version {}, boot cpu {})\n", kDefaultDtb, firmware::fdt_status_name(fs),
                h.totalsize, h.version, h.boot_cpuid_phys);
  }
  if (fs != firmware::FdtStatus::kOk ||
      (ps != firmware::FdtPlatformStatus::kOk && ps != firmware::FdtPlatformStatus::kTooMany &&
       ps != firmware::FdtPlatformStatus::kNoPsci)) {
    if (fs != firmware::FdtStatus::kOk)
      baremetal::error("fdt: no usable device tree at {:x} ({}); QEMU virt defaults, boot CPU only", kDefaultDtb,
                       firmware::fdt_status_name(fs));
    else
      baremetal::error("fdt: {} ({}); QEMU virt defaults, boot CPU only", firmware::fdt_platform_status_name(ps),
                       out.what);
    out = firmware::FdtArmPlatform{};
    out.gic = firmware::GicVersion::kV2;
    out.gicd = {0x08000000, 0x10000};
    out.gicc = {0x08010000, 0x10000};
    out.psci = firmware::PsciConduit::kHvc;
    out.psci_0_2 = true;
    out.uart = kDefaultUart;
    return false;
  }
  if (ps == firmware::FdtPlatformStatus::kTooMany)
    baremetal::warning("fdt: {} CPUs beyond the kernel's {} ignored", out.cpus_dropped, hal::kMaxCpus);
  if (ps == firmware::FdtPlatformStatus::kNoPsci)
    baremetal::error("fdt: {}; secondary CPUs cannot be started", out.what);

  bool boot_listed = false;
  for (std::uint32_t i = 0; i < out.cpus; ++i) {
    const firmware::FdtCpu& c = g_fdt_cpus[i];
    if (options.verbose)
      core::print("fdt: cpu {} mpidr {:x} status {} enable-method {}\n", i, c.mpidr, c.enabled ? "okay" : "disabled",
                  c.psci ? "psci" : "other");
    if (c.mpidr == boot_id) {
      boot_listed = true;
      continue;
    }
    if (g_platform_count < hal::kMaxCpus) g_platform[g_platform_count++] = hal::CpuDescriptor{c.mpidr, c.enabled};
  }
  if (!boot_listed) baremetal::warning("boot CPU mpidr {:x} is not in the device tree", boot_id);
  if (options.has_extra_cpu && g_platform_count < hal::kMaxCpus) {
    core::print("fdt: adding CPU mpidr {:x} the machine does not list (lockstep.extra_cpu)\n", options.extra_cpu);
    g_platform[g_platform_count++] = hal::CpuDescriptor{options.extra_cpu & firmware::kMpidrAffinityMask, true};
  }
  if (options.verbose) {
    for (std::uint32_t i = 0; i < out.memory_ranges; ++i)
      core::print("fdt: memory {:x}-{:x}\n", out.memory[i].base, out.memory[i].base + out.memory[i].size - 1);
    core::print("fdt: {} at distributor {:x}, {} {:x} (size {:x}, {} region(s))\n", gic_version_name(out.gic), out.gicd.base,
                out.gic == firmware::GicVersion::kV2 ? "cpu interface" : "redistributors",
                out.gic == firmware::GicVersion::kV2 ? out.gicc.base : out.gicr.base,
                out.gic == firmware::GicVersion::kV2 ? out.gicc.size : out.gicr.size, out.gicr_regions);
    core::print("fdt: timer PPIs (INTID) secure-phys {} phys {} virt {} hyp {}; pl011 at {:x}; bootargs '{}'\n",
                out.timer_intid[0], out.timer_intid[1], out.timer_intid[2], out.timer_intid[3], out.uart,
                out.bootargs != nullptr ? out.bootargs : "");
  }
  return true;
}

/// The kernel command line from the tree, before platform_init() (which needs the options).
const char* early_bootargs() noexcept {
  if (open_tree(kDefaultDtb) != firmware::FdtStatus::kOk) return nullptr;
  const firmware::FdtNode chosen = g_fdt.find_path("/chosen");
  firmware::FdtBytes v;
  if (chosen == firmware::kFdtNoNode || !g_fdt.property(chosen, "bootargs", v)) return nullptr;
  return firmware::fdt_string(v);
}

void cpu_local_init(hal::CpuId cpu, hal::HwId hw) noexcept {
  hal::baremetal::CpuLocal& l = g_local[cpu];
  l.self = &l;
  l.id = cpu;
  l.hw_id = hw;
  LOCKSTEP_WRITE_SYSREG(tpidr_el1, reinterpret_cast<std::uint64_t>(&l));
}

void* cpu_local_of(hal::CpuId cpu) noexcept {
  hal::baremetal::CpuLocal& l = g_local[cpu];
  l.self = &l;
  l.id = cpu;
  l.hw_id = g_platform[cpu].hw_id;
  return &l;
}

hal::CpuId platform_cpu_count() noexcept { return g_platform_count; }
hal::HwId platform_hw_id(hal::CpuId cpu) noexcept { return cpu < g_platform_count ? g_platform[cpu].hw_id : ~hal::HwId{0}; }

}  // namespace lockstep::arm64

namespace lockstep::hal {

std::span<const CpuDescriptor> platform_cpus() noexcept { return {::lockstep::arm64::g_platform, ::lockstep::arm64::g_platform_count}; }

void set_percpu_base(void* base) noexcept { arm64::cpu_local()->core_percpu = base; }

}  // namespace lockstep::hal
