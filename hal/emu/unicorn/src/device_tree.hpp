#pragma once
// The device tree describing exactly the Unicorn machine, in QEMU virt's shape so that the
// kernel's FDT code reads it as it reads QEMU's.

#include <cstdint>
#include <vector>

namespace lockstep::emu::unicorn {

inline constexpr std::uint64_t kRamBase = 0x40000000;  // QEMU virt memory map.
inline constexpr std::uint64_t kUartBase = 0x09000000;
inline constexpr std::uint32_t kPsciVersion = 0x00010000;  // PSCI 1.0: what PSCI_VERSION returns.

/// MPIDR affinity of logical CPU `cpu` (Aff0 = cpu % 16, Aff1 = cpu / 16, as QEMU).
constexpr std::uint64_t mpidr_affinity(std::uint32_t cpu) noexcept {
  return (std::uint64_t{cpu / 16} << 8) | (cpu % 16);
}

/// A flattened device tree blob for `cpus` CPUs and `ram_bytes` of RAM.
std::vector<std::uint8_t> build_device_tree(std::uint32_t cpus, std::uint64_t ram_bytes);

}  // namespace lockstep::emu::unicorn
