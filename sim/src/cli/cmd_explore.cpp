#include <unistd.h>

#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <lockstep/sim/atomic_file.hpp>
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

}  // namespace

namespace {

/// The arm64 kernel's self-test over seeds on the Unicorn machine (each run reproducible).
template <class Options>
int explore_unicorn(const Context& ctx, const Options& o, const SeedPlan& plan) {
  const std::string kernel = o.kernel.empty() ? default_kernel_image("arm64") : o.kernel;
  if (!emu::parse_strategy(o.machine.strategy)) throw InputError(fmt::format("unknown strategy '{}'", o.machine.strategy));
  if (o.machine.cpus < 1 || o.machine.cpus > 8) throw InputError("the Unicorn machine has 1 to 8 CPUs");
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
    fmt::print("reproduce: {} boot --machine unicorn --arch arm64 --cpus {} --seed {} --strategy {}{}\n", ctx.program,
               o.machine.cpus, outcome.failures.front().seed, o.machine.strategy,
               o.kernel.empty() ? std::string() : " --kernel " + o.kernel);
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
  return [o, ctx] {
    SeedPlan plan;
    plan.seed_start = o->seed_start;
    plan.runs = o->runs;
    plan = parse_shard(o->shard, plan);
    if (o->machine_kind == "unicorn") return explore_unicorn(ctx, *o, plan);
    if (o->machine.scenario.empty()) throw InputError("--scenario is required (or --machine unicorn)");
    const RunOptions base = run_options_from(o->machine);
    fmt::print("exploring {} on {} CPUs: {} seeds from {}{} with {} strategy, {} jobs\n", base.scenario, base.machine.cpus,
               plan.shard_runs(), plan.seed_start,
               plan.shard_count > 1 ? fmt::format(" (shard {}/{})", plan.shard_index, plan.shard_count) : std::string(),
               emu::to_string(base.machine.strategy), o->jobs);
    const ExploreOutcome outcome = explore(base, plan, o->jobs, o->keep_going);
    fmt::print("{} runs in {:.2f}s ({:.0f} runs/s): {} failures{}\n", outcome.completed, outcome.seconds,
               outcome.seconds > 0 ? static_cast<double>(outcome.completed) / outcome.seconds : 0.0, outcome.failures.size(),
               outcome.stopped_early ? " (stopped at the first; --keep-going runs them all)" : "");
    constexpr std::size_t kListed = 10;
    for (std::size_t i = 0; i < outcome.failures.size() && i < kListed; ++i)
      fmt::print("FAIL seed {}: {}\n", outcome.failures[i].seed, outcome.failures[i].reason);
    if (!outcome.failures.empty()) {
      RunOptions repro = base;
      repro.machine.seed = outcome.failures.front().seed;
      fmt::print("reproduce: {}\n", repro_command(ctx, repro));
    }
    if (!o->out.empty()) {
      ExploreReport report;
      report.scenario = base.scenario;
      report.cpus = base.machine.cpus;
      report.strategy = std::string(emu::to_string(base.machine.strategy));
      report.pct_depth = base.machine.pct_depth;
      report.faults = base.machine.faults.any() ? emu::format_faults(base.machine.faults) : std::string();
      report.plan = plan;
      report.shards = {plan.shard_index};
      report.outcome = outcome;
      write_file_atomically(o->out, to_json(report).dump(2) + "\n");
    }
    return outcome.failures.empty() ? 0 : 1;
  };
}

}  // namespace lockstep::sim::cli
