#include <fmt/format.h>

#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/report_lines.hpp>
#include <lockstep/sim/repro.hpp>

#include "common.hpp"
#include "explore.hpp"

namespace lockstep::sim::cli {
namespace {

LockFact fact_from_json(const nlohmann::json& j, const std::string& name) {
  LockFact f;
  const std::string kind = j.at("kind").get<std::string>();
  if (!parse_lock_fact_kind(kind, f.kind)) throw InputError(fmt::format("{}: unknown lock fact kind '{}'", name, kind));
  f.lock = j.at("lock").get<std::string>();
  if (f.kind == core::LockdepFactKind::kOrder) f.then = j.at("then").get<std::string>();
  if (f.lock.empty() || (f.kind == core::LockdepFactKind::kOrder && f.then.empty()))
    throw InputError(fmt::format("{}: a lock fact without a lock name", name));
  f.run = j.at("run").get<std::uint64_t>();
  f.cpu = j.at("cpu").get<std::uint32_t>();
  f.time = j.at("cycle").get<std::uint64_t>();
  if (j.contains("source")) {
    f.file = j.at("source").at("file").get<std::string>();
    f.line = j.at("source").at("line").get<std::uint32_t>();
  }
  return f;
}

/// The runs a lock validator report joins, if its sites come from several (the core says so at
/// its end); empty for any other report.
std::vector<std::uint64_t> runs_joined(const std::string& reason) {
  if (reason.find(core::kLockdepAcrossRuns) == std::string::npos) return {};
  return report_runs(reason);
}

}  // namespace

const ExploreFailure& best_witness(const std::vector<ExploreFailure>& failures) {
  for (const ExploreFailure& f : failures)
    if (runs_joined(f.reason).empty()) return f;
  return failures.front();
}

bool print_reproduce(const Context& ctx, RunOptions repro, const std::string& reason) {
  const std::vector<std::uint64_t> runs = runs_joined(reason);
  if (runs.empty()) {
    fmt::print("reproduce: {}\n", repro_command(ctx, repro));
    fmt::print("debug: {}   (the run in gdb at its failure: info vcpus, vcpu N, vback; docs/DEBUGGING.md)\n",
               debug_command(ctx.program, repro, {}));
    return true;
  }
  fmt::print("the report joins lock orders seen in different runs: no single run shows it, so there is no one "
             "schedule to shrink; each run shows its part:\n");
  for (const std::uint64_t seed : runs) {
    repro.machine.seed = seed;
    fmt::print("reproduce: {}\n", repro_command(ctx, repro));
  }
  return false;
}

nlohmann::json to_json(const ExploreReport& r) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : r.outcome.failures) failures.push_back({{"seed", f.seed}, {"reason", f.reason}});
  nlohmann::json facts = nlohmann::json::array();
  for (const LockFact& f : r.outcome.lock_facts) {
    nlohmann::json fact = {{"kind", to_string(f.kind)}, {"lock", f.lock}, {"run", f.run}, {"cpu", f.cpu}, {"cycle", f.time}};
    if (f.kind == core::LockdepFactKind::kOrder) fact["then"] = f.then;
    if (!f.file.empty()) fact["source"] = {{"file", f.file}, {"line", f.line}};
    facts.push_back(std::move(fact));
  }
  return {{"format", "lockstep-explore-1"},
          {"scenario", r.scenario},
          {"cpus", r.cpus},
          {"strategy", r.strategy},
          {"pct_depth", r.pct_depth},
          {"pct_horizon", r.pct_horizon},
          {"max_steps", r.max_steps},
          {"max_cycles", r.max_cycles},
          {"faults", r.faults},
          {"lockdep", r.lockdep},
          {"seed_start", r.plan.seed_start},
          {"runs", r.plan.runs},
          {"shard_count", r.plan.shard_count},
          {"shards", r.shards},
          {"completed", r.outcome.completed},
          {"stopped_early", r.outcome.stopped_early},
          {"seconds", r.outcome.seconds},
          {"failures", failures},
          {"lock_facts", facts}};
}

ExploreReport report_from_json(const nlohmann::json& j, const std::string& name) {
  try {
    if (!j.is_object() || j.value("format", "") != "lockstep-explore-1")
      throw InputError(fmt::format("{}: not an explore result (format lockstep-explore-1)", name));
    ExploreReport r;
    r.scenario = j.at("scenario").get<std::string>();
    r.cpus = j.at("cpus").get<std::uint32_t>();
    r.strategy = j.at("strategy").get<std::string>();
    r.pct_depth = j.at("pct_depth").get<std::uint32_t>();
    r.pct_horizon = j.value("pct_horizon", std::uint64_t{0});
    r.max_steps = j.value("max_steps", r.max_steps);
    r.max_cycles = j.value("max_cycles", r.max_cycles);
    r.faults = j.at("faults").get<std::string>();
    r.plan.seed_start = j.at("seed_start").get<std::uint64_t>();
    r.plan.runs = j.at("runs").get<std::uint64_t>();
    r.plan.shard_count = j.at("shard_count").get<std::uint64_t>();
    r.shards = j.at("shards").get<std::vector<std::uint64_t>>();
    r.outcome.completed = j.at("completed").get<std::uint64_t>();
    r.outcome.stopped_early = j.at("stopped_early").get<bool>();
    r.outcome.seconds = j.at("seconds").get<double>();
    for (const auto& f : j.at("failures"))
      r.outcome.failures.push_back({f.at("seed").get<std::uint64_t>(), f.at("reason").get<std::string>()});
    r.lockdep = j.value("lockdep", true);
    for (const auto& f : j.value("lock_facts", nlohmann::json::array())) r.outcome.lock_facts.push_back(fact_from_json(f, name));
    if (r.plan.shard_count == 0) throw InputError(fmt::format("{}: shard_count is 0", name));
    for (auto s : r.shards)
      if (s >= r.plan.shard_count) throw InputError(fmt::format("{}: shard {} out of range 0..{}", name, s, r.plan.shard_count - 1));
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: malformed explore result: {}", name, e.what()));
  }
}

}  // namespace lockstep::sim::cli
