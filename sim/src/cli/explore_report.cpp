#include <fmt/format.h>
#include <lockstep/sim/atomic_file.hpp>

#include "explore.hpp"

namespace lockstep::sim::cli {

nlohmann::json to_json(const ExploreReport& r) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : r.outcome.failures) failures.push_back({{"seed", f.seed}, {"reason", f.reason}});
  return {{"format", "lockstep-explore-1"},
          {"scenario", r.scenario},
          {"cpus", r.cpus},
          {"strategy", r.strategy},
          {"pct_depth", r.pct_depth},
          {"pct_horizon", r.pct_horizon},
          {"max_steps", r.max_steps},
          {"max_cycles", r.max_cycles},
          {"faults", r.faults},
          {"seed_start", r.plan.seed_start},
          {"runs", r.plan.runs},
          {"shard_count", r.plan.shard_count},
          {"shards", r.shards},
          {"completed", r.outcome.completed},
          {"stopped_early", r.outcome.stopped_early},
          {"seconds", r.outcome.seconds},
          {"failures", failures}};
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
    if (r.plan.shard_count == 0) throw InputError(fmt::format("{}: shard_count is 0", name));
    for (auto s : r.shards)
      if (s >= r.plan.shard_count) throw InputError(fmt::format("{}: shard {} out of range 0..{}", name, s, r.plan.shard_count - 1));
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: malformed explore result: {}", name, e.what()));
  }
}

}  // namespace lockstep::sim::cli
