#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <lockstep/sim/atomic_file.hpp>
#include <memory>
#include <set>

#include "common.hpp"
#include "explore.hpp"

namespace lockstep::sim::cli {
namespace {

ExploreReport load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("cannot open explore result '{}'", path));
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw InputError(fmt::format("{}: not valid JSON", path));
  return report_from_json(j, path);
}

/// The shards' lock graphs joined in this process's validator: an order one shard saw and its
/// reverse in another is a report neither shard could make. It fails the run that closed it.
void merge_shard_lock_graphs(ExploreOutcome& outcome) {
  core::lockdep_forget();
  for (const LockFact& fact : outcome.lock_facts)
    if (const std::string report = merge_lock_facts({fact}); !report.empty())
      (void)add_failure(outcome.failures, fact.run, "lockdep: " + report, /*verdict=*/false);
  std::uint32_t cursor = 0;
  outcome.lock_facts = new_lock_facts(cursor);  // The union, each fact once.
}

bool same_sweep(const ExploreReport& a, const ExploreReport& b) {
  return a.scenario == b.scenario && a.cpus == b.cpus && a.strategy == b.strategy && a.pct_depth == b.pct_depth &&
         a.pct_horizon == b.pct_horizon && a.max_steps == b.max_steps && a.max_cycles == b.max_cycles &&
         a.faults == b.faults && a.lockdep == b.lockdep && a.plan.seed_start == b.plan.seed_start && a.plan.runs == b.plan.runs &&
         a.plan.shard_count == b.plan.shard_count;
}

}  // namespace

Action add_merge(CLI::App& app, const Context& ctx) {
  struct Options {
    std::vector<std::string> inputs;
    std::string out;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("merge", "Merge the JSON results of explore shards (--shard I/N --out FILE)");
  cmd->add_option("files", o->inputs, "Shard results")->required();
  cmd->add_option("--out", o->out, "Write the merged result as JSON");
  return [o, ctx] {
    ExploreReport merged = load(o->inputs.front());
    std::set<std::uint64_t> shards(merged.shards.begin(), merged.shards.end());
    for (std::size_t i = 1; i < o->inputs.size(); ++i) {
      const ExploreReport r = load(o->inputs[i]);
      if (!same_sweep(merged, r))
        throw InputError(fmt::format("{} is a different sweep than {} (scenario, CPUs, strategy, faults, seeds or shard count)",
                                     o->inputs[i], o->inputs.front()));
      for (auto s : r.shards)
        if (!shards.insert(s).second) throw InputError(fmt::format("{}: shard {} appears twice", o->inputs[i], s));
      merged.outcome.completed += r.outcome.completed;
      merged.outcome.seconds = std::max(merged.outcome.seconds, r.outcome.seconds);
      merged.outcome.stopped_early = merged.outcome.stopped_early || r.outcome.stopped_early;
      merged.outcome.failures.insert(merged.outcome.failures.end(), r.outcome.failures.begin(), r.outcome.failures.end());
      merged.outcome.lock_facts.insert(merged.outcome.lock_facts.end(), r.outcome.lock_facts.begin(),
                                       r.outcome.lock_facts.end());
    }
    merge_shard_lock_graphs(merged.outcome);
    std::sort(merged.outcome.failures.begin(), merged.outcome.failures.end(),
              [](const auto& a, const auto& b) { return a.seed < b.seed; });
    merged.shards.assign(shards.begin(), shards.end());
    fmt::print("merged {} shards of {} ({} of {} runs completed): {} failures\n", shards.size(), merged.plan.shard_count,
               merged.outcome.completed, merged.plan.runs, merged.outcome.failures.size());
    if (shards.size() != merged.plan.shard_count)
      fmt::print("missing shards: {} of {} present\n", shards.size(), merged.plan.shard_count);
    for (std::size_t i = 0; i < merged.outcome.failures.size() && i < 10; ++i)
      fmt::print("FAIL seed {}: {}\n", merged.outcome.failures[i].seed, merged.outcome.failures[i].reason);
    if (!merged.outcome.failures.empty()) {
      RunOptions repro;
      repro.scenario = merged.scenario;
      repro.machine.cpus = merged.cpus;
      const ExploreFailure& shown = best_witness(merged.outcome.failures);
      repro.machine.seed = shown.seed;
      repro.machine.strategy = emu::parse_strategy(merged.strategy).value_or(emu::Strategy::kRandom);
      repro.machine.pct_depth = merged.pct_depth;
      repro.machine.pct_horizon = merged.pct_horizon;
      repro.machine.max_steps = merged.max_steps;
      repro.machine.max_cycles = merged.max_cycles;
      repro.lockdep = merged.lockdep;
      std::string error;
      if (!merged.faults.empty())
        if (auto faults = emu::parse_faults(merged.faults, error)) repro.machine.faults = *faults;
      (void)print_reproduce(ctx, repro, shown.reason);
    }
    if (!o->out.empty()) write_file_atomically(o->out, to_json(merged).dump(2) + "\n");
    return merged.outcome.failures.empty() ? 0 : 1;
  };
}

}  // namespace lockstep::sim::cli
