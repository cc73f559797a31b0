#pragma once
// Everything that determines a run of an emulated machine. Strategy, seed and this
// configuration together fix the run bit for bit (deterministic engine).

#include <cstdint>
#include <lockstep/hal/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::emu {

enum class Strategy : std::uint8_t {
  kRoundRobin,  ///< Rotate through runnable vCPUs, `rr_quantum` scheduling points each.
  kRandom,      ///< Uniformly random runnable vCPU at every scheduling point.
  kPct,         ///< Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010), depth d.
  kPos,         ///< Partial Order Sampling (Yuan et al., CAV 2018).
  kSchedule,    ///< Replay MachineConfig::schedule on top of the default schedule.
};

/// The strategies a user may choose, in the order the CLI lists them.
inline constexpr std::string_view kStrategyNames[] = {"pos", "random", "pct", "rr", "schedule"};

/// What `run` and `explore` use when no strategy is named: the one that won the bug-finding
/// benchmark (docs/PERFORMANCE.md, "Bug-finding power"; tests/search holds it to that).
inline constexpr Strategy kDefaultSearchStrategy = Strategy::kPos;

std::string_view to_string(Strategy s) noexcept;
std::optional<Strategy> parse_strategy(std::string_view name) noexcept;

/// The memory model of the deterministic engine's hal::Atomic operations (docs/ARCHITECTURE.md,
/// "Memory models").
enum class MemoryModel : std::uint8_t {
  kSc,   ///< Sequentially consistent: every operation reaches memory at its scheduling point.
  kTso,  ///< x86-TSO: a FIFO store buffer per vCPU, drained at seeded moments and by barriers.
  kArm,  ///< ARMv8 as the C++ orders allow: loads may read older stores their view permits.
};
inline constexpr std::string_view kMemoryModelNames[] = {"sc", "tso", "arm"};
/// The arm model and the race detector keep a vector clock per vCPU in every store they follow;
/// past this many vCPUs that costs more than the search gains (a machine of 64 is the most the
/// suite's races are hunted on).
inline constexpr hal::CpuId kMaxViewCpus = 64;

/// Who made a tracked access (hal::Tracked), for a race report: the core's task on the vCPU
/// and the locks it held, as the machine's owner knows them (MachineConfig::describe_access).
struct AccessContext {
  static constexpr std::uint32_t kNoTask = ~std::uint32_t{0};
  static constexpr std::uint32_t kMaxLocks = 4;
  static constexpr std::uint32_t kLocksUnknown = ~std::uint32_t{0};  ///< Nobody tracks them.
  std::uint32_t task = kNoTask;
  std::uint32_t lock_count = 0;  ///< May exceed kMaxLocks: only the first ones are named.
  const char* locks[kMaxLocks] = {};
};
std::string_view to_string(MemoryModel m) noexcept;
std::optional<MemoryModel> parse_memory_model(std::string_view name) noexcept;

/// Virtual cycles charged by the deterministic engine. Documented in docs/ARCHITECTURE.md.
struct CostModel {
  hal::Cycles atomic_op = 2;
  hal::Cycles relax = 10;
  hal::Cycles hal_call = 5;
  hal::Cycles ipi_send = 50;
  hal::Cycles ipi_latency = 200;   ///< From send to earliest delivery on the target.
  hal::Cycles irq_entry = 100;     ///< Charged to the interrupted vCPU per delivered vector.
  hal::Cycles wfi = 20;
  hal::Cycles cpu_start = 1000;    ///< From start_cpu() to the first instruction of the target.
};

/// Seeded faults. Probabilities are in parts per million of IPIs sent.
struct FaultConfig {
  std::uint32_t delay_ipi_ppm = 0;
  hal::Cycles delay_ipi_cycles = 5000;
  std::uint32_t duplicate_ipi_ppm = 0;
  std::uint32_t lose_ipi_ppm = 0;  ///< Explicit, separate: proves the explorer finds lost wake-ups.
  std::vector<hal::CpuId> fail_start;  ///< These CPUs accept start_cpu() but never run.
  struct Unplug {
    hal::CpuId cpu;
    hal::Cycles at;
  };
  std::vector<Unplug> unplug;      ///< Raise `unplug_vector` on `cpu` once its clock reaches `at`.
  hal::Vector unplug_vector = 0;

  bool any() const noexcept {
    return delay_ipi_ppm || duplicate_ipi_ppm || lose_ipi_ppm || !fail_start.empty() || !unplug.empty();
  }
};

/// Parses a fault spec such as "delay-ipi=0.1:5000,dup-ipi=0.05,lose-ipi=0.01,fail-start=3,
/// unplug=2@10000" (probabilities as fractions, delay in cycles after ':'). On error returns
/// nullopt and sets `error` to a message naming the offending item.
std::optional<FaultConfig> parse_faults(std::string_view spec, std::string& error);

/// The canonical text of a fault configuration; parse_faults(format_faults(f)) == f.
std::string format_faults(const FaultConfig& f);

/// An interrupt raised on `cpu` by the machine itself once that CPU's clock reaches `at` (IPI
/// trace replay; hot-unplug requests). Delivered like any other vector.
struct Injection {
  hal::CpuId cpu;
  hal::Cycles at;
  hal::Vector vector;
};

/// One decision where a run departs from the *default schedule*: keep running the current vCPU
/// unless it spins or cannot run, then take the next runnable vCPU in id order. At scheduling
/// point `step` (1-based, counting every point of the run) vCPU `cpu` runs. Any run is its list
/// of decisions replayed on the default schedule; a shrunk failure is a short such list.
struct Decision {
  std::uint64_t step = 0;
  hal::CpuId cpu = 0;
  // Where it happened, for people and the trace viewer (recorded, not replayed):
  bool preemption = false;  ///< The vCPU it displaced could have gone on.
  hal::CpuId from = 0;      ///< The vCPU that was running.
  std::uint64_t time = 0;   ///< That vCPU's clock, cycles (0: not known).
  bool operator==(const Decision& o) const noexcept { return step == o.step && cpu == o.cpu; }
};

/// Parses the text form of a schedule: one "STEP CPU" pair per line, '#' starts a comment.
/// Steps must increase. On error returns nullopt and sets `error` naming the line. A comment
/// as format_schedule writes it gives back `preemption`, `from` and `time`.
std::optional<std::vector<Decision>> parse_schedule(std::string_view text, std::string& error);

/// The text form parse_schedule reads, with a comment per line saying what kind it is and,
/// when known, which vCPU ran and its clock: "1169 1  # preemption: cpu 0 at cycle 2042".
std::string format_schedule(const std::vector<Decision>& schedule);

/// The ranges of the settable fields. The CLI's flags and the trace reader both check these,
/// so a value refused on the command line is refused in a trace header too.
struct Limits {
  static constexpr std::uint32_t kMaxPctDepth = 64;
  static constexpr std::uint64_t kMaxPctHorizon = std::uint64_t{1} << 40;
  static constexpr std::uint64_t kMaxSteps = std::uint64_t{1} << 48;
  static constexpr hal::Cycles kMaxCycles = hal::Cycles{1} << 60;
};

struct MachineConfig {
  hal::CpuId cpus = 4;
  std::uint64_t seed = 1;
  Strategy strategy = Strategy::kRandom;
  std::uint32_t pct_depth = 3;
  std::uint64_t pct_horizon = 2'000;  ///< k: progress steps over which PCT spreads its d-1 change points.
  std::uint32_t rr_quantum = 1;
  std::uint64_t max_steps = 50'000'000;    ///< Liveness guard: scheduling points.
  hal::Cycles max_cycles = 10'000'000'000; ///< Liveness guard: virtual cycles of any vCPU.
  double max_seconds = 120;                ///< Liveness guard of the parallel engine (host time).
  CostModel costs;
  FaultConfig faults;
  std::vector<Injection> injections;
  std::vector<Decision> schedule;  ///< Strategy::kSchedule: the decisions to replay.
  MemoryModel memory_model = MemoryModel::kSc;  ///< Deterministic engine only.
  /// The happens-before race detector over hal::Tracked data (deterministic engine only, at
  /// most kMaxViewCpus vCPUs): the first race ends the run (RunStatus::kDataRace).
  bool races = false;
  /// Asked at each tracked access with the race detector on, on the vCPU making it; must not
  /// make scheduling points.
  void (*describe_access)(AccessContext& out) = nullptr;
  bool record_decisions = false;   ///< Return the run's decisions (shrinking, --schedule files).
  /// Asked when a vCPU halts; true ends the run at once (RunStatus::kHaltStop). The driver ends
  /// the run on a panic, as the kernels do, instead of letting the others spin until a limit.
  bool (*stop_on_halt)() = nullptr;
  /// While a debugger watches for an event (emu/debug_hook.hpp), asked at every scheduling point
  /// with the vCPU performing it: true if that vCPU did what is awaited since its last point.
  /// Never asked otherwise; it must not make scheduling points.
  bool (*debug_probe)(hal::CpuId cpu) = nullptr;
  bool record_events = false;  ///< Keep the engine event log (tests, replay checks).
  bool echo_console = false;   ///< Copy console output to stderr as it is written.
  std::size_t boot_stack_size = 256 * 1024;
};

}  // namespace lockstep::emu
