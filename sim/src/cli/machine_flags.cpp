#include <fmt/format.h>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/scenario.hpp>

#include "common.hpp"

namespace lockstep::sim::cli {
namespace {

/// Single-quotes `s` for a POSIX shell when it holds anything but safe characters.
std::string shell_quote(const std::string& s) {
  const bool safe = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                      "-_./=:,@+%") == std::string::npos;
  if (safe) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void add_machine_flags(CLI::App& cmd, MachineFlags& f, bool with_seed, bool with_engine, bool scenario_required) {
  auto* scenario = cmd.add_option("--scenario", f.scenario, "Scenario to run (see `lockstep scenarios`)");
  if (scenario_required) scenario->required();
  cmd.add_option("--cpus", f.cpus, "Number of emulated CPUs")->check(CLI::Range(1u, 1024u))->capture_default_str();
  if (with_seed) cmd.add_option("--seed", f.seed, "Seed of the schedule and the faults")->capture_default_str();
  cmd.add_option("--strategy", f.strategy, "Schedule strategy: random, pct or rr")
      ->check(CLI::IsMember({"random", "pct", "rr"}))
      ->capture_default_str();
  cmd.add_option("--pct-depth", f.pct_depth, "PCT bug depth d (priority change points + 1)")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd.add_option("--faults", f.faults,
                 "Seeded faults, e.g. delay-ipi=0.1:5000,dup-ipi=0.05,lose-ipi=0.01,fail-start=3,unplug=2@10000");
  if (with_engine)
    cmd.add_option("--engine", f.engine, "det (deterministic, default) or parallel (host threads, not reproducible)")
        ->check(CLI::IsMember({"det", "parallel"}))
        ->capture_default_str();
}

RunOptions run_options_from(const MachineFlags& f) {
  if (find_scenario(f.scenario) == nullptr)
    throw InputError(fmt::format("unknown scenario '{}' (`lockstep scenarios` lists them)", f.scenario));
  RunOptions o;
  o.scenario = f.scenario;
  o.machine.cpus = f.cpus;
  o.machine.seed = f.seed;
  const auto strategy = emu::parse_strategy(f.strategy);
  if (!strategy) throw InputError(fmt::format("unknown strategy '{}'", f.strategy));
  o.machine.strategy = *strategy;
  o.machine.pct_depth = f.pct_depth;
  if (!f.faults.empty()) {
    std::string error;
    const auto faults = emu::parse_faults(f.faults, error);
    if (!faults) throw InputError(fmt::format("bad --faults '{}': {}", f.faults, error));
    o.machine.faults = *faults;
  }
  o.engine = f.engine == "parallel" ? Engine::kParallel : Engine::kDeterministic;
  return o;
}

std::string repro_command(const Context& ctx, const RunOptions& o) {
  std::string cmd = fmt::format("{} run --scenario {} --cpus {} --seed {} --strategy {}", shell_quote(ctx.program),
                                shell_quote(o.scenario), o.machine.cpus, o.machine.seed, emu::to_string(o.machine.strategy));
  if (o.machine.strategy == emu::Strategy::kPct) cmd += fmt::format(" --pct-depth {}", o.machine.pct_depth);
  if (o.machine.faults.any()) cmd += " --faults " + shell_quote(emu::format_faults(o.machine.faults));
  return cmd;
}

}  // namespace lockstep::sim::cli
