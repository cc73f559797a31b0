#include <fmt/format.h>
#include <lockstep/sim/build_id.hpp>
#include <lockstep/sim/run_trace.hpp>
#include <lockstep/sim/scenario.hpp>
#include <lockstep/sim/trace_compare.hpp>
#include <memory>

#include "common.hpp"

namespace lockstep::sim::cli {
namespace {

/// A kernel self-test recorded on the Unicorn machine: boot the same image with the same seed.
int replay_unicorn(const std::string& path, const TraceData& recorded) {
  const TraceConfig& c = recorded.config;
  const std::string kernel = default_kernel_image("arm64");
  fmt::print("replaying {}: arm64 kernel self-test on the Unicorn machine, {} CPUs, seed {}, strategy {}\n", path, c.cpus,
             c.seed, c.strategy);
  if (!emu::parse_strategy(c.strategy)) throw InputError(fmt::format("{} names an unknown strategy '{}'", path, c.strategy));
  UnicornBoot run = boot_on_unicorn(kernel, c.cpus, c.seed, c.strategy, c.pct_depth);
  bool ok = true;
  if (const auto d = first_divergence(recorded.cpus, run.trace)) {
    fmt::print("DIVERGED: {}\n", d->describe());
    ok = false;
  }
  if (recorded.outcome.event_hash != run.machine.schedule_hash) {
    fmt::print("DIVERGED: schedule hash recorded {:016x}, replayed {:016x}\n", recorded.outcome.event_hash,
               run.machine.schedule_hash);
    ok = false;
  }
  if (recorded.outcome.passed != run.result.passed()) {
    fmt::print("DIVERGED: outcome recorded {}, replayed {}\n", recorded.outcome.passed ? "pass" : "fail",
               run.result.passed() ? "pass" : "fail");
    ok = false;
  }
  if (!ok) return 1;
  std::size_t events = 0;
  for (const auto& cpu : recorded.cpus) events += cpu.size();
  fmt::print("replay matches: {} events on {} CPUs identical, schedule hash {:016x}\n", events, c.cpus,
             run.machine.schedule_hash);
  return 0;
}

int replay_trace(const std::string& path, bool force) {
  const TraceData recorded = read_trace_file(path);
  const TraceConfig& c = recorded.config;
  if (c.build_id != build_id()) {
    if (!force)
      throw InputError(fmt::format("{} was recorded by build {}, this is build {}: other code makes other schedules "
                                   "(use --force to replay anyway)",
                                   path, c.build_id, build_id()));
    fmt::print(stderr, "warning: replaying a trace of build {} with build {} (--force)\n", c.build_id, build_id());
  }
  if (c.engine == "unicorn-arm64") return replay_unicorn(path, recorded);
  if (c.engine.rfind("qemu-", 0) == 0)
    throw InputError(fmt::format("{} was recorded on QEMU, whose multi-CPU interleaving is not reproducible; record "
                                 "with `lockstep boot --machine unicorn` to replay",
                                 path));
  RunOptions options = run_options_of(c);
  if (options.engine != Engine::kDeterministic)
    throw InputError(fmt::format("{} was recorded on the parallel engine, which is not reproducible", path));
  if (find_scenario(c.scenario) == nullptr)
    throw InputError(fmt::format("{} names scenario '{}', which this binary does not have", path, c.scenario));
  fmt::print("replaying {}: scenario {} on {} CPUs, seed {}, strategy {}{}\n", path, c.scenario, c.cpus, c.seed, c.strategy,
             c.faults.empty() ? std::string() : ", faults " + c.faults);
  ScenarioRun run = run_scenario(options);
  std::vector<std::uint64_t> locks;
  for (auto& cpu : run.trace) number_locks(cpu, locks);
  std::size_t events = 0;
  for (const auto& cpu : recorded.cpus) events += cpu.size();
  bool ok = true;
  if (const auto d = first_divergence(recorded.cpus, run.trace)) {
    fmt::print("DIVERGED: {}\n", d->describe());
    ok = false;
  }
  if (recorded.lost != run.trace_lost) {
    fmt::print("DIVERGED: the number of overwritten (lost) trace records differs\n");
    ok = false;
  }
  if (recorded.outcome.passed != run.passed || recorded.outcome.reason != run.reason) {
    fmt::print("DIVERGED: outcome recorded '{}', replayed '{}'\n",
               recorded.outcome.passed ? "pass" : "FAIL: " + recorded.outcome.reason, outcome_line(run));
    ok = false;
  }
  if (recorded.outcome.event_hash != run.machine.event_hash) {
    fmt::print("DIVERGED: engine event hash recorded {:016x}, replayed {:016x}\n", recorded.outcome.event_hash,
               run.machine.event_hash);
    ok = false;
  }
  if (!ok) return 1;
  fmt::print("replay matches: {} events on {} CPUs identical, event hash {:016x}, outcome {}\n", events, c.cpus,
             run.machine.event_hash, outcome_line(run));
  return 0;
}

}  // namespace

Action add_replay(CLI::App& app, const Context&) {
  struct Options {
    std::string file;
    bool force = false;
    bool ipis = false;
    std::uint32_t cpus = 0;
    std::uint64_t start = 1'000'000;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Re-run a recorded trace and verify it event by event, or (--ipis) inject an IPI trace into a run");
  cmd->add_option("file", o->file, "Trace file (with --ipis: an IPI trace, text or binary)")->required();
  cmd->add_flag("--force", o->force, "Replay a trace recorded by another build");
  cmd->add_flag("--ipis", o->ipis, "Replay the file's IPIs into the ipi-replay scenario and report the core's reaction");
  cmd->add_option("--cpus", o->cpus, "With --ipis: CPUs of the machine (default: enough for the trace)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--start", o->start, "With --ipis: virtual cycle at which the first IPI is injected")
      ->capture_default_str();
  return [o] { return o->ipis ? replay_ipis(o->file, o->cpus, o->start) : replay_trace(o->file, o->force); };
}

}  // namespace lockstep::sim::cli
