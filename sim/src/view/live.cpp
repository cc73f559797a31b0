// The live feeder of `lockstep view --live`: publishes a deterministic run as it advances.
#include <algorithm>
#include <chrono>
#include <lockstep/sim/run_trace.hpp>
#include <lockstep/sim/view.hpp>
#include <thread>

namespace lockstep::sim {
namespace {

/// Lock records carry a host address, which may differ between runs: compare all but that.
bool same_prefix(const std::vector<core::TraceRecord>& published, const std::vector<core::TraceRecord>& now) {
  if (now.size() < published.size()) return false;
  for (std::size_t i = 0; i < published.size(); ++i) {
    const core::TraceRecord& a = published[i];
    const core::TraceRecord& b = now[i];
    const bool lock = a.type == core::TraceType::kLockContended || a.type == core::TraceType::kLockAcquired;
    if (a.time != b.time || a.cpu != b.cpu || a.type != b.type || a.aux != b.aux || a.a != b.a || (!lock && a.b != b.b))
      return false;
  }
  return true;
}

}  // namespace

void feed_live_run(const RunOptions& options, LiveTrace& live, std::uint32_t pause_ms) {
  const TraceConfig config = trace_config_of(options);
  live.begin(config);
  // What has been published, per CPU, with host lock addresses still raw (compared across runs).
  std::vector<std::vector<core::TraceRecord>> published(config.cpus);
  std::vector<std::uint64_t> lock_numbers;
  // A deterministic run stopped by the cycle-limit guard at T is a prefix of the same run with a
  // higher limit, as long as no ring overflowed (then the retained window moves).
  hal::Cycles limit = options.engine == Engine::kDeterministic ? 5'000 : options.machine.max_cycles;
  for (;;) {
    if (live.stopping()) return;
    RunOptions step = options;
    const bool last = limit >= options.machine.max_cycles;
    if (!last) step.machine.max_cycles = limit;
    ScenarioRun run = run_scenario(step);
    const bool cut = !last && run.machine.status == emu::RunStatus::kCycleLimit;
    bool overflowed = false;
    for (std::uint64_t lost : run.trace_lost) overflowed |= lost > 0;
    if (cut && overflowed) {  // Prefixes no longer line up: go straight to the whole run.
      limit = options.machine.max_cycles;
      continue;
    }
    // A step that does not extend what was published (it should not happen) starts over.
    bool restart = false;
    for (std::size_t c = 0; c < published.size() && !restart; ++c)
      restart = c < run.trace.size() && !same_prefix(published[c], run.trace[c]);
    if (restart) {
      live.begin(config);
      for (auto& p : published) p.clear();
      lock_numbers.clear();
    }
    for (std::uint32_t c = 0; c < published.size() && c < run.trace.size(); ++c) {
      const auto& now = run.trace[c];
      if (now.size() == published[c].size()) continue;
      std::vector<core::TraceRecord> fresh(now.begin() + static_cast<std::ptrdiff_t>(published[c].size()), now.end());
      published[c].insert(published[c].end(), fresh.begin(), fresh.end());
      number_locks(fresh, lock_numbers);
      live.append(c, fresh);
    }
    if (!cut) {
      TraceOutcome outcome;
      outcome.passed = run.passed;
      outcome.reason = run.reason.substr(0, kTraceMaxString);
      outcome.event_hash = run.machine.event_hash;
      outcome.steps = run.machine.steps;
      outcome.virtual_time = run.machine.max_cycles;
      live.finish(outcome);
      return;
    }
    for (std::uint32_t waited = 0; waited < pause_ms && !live.stopping(); waited += 10)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    limit = limit > options.machine.max_cycles / 2 ? options.machine.max_cycles : limit * 2;
  }
}

}  // namespace lockstep::sim
