#include <unistd.h>

#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/pct_horizon.hpp>
#include <lockstep/sim/shrink.hpp>
#include <memory>
#include <thread>

#include "common.hpp"
#include "explore.hpp"

namespace lockstep::sim::cli {
namespace {

SeedPlan parse_shard(const std::string& text, SeedPlan plan) {
  if (text.empty()) return plan;
  const auto slash = text.find('/');
  auto number = [&](std::string_view s, std::uint64_t& v) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
  };
  std::uint64_t i = 0, n = 0;
  if (slash == std::string::npos || !number(std::string_view(text).substr(0, slash), i) ||
      !number(std::string_view(text).substr(slash + 1), n) || n == 0 || i >= n)
    throw InputError(fmt::format("bad --shard '{}': expected I/N with 0 <= I < N", text));
  plan.shard_index = i;
  plan.shard_count = n;
  return plan;
}

/// Shrinks the first failure, prints the short schedule and writes it where `--schedule` reads.
void shrink_and_print(const Context& ctx, const RunOptions& failing, const std::string& out_path) {
  fmt::print("shrinking the failure (delta debugging over its schedule decisions{})...\n",
             failing.machine.faults.any() ? " and faults" : "");
  const ShrinkResult s = shrink_failure(failing);
  if (!s.reproduced) {
    fmt::print("shrink: the failure did not reproduce on the default schedule plus its decisions (a bug in lockstep: "
               "please report it with the reproduce command above)\n");
    return;
  }
  const std::string path = out_path.empty() ? fmt::format("{}-seed{}.schedule", failing.scenario, failing.machine.seed) : out_path;
  write_file_atomically(path, emu::format_schedule(s.shrunk.machine.schedule));
  fmt::print("shrunk: {} preemptions (of {} decisions) -> {} preemptions (of {} decisions) in {} runs{}{}\n",
             s.preemptions_before, s.decisions_before, s.preemptions_after, s.decisions_after, s.runs,
             s.faults_dropped ? ", no faults needed" : "", s.budget_exhausted ? " (budget reached: smaller may exist)" : "");
  fmt::print("shrunk failure: {}\n", s.reason);
  constexpr std::size_t kShown = 20;
  for (std::size_t i = 0; i < s.shrunk.machine.schedule.size() && i < kShown; ++i) {
    const emu::Decision& d = s.shrunk.machine.schedule[i];
    fmt::print("  at point {:>8}: cpu {} runs{}\n", d.step, d.cpu, d.preemption ? " (preempting)" : "");
  }
  if (s.shrunk.machine.schedule.size() > kShown) fmt::print("  ... {} more in {}\n", s.shrunk.machine.schedule.size() - kShown, path);
  fmt::print("schedule written to {}\nreplay it: {}\n", path, repro_command(ctx, s.shrunk, path));
}

}  // namespace

namespace {

/// The arm64 kernel's self-test over seeds on the Unicorn machine (each run reproducible).
template <class Options>
int explore_unicorn(const Context& ctx, const Options& o, const SeedPlan& plan) {
  const std::string kernel = o.kernel.empty() ? default_kernel_image("arm64") : o.kernel;
  if (!emu::parse_strategy(o.machine.strategy)) throw InputError(fmt::format("unknown strategy '{}'", o.machine.strategy));
  if (o.machine.cpus < 1 || o.machine.cpus > kGicV2MaxCpus)
    throw InputError(fmt::format("the Unicorn machine has 1 to {} CPUs (GICv2)", kGicV2MaxCpus));
  if (!std::ifstream(kernel)) throw InputError(fmt::format("kernel image '{}' not found (pass --kernel)", kernel));
  fmt::print("exploring the arm64 kernel self-test on the Unicorn machine, {} CPUs: {} seeds from {} with {} strategy, {} jobs\n",
             o.machine.cpus, plan.shard_runs(), plan.seed_start, o.machine.strategy, o.jobs);
  const auto run = [&](std::uint64_t seed) {
    const UnicornBoot b = boot_on_unicorn(kernel, o.machine.cpus, seed, o.machine.strategy, o.machine.pct_depth);
    return b.result.passed() ? std::string() : b.result.reason;
  };
  const ExploreOutcome outcome = explore(run, plan, o.jobs, o.keep_going);
  fmt::print("{} runs in {:.2f}s: {} failures\n", outcome.completed, outcome.seconds, outcome.failures.size());
  for (const auto& f : outcome.failures) fmt::print("FAIL seed {}: {}\n", f.seed, f.reason);
  if (!outcome.failures.empty())
    print_unicorn_reproduce(ctx, o.machine.cpus, outcome.failures.front().seed, o.machine.strategy, o.kernel);
  return outcome.failures.empty() ? 0 : 1;
}

}  // namespace

Action add_explore(CLI::App& app, const Context& ctx) {
  struct Options {
    MachineFlags machine;
    std::uint64_t runs = 1000;
    unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
    std::uint64_t seed_start = 1;
    std::string shard;
    bool keep_going = false;
    std::string out;
    std::string machine_kind = "det";
    std::string kernel;
    bool no_shrink = false;
    std::string schedule_out;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("explore", "Run many seeds in worker processes; print the failing seed and its repro command");
  add_machine_flags(*cmd, o->machine, false, false, /*scenario_required=*/false);
  cmd->add_option("--machine", o->machine_kind, "det (a scenario on the emulated machine) or unicorn (the arm64 kernel's "
                                                "self-test on the Unicorn machine)")
      ->check(CLI::IsMember({"det", "unicorn"}));
  cmd->add_option("--kernel", o->kernel, "With --machine unicorn: the arm64 kernel image (default: this build's)");
  cmd->add_option("--runs", o->runs, "Number of seeds in the whole sweep")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--jobs", o->jobs, "Worker processes")->check(CLI::Range(1u, 256u))->capture_default_str();
  cmd->add_option("--seed-start", o->seed_start, "First seed")->capture_default_str();
  cmd->add_option("--shard", o->shard, "I/N: run only the seeds whose index % N == I (cluster job arrays)");
  cmd->add_flag("--keep-going", o->keep_going, "Do not stop at the first failure");
  cmd->add_option("--out", o->out, "Write the result as JSON (merge shards with `lockstep merge`)");
  cmd->add_flag("--no-shrink", o->no_shrink, "Do not shrink the first failure to a short schedule");
  cmd->add_option("--schedule-out", o->schedule_out, "Where to write the shrunk schedule (default: SCENARIO-seedN.schedule)");
  const CLI::Option* strategy_flag = cmd->get_option("--strategy");
  return [o, ctx, strategy_flag] {
    // The default strategy needs the memory operations the Unicorn machine cannot see.
    if (o->machine_kind == "unicorn" && strategy_flag->count() == 0) o->machine.strategy = "random";
    SeedPlan plan;
    plan.seed_start = o->seed_start;
    plan.runs = o->runs;
    plan = parse_shard(o->shard, plan);
    if (o->machine_kind == "unicorn" && (o->machine.memory_model != "sc" || o->machine.races == "on"))
      throw InputError(
          "--memory-model and --races are the deterministic engine's: the Unicorn machine runs the "
          "kernel's instructions one vCPU at a time, in order");
    if (o->machine_kind == "unicorn") return explore_unicorn(ctx, *o, plan);
    if (o->machine.scenario.empty()) throw InputError("--scenario is required (or --machine unicorn)");
    const RunOptions base = run_options_from(o->machine);
    fmt::print("exploring {} on {} CPUs: {} seeds from {}{} with {} strategy, {} jobs\n", base.scenario, base.machine.cpus,
               plan.shard_runs(), plan.seed_start,
               plan.shard_count > 1 ? fmt::format(" (shard {}/{})", plan.shard_index, plan.shard_count) : std::string(),
               emu::to_string(base.machine.strategy), o->jobs);
    if (base.machine.strategy == emu::Strategy::kPct)
      fmt::print("PCT depth {}, horizon k = {} progress steps ({})\n", base.machine.pct_depth, base.machine.pct_horizon,
                 o->machine.pct_horizon != 0 ? "--pct-horizon"
                                             : fmt::format("measured: the longest of {} calibration runs", kPctCalibrationRuns));
    const ExploreOutcome outcome = explore(base, plan, o->jobs, o->keep_going);
    fmt::print("{} runs in {:.2f}s ({:.0f} runs/s): {} failures{}\n", outcome.completed, outcome.seconds,
               outcome.seconds > 0 ? static_cast<double>(outcome.completed) / outcome.seconds : 0.0, outcome.failures.size(),
               outcome.stopped_early ? " (stopped at the first; --keep-going runs them all)" : "");
    constexpr std::size_t kListed = 10;
    for (std::size_t i = 0; i < outcome.failures.size() && i < kListed; ++i)
      fmt::print("FAIL seed {}: {}\n", outcome.failures[i].seed, outcome.failures[i].reason);
    if (!outcome.failures.empty()) {
      const ExploreFailure& shown = best_witness(outcome.failures);
      RunOptions repro = base;
      repro.machine.seed = shown.seed;
      if (print_reproduce(ctx, repro, shown.reason) && !o->no_shrink &&
          base.engine == Engine::kDeterministic) {
        core::lockdep_forget();  // The failing run is judged on its own, as `reproduce` will.
        shrink_and_print(ctx, repro, o->schedule_out);
      }
    }
    if (!o->out.empty()) {
      ExploreReport report;
      report.scenario = base.scenario;
      report.cpus = base.machine.cpus;
      report.strategy = std::string(emu::to_string(base.machine.strategy));
      report.pct_depth = base.machine.pct_depth;
      report.pct_horizon = base.machine.pct_horizon;
      report.max_steps = base.machine.max_steps;
      report.max_cycles = base.machine.max_cycles;
      report.faults = base.machine.faults.any() ? emu::format_faults(base.machine.faults) : std::string();
      report.lockdep = base.lockdep;
      report.plan = plan;
      report.shards = {plan.shard_index};
      report.outcome = outcome;
      write_file_atomically(o->out, to_json(report).dump(2) + "\n");
    }
    return outcome.failures.empty() ? 0 : 1;
  };
}

}  // namespace lockstep::sim::cli
