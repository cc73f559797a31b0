#pragma once
// The Unicorn machine: the ARM64 bare-metal image itself, on N Unicorn Engine CPUs sharing one
// memory, under a seeded scheduler, so a bare-metal run is reproducible bit for bit.

#include <cstdint>
#include <functional>
#include <lockstep/emu/config.hpp>
#include <span>
#include <string>
#include <vector>

namespace lockstep::emu::unicorn {

/// The strategies the machine schedules by. It sees time slices, not the memory operations POS
/// and schedule files name.
constexpr bool supports_strategy(Strategy s) noexcept {
  return s == Strategy::kRandom || s == Strategy::kPct || s == Strategy::kRoundRobin;
}

struct MachineConfig {
  std::string image;                      ///< Path of the ARM64 kernel ELF.
  hal::CpuId cpus = 4;                    ///< 1..8 (GICv2 limit).
  std::uint64_t seed = 1;
  Strategy strategy = Strategy::kRandom;
  std::uint32_t pct_depth = 3;
  std::uint64_t pct_horizon = 20'000;     ///< Slices over which PCT spreads its change points.
  std::uint64_t slice_min = 2'000;        ///< Instructions per time slice (seeded in [min, max];
  std::uint64_t slice_max = 20'000;       ///<   round-robin uses slice_max).
  std::uint64_t max_instructions = 4'000'000'000;  ///< Liveness guard, all CPUs together.
  std::uint64_t max_slices = 20'000'000;           ///< Liveness guard.
  std::size_t ram_bytes = 256u << 20;
  bool echo_console = false;
};

enum class Status : std::uint8_t {
  kPoweredOff,        ///< PSCI SYSTEM_OFF / SYSTEM_RESET or semihosting exit.
  kDeadlock,          ///< Every CPU parked in wfi with nothing that could wake it.
  kInstructionLimit,  ///< Liveness guard.
  kGuestError,        ///< An exception the kernel could not take (no vectors), unmapped access.
  kBadImage,          ///< The ELF could not be loaded (the report says why).
};
std::string_view to_string(Status s) noexcept;

struct CpuReport {
  std::string state;
  std::uint64_t instructions = 0;
  std::uint64_t pc = 0;
};

struct Result {
  Status status = Status::kBadImage;
  int exit_code = -1;             ///< Semihosting SYS_EXIT status, if the guest used it.
  std::string console;            ///< PL011 output (bounded; console_dropped counts the rest).
  std::uint64_t console_dropped = 0;
  std::string report;             ///< Why it stopped and every CPU's state.
  std::uint64_t instructions = 0;
  std::uint64_t slices = 0;
  std::uint64_t schedule_hash = 0;  ///< FNV-1a over every scheduling decision.
  std::vector<CpuReport> cpus;
  double host_seconds = 0;
};

/// Read access to guest memory and the image's symbols, valid during the finish callback.
class GuestView {
 public:
  virtual ~GuestView() = default;
  /// Copies `out.size()` bytes from guest physical address `addr`; false if outside RAM.
  virtual bool read(std::uint64_t addr, std::span<std::byte> out) const = 0;
  /// The address of ELF symbol `name`, or 0.
  virtual std::uint64_t symbol(const std::string& name) const = 0;
};

/// Runs the image to the end. `on_finish` (optional) sees guest memory before it is released.
Result run(const MachineConfig& config, const std::function<void(const GuestView&)>& on_finish = {});

}  // namespace lockstep::emu::unicorn
