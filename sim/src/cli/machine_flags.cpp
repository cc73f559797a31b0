#include <fmt/format.h>
#include <fstream>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/pct_horizon.hpp>
#include <lockstep/sim/repro.hpp>
#include <lockstep/sim/scenario.hpp>
#include <sstream>

#include "common.hpp"

namespace lockstep::sim::cli {
namespace {

std::vector<emu::Decision> read_schedule_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("cannot open schedule '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  std::string error;
  auto schedule = emu::parse_schedule(text.str(), error);
  if (!schedule) throw InputError(fmt::format("{}: {}", path, error));
  return std::move(*schedule);
}

const char* strategy_summary(std::string_view name) {
  if (name == "pos") return "partial order sampling";
  if (name == "random") return "random walk";
  if (name == "pct") return "probabilistic concurrency testing";
  if (name == "rr") return "round robin";
  return "replays --schedule";
}

}  // namespace

std::vector<std::string> strategy_names() {
  return {std::begin(emu::kStrategyNames), std::end(emu::kStrategyNames)};
}

std::vector<std::string> unicorn_strategy_names() {
  std::vector<std::string> names;
  for (const std::string& n : strategy_names())
    if (emu::unicorn::supports_strategy(*emu::parse_strategy(n))) names.push_back(n);
  return names;
}

void add_schedule_flags(CLI::App& cmd, ScheduleFlags& f, const std::vector<std::string>& strategies, bool with_seed) {
  cmd.add_option("--cpus", f.cpus, "Number of CPUs")->check(CLI::Range(1u, hal::kMaxCpus))->capture_default_str();
  if (with_seed) cmd.add_option("--seed", f.seed, "Seed of the schedule (and the faults)")->capture_default_str();
  std::string help = "Schedule strategy:";
  for (const std::string& s : strategies) help += fmt::format(" {} ({}),", s, strategy_summary(s));
  help.back() = '.';
  cmd.add_option("--strategy", f.strategy, help)->check(CLI::IsMember(strategies))->capture_default_str();
  cmd.add_option("--pct-depth", f.pct_depth, "PCT bug depth d (priority change points + 1)")
      ->check(CLI::Range(1u, emu::Limits::kMaxPctDepth))
      ->capture_default_str();
}

void add_machine_flags(CLI::App& cmd, MachineFlags& f, bool with_seed, bool with_engine, bool scenario_required) {
  auto* scenario = cmd.add_option("--scenario", f.scenario, "Scenario to run (see `lockstep scenarios`)");
  if (scenario_required) scenario->required();
  add_schedule_flags(cmd, f, strategy_names(), with_seed);
  cmd.add_option("--pct-horizon", f.pct_horizon,
                 "PCT's k: progress steps over which the change points are spread (default: measured from "
                 "calibration runs)")
      ->check(CLI::Range(std::uint64_t{1}, emu::Limits::kMaxPctHorizon));
  cmd.add_option("--max-steps", f.max_steps, "Liveness guard: stop a run after this many scheduling points")
      ->check(CLI::Range(std::uint64_t{1}, emu::Limits::kMaxSteps))
      ->capture_default_str();
  cmd.add_option("--max-cycles", f.max_cycles, "Liveness guard: stop a run when a vCPU's clock passes this")
      ->check(CLI::Range(std::uint64_t{1}, emu::Limits::kMaxCycles))
      ->capture_default_str();
  if (with_seed)
    cmd.add_option("--schedule", f.schedule,
                   "Replay a schedule file (as `explore` writes for a shrunk failure) instead of a strategy");
  cmd.add_option("--faults", f.faults,
                 "Seeded faults, e.g. delay-ipi=0.1:5000,dup-ipi=0.05,lose-ipi=0.01,fail-start=3,unplug=2@10000");
  cmd.add_option("--lockdep", f.lockdep,
                 "The lock validator (lock order, IRQ safety, calls and blocking under locks) on the "
                 "deterministic engine: on or off")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  cmd.add_option("--memory-model", f.memory_model,
                 "The deterministic engine's memory model: sc (sequentially consistent), tso (x86-TSO: a "
                 "store buffer per vCPU, drained at seeded moments and by barriers) or arm (ARMv8 as the C++ "
                 "orders allow: loads may read older stores their view permits; at most 64 CPUs)")
      ->check(
          CLI::IsMember(std::vector<std::string>(std::begin(emu::kMemoryModelNames), std::end(emu::kMemoryModelNames))))
      ->capture_default_str();
  cmd.add_option(
         "--races", f.races,
         fmt::format("The happens-before race detector over the core's tracked data (hal::Tracked): on, off, or "
                     "auto (on with the deterministic engine up to {} CPUs)",
                     emu::kMaxViewCpus))
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
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
  o.machine.max_steps = f.max_steps;
  o.machine.max_cycles = f.max_cycles;
  if (!f.schedule.empty()) {
    o.machine.strategy = emu::Strategy::kSchedule;
    o.machine.schedule = read_schedule_file(f.schedule);
  } else if (o.machine.strategy == emu::Strategy::kSchedule) {
    throw InputError("--strategy schedule needs --schedule FILE");
  }
  if (!f.faults.empty()) {
    std::string error;
    const auto faults = emu::parse_faults(f.faults, error);
    if (!faults) throw InputError(fmt::format("bad --faults '{}': {}", f.faults, error));
    o.machine.faults = *faults;
  }
  o.engine = f.engine == "parallel" ? Engine::kParallel : Engine::kDeterministic;
  o.machine.memory_model = *emu::parse_memory_model(f.memory_model);
  if (o.engine == Engine::kParallel && o.machine.memory_model != emu::MemoryModel::kSc)
    throw InputError("--memory-model is the deterministic engine's: the parallel engine runs the host's memory model");
  o.lockdep = f.lockdep == "on";
  const bool views_fit = o.engine == Engine::kDeterministic && o.machine.cpus <= emu::kMaxViewCpus;
  if (o.machine.memory_model == emu::MemoryModel::kArm && o.machine.cpus > emu::kMaxViewCpus)
    throw InputError(fmt::format("--memory-model arm runs machines of at most {} CPUs", emu::kMaxViewCpus));
  if (f.races == "on" && !views_fit)
    throw InputError(fmt::format("--races on needs the deterministic engine and at most {} CPUs", emu::kMaxViewCpus));
  o.machine.races = f.races == "on" || (f.races == "auto" && races_by_default(o));
  if (f.pct_horizon != 0) {
    o.machine.pct_horizon = f.pct_horizon;
  } else if (o.machine.strategy == emu::Strategy::kPct) {
    o.machine.pct_horizon = measure_pct_horizon(o);
  }
  return o;
}

std::string repro_command(const Context& ctx, const RunOptions& o, const std::string& schedule_file) {
  return run_command(ctx.program, o, schedule_file);
}

}  // namespace lockstep::sim::cli
