#pragma once
// A GICv2 distributor and CPU interface, enough for a kernel's SGIs (IPIs), the timer PPIs,
// priorities, acknowledge and end-of-interrupt. Shared peripheral interrupts are accepted and
// never raised. Register offsets: Arm GIC Architecture Specification v2, 4.1.2 and 4.1.3.

#include <array>
#include <cstdint>

namespace lockstep::emu::unicorn {

inline constexpr std::uint64_t kGicDistBase = 0x08000000;  // QEMU virt memory map.
inline constexpr std::uint64_t kGicCpuBase = 0x08010000;
inline constexpr std::uint64_t kGicRegionSize = 0x10000;
inline constexpr std::uint32_t kGicMaxCpus = 8;
inline constexpr std::uint32_t kSpuriousIntid = 1023;
inline constexpr std::uint32_t kVirtualTimerPpi = 27;   // PPI 11; Arm ARM D11.2.4 / SBSA.
inline constexpr std::uint32_t kPhysicalTimerPpi = 30;  // PPI 14.

class GicV2 {
 public:
  explicit GicV2(std::uint32_t cpus) noexcept : cpus_(cpus) {}

  std::uint64_t dist_read(std::uint32_t cpu, std::uint64_t offset, unsigned size) const noexcept;
  void dist_write(std::uint32_t cpu, std::uint64_t offset, unsigned size, std::uint64_t value) noexcept;
  std::uint64_t cpu_read(std::uint32_t cpu, std::uint64_t offset, unsigned size) noexcept;
  void cpu_write(std::uint32_t cpu, std::uint64_t offset, unsigned size, std::uint64_t value) noexcept;

  /// Level of a private peripheral interrupt line (the timers).
  void set_ppi_level(std::uint32_t cpu, std::uint32_t intid, bool high) noexcept;

  /// True when the CPU's IRQ line is asserted (something it would take if PSTATE.I were clear).
  bool irq_asserted(std::uint32_t cpu) const noexcept;

 private:
  struct Cpu {
    std::uint32_t enabled = 0;   ///< Banked ISENABLER0: SGIs and PPIs.
    std::uint32_t pending = 0;   ///< SGI (any source) and edge/level PPI pending.
    std::uint32_t active = 0;
    std::uint32_t level = 0;     ///< PPI input levels.
    std::array<std::uint8_t, 16> sgi_sources{};  ///< Bit per source CPU, per SGI.
    std::array<std::uint8_t, 32> priority{};
    bool enabled_iface = false;
    std::uint8_t pmr = 0;
  };

  /// Highest-priority interrupt the CPU could take now, or kSpuriousIntid.
  std::uint32_t best_candidate(const Cpu& c) const noexcept;
  void raise_sgi(std::uint32_t from, std::uint32_t to, std::uint32_t sgi) noexcept;

  std::uint32_t cpus_;
  bool dist_enabled_ = false;
  std::array<Cpu, kGicMaxCpus> cpu_{};
};

}  // namespace lockstep::emu::unicorn
