#pragma once
// What an arm64 kernel needs from a validated device tree: memory, CPUs (reg = MPIDR
// affinity), the interrupt controller (GICv2 or GICv3), the architected timer, the PL011 UART,
// PSCI with its conduit, and the kernel command line. Portable and freestanding like fdt.hpp;
// the kernel and the host tests run the same code.

#include <cstdint>
#include <lockstep/firmware/fdt.hpp>
#include <span>

namespace lockstep::firmware {

enum class FdtPlatformStatus : std::uint8_t {
  kOk,
  kNoCpus,        ///< No /cpus node or no usable cpu node in it.
  kBadCpu,        ///< A cpu node without a readable "reg" (FdtArmPlatform::what says which).
  kTooMany,       ///< More CPUs than the caller's array (the array is filled, the rest counted).
  kNoGic,         ///< No GICv2/GICv3 node, or one whose "reg" is unreadable.
  kNoPsci,        ///< No PSCI node with a usable "method" (CPUs other than the boot CPU cannot start).
};

const char* fdt_platform_status_name(FdtPlatformStatus s) noexcept;

enum class GicVersion : std::uint8_t { kNone, kV2, kV3 };
enum class PsciConduit : std::uint8_t { kNone, kHvc, kSmc };

struct FdtRange {
  std::uint64_t base = 0;
  std::uint64_t size = 0;
};

struct FdtCpu {
  std::uint64_t mpidr = 0;   ///< "reg": MPIDR_EL1 affinity bits (Aff3 in 39:32, Aff2..Aff0).
  bool enabled = true;       ///< "status" absent or "okay"/"ok".
  bool psci = false;         ///< enable-method = "psci".
};

inline constexpr std::size_t kFdtMaxMemoryRanges = 8;

struct FdtArmPlatform {
  FdtRange memory[kFdtMaxMemoryRanges];
  std::uint32_t memory_ranges = 0;

  std::uint32_t cpus = 0;           ///< Entries written to the caller's array.
  std::uint32_t cpus_dropped = 0;   ///< Did not fit (status kTooMany).
  std::uint32_t cpus_disabled = 0;  ///< Listed with status "disabled" (still written, enabled = false).

  GicVersion gic = GicVersion::kNone;
  FdtRange gicd;                    ///< Distributor.
  FdtRange gicc;                    ///< GICv2 CPU interface.
  FdtRange gicr;                    ///< GICv3: the first redistributor region.
  std::uint32_t gicr_regions = 0;   ///< "#redistributor-regions" (1 if absent).
  std::uint64_t gicr_stride = 0;    ///< "redistributor-stride" (0: the architected 128 KiB / 256 KiB).

  bool timer = false;               ///< An "arm,armv8-timer"/"arm,armv7-timer" node.
  /// The timer's interrupts as GIC INTIDs (PPI n = INTID 16 + n), in binding order: secure
  /// physical, non-secure physical, virtual, hypervisor. 0 where the node lists fewer.
  std::uint32_t timer_intid[4] = {};
  std::uint32_t timer_frequency = 0;  ///< "clock-frequency" if the firmware set one (else CNTFRQ).

  PsciConduit psci = PsciConduit::kNone;
  bool psci_0_2 = false;            ///< Compatible with "arm,psci-0.2" or later: standard function ids.
  std::uint32_t psci_cpu_on = 0;    ///< PSCI 0.1 "cpu_on" function id (0 if absent).
  std::uint32_t psci_cpu_off = 0;   ///< PSCI 0.1 "cpu_off" function id (0 if absent).

  std::uint64_t uart = 0;           ///< PL011 base: /chosen "stdout-path" if it names one, else the first "arm,pl011".
  const char* bootargs = nullptr;   ///< /chosen "bootargs" (inside the blob), or nullptr.

  const char* what = "";            ///< On a non-kOk status: which node or property was wrong.
};

/// Extracts the platform from `fdt` (opened with kOk). CPUs go into `cpus` in tree order. The
/// first error wins and names itself in `what`; fields found before it stay filled. Missing
/// optional parts (timer, UART, bootargs) are not errors: their fields stay zero.
FdtPlatformStatus parse_arm_platform(const Fdt& fdt, FdtArmPlatform& out, std::span<FdtCpu> cpus) noexcept;

/// MPIDR_EL1 affinity fields of a value (Arm ARM D17.2.101): Aff3 39:32, Aff2 23:16, Aff1 15:8,
/// Aff0 7:0. The mask keeps only those.
inline constexpr std::uint64_t kMpidrAffinityMask = 0xff00ffffffULL;

}  // namespace lockstep::firmware
