#pragma once
// What the subcommands share: the machine flags, turning them into RunOptions, the command
// that reproduces a run, and the run summary.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <lockstep/emu/unicorn/machine.hpp>
#include <lockstep/sim/boot.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <string>

namespace lockstep::sim::cli {

/// The invocation as a whole (argv[0] names the binary in reproduction commands).
struct Context {
  std::string program;
};

/// A subcommand's action, run after parsing; returns the exit status.
using Action = std::function<int()>;

/// The schedule of a machine, emulated or Unicorn: how many CPUs, and who runs next.
struct ScheduleFlags {
  std::uint32_t cpus = 4;
  std::uint64_t seed = 1;
  std::string strategy = std::string(emu::to_string(emu::kDefaultSearchStrategy));
  std::uint32_t pct_depth = 3;
};

/// Adds --cpus (1..hal::kMaxCpus), --seed (if asked), --strategy (one of `strategies`), --pct-depth.
void add_schedule_flags(CLI::App& cmd, ScheduleFlags& flags, const std::vector<std::string>& strategies,
                        bool with_seed);

/// Flags that define a run on an emulated machine (shared by run, explore and view --live).
struct MachineFlags : ScheduleFlags {
  std::string scenario;
  std::uint64_t pct_horizon = 0;  ///< 0: measured (measure_pct_horizon).
  std::uint64_t max_steps = emu::MachineConfig{}.max_steps;
  std::uint64_t max_cycles = emu::MachineConfig{}.max_cycles;
  std::string schedule;           ///< A schedule file (emu::parse_schedule): replaces --strategy.
  std::string faults;
  std::string engine = "det";
  std::string lockdep = "on";
  std::string memory_model = "sc";
  std::string races = "auto";
};

/// Adds --scenario, --cpus, --strategy, --pct-depth, --pct-horizon, --max-steps, --max-cycles,
/// --faults, --lockdep, --memory-model, --races (and --seed, --engine, --schedule if asked).
void add_machine_flags(CLI::App& cmd, MachineFlags& flags, bool with_seed, bool with_engine,
                       bool scenario_required = true);

/// Validates the flags (unknown scenario, bad faults, unreadable schedule) and builds the run;
/// a PCT run without --pct-horizon gets a measured one. Throws InputError.
RunOptions run_options_from(const MachineFlags& flags);

/// The strategies a user may name, as CLI11 wants them: every one, or the Unicorn machine's.
std::vector<std::string> strategy_names();
std::vector<std::string> unicorn_strategy_names();

/// The `lockstep run ...` command line that reproduces `options` (shell-quoted); a schedule run
/// names `schedule_file`, where its schedule was written.
std::string repro_command(const Context& ctx, const RunOptions& options, const std::string& schedule_file = {});

/// An executable `name` on PATH.
bool on_path(const std::string& name);

/// Prints the summary of a finished run (core state must still be that run's).
void print_summary(std::FILE* out, const RunOptions& options, const ScenarioRun& run);

// Subcommands: each adds itself to `app` and returns its action.
Action add_run(CLI::App& app, const Context& ctx);
Action add_explore(CLI::App& app, const Context& ctx);
Action add_merge(CLI::App& app, const Context& ctx);
Action add_replay(CLI::App& app, const Context& ctx);
Action add_export(CLI::App& app, const Context& ctx);
Action add_scenarios(CLI::App& app, const Context& ctx);
Action add_demo(CLI::App& app, const Context& ctx);
Action add_boot(CLI::App& app, const Context& ctx);
Action add_view(CLI::App& app, const Context& ctx);
Action add_debug(CLI::App& app, const Context& ctx);

/// A kernel self-test on the Unicorn machine: its judged result, trace (lock addresses
/// numbered), and the machine's own result.
struct UnicornBoot {
  BootResult result;
  std::vector<std::vector<core::TraceRecord>> trace;
  std::vector<std::uint64_t> lost;
  std::string trace_error;
  emu::unicorn::Result machine;
};
UnicornBoot boot_on_unicorn(const std::string& kernel, std::uint32_t cpus, std::uint64_t seed, const std::string& strategy,
                            std::uint32_t pct_depth);
/// The lines that reproduce a Unicorn kernel run of `seed` and debug it in gdb
/// ("reproduce: ... boot ...", "debug: ... debug ..."); `kernel` empty: the default image.
void print_unicorn_reproduce(const Context& ctx, std::uint32_t cpus, std::uint64_t seed, const std::string& strategy,
                             const std::string& kernel);
/// The kernel image this build tree makes for `arch`.
std::string default_kernel_image(const std::string& arch);

/// `replay --ipis`: injects an IPI trace into an ipi-replay run. Returns the exit status.
int replay_ipis(const std::string& path, std::uint32_t cpus, std::uint64_t start);

}  // namespace lockstep::sim::cli
