#include <chrono>
#include <lockstep/sim/isolated_run.hpp>
#include <lockstep/sim/shrink.hpp>

namespace lockstep::sim {
namespace {

using emu::Decision;

class Shrinker {
 public:
  Shrinker(const RunOptions& base, std::string wanted, const ShrinkBudget& budget)
      : base_(base), wanted_(std::move(wanted)), budget_(budget), start_(std::chrono::steady_clock::now()) {
    base_.machine.strategy = emu::Strategy::kSchedule;
    base_.machine.record_decisions = false;
    base_.machine.record_events = false;
    base_.trace_records_per_cpu = 0;
  }

  bool exhausted() const {
    const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return runs_ >= budget_.max_runs || spent >= budget_.max_seconds;
  }

  /// True when `schedule` (with or without the faults) still fails the same way.
  bool fails(const std::vector<Decision>& schedule, bool with_faults) {
    if (exhausted()) return false;
    ++runs_;
    RunOptions o = base_;
    o.machine.schedule = schedule;
    if (!with_faults) o.machine.faults = {};
    const IsolatedRun run = run_isolated(o);
    return run.completed && !run.passed && failure_class(run.reason) == wanted_;
  }

  /// ddmin: the 1-minimal subsequence of `d` that still fails (within the budget).
  std::vector<Decision> minimize(std::vector<Decision> d, bool with_faults) {
    if (fails({}, with_faults)) return {};
    std::size_t n = 2;
    while (d.size() >= 2 && !exhausted()) {
      const std::size_t chunk = (d.size() + n - 1) / n;
      bool reduced = false;
      for (std::size_t begin = 0; begin < d.size() && !reduced; begin += chunk) {
        const std::size_t end = std::min(d.size(), begin + chunk);
        std::vector<Decision> subset(d.begin() + begin, d.begin() + end);
        std::vector<Decision> complement(d.begin(), d.begin() + begin);
        complement.insert(complement.end(), d.begin() + end, d.end());
        if (n > 2 && fails(subset, with_faults)) {
          d = std::move(subset);
          n = 2;
          reduced = true;
        } else if (fails(complement, with_faults)) {
          d = std::move(complement);
          n = std::max<std::size_t>(n - 1, 2);
          reduced = true;
        }
      }
      if (reduced) continue;
      if (n >= d.size()) break;
      n = std::min(d.size(), n * 2);
    }
    return d;
  }

  std::uint64_t runs() const noexcept { return runs_; }

 private:
  RunOptions base_;
  std::string wanted_;
  ShrinkBudget budget_;
  std::chrono::steady_clock::time_point start_;
  std::uint64_t runs_ = 0;
};

std::uint64_t count_preemptions(const std::vector<Decision>& d) {
  std::uint64_t n = 0;
  for (const Decision& x : d) n += x.preemption ? 1 : 0;
  return n;
}

/// Runs `o` recording its decisions.
IsolatedRun recorded_run(RunOptions o) {
  o.machine.record_decisions = true;
  o.trace_records_per_cpu = 0;
  return run_isolated(o);
}

}  // namespace

std::string failure_class(const std::string& reason) {
  std::string out;
  for (char c : reason) {
    const bool digit = c >= '0' && c <= '9';
    if (!digit) {
      out += c;
    } else if (out.empty() || out.back() != '#') {
      out += '#';
    }
  }
  return out;
}

ShrinkResult shrink_failure(const RunOptions& failing, const ShrinkBudget& budget) {
  ShrinkResult result;
  const IsolatedRun original = recorded_run(failing);
  result.runs = 1;
  if (!original.completed || original.passed) return result;
  const std::string wanted = failure_class(original.reason);
  const std::vector<Decision>& all = original.decisions;
  result.decisions_before = all.size();
  result.preemptions_before = count_preemptions(all);

  Shrinker shrinker(failing, wanted, budget);
  result.reproduced = shrinker.fails(all, true);
  if (!result.reproduced) {
    result.runs += shrinker.runs();
    return result;
  }
  std::vector<Decision> best = shrinker.minimize(all, true);
  if (failing.machine.faults.any() && shrinker.fails(best, false)) {
    result.faults_dropped = true;
    best = shrinker.minimize(best, false);
  }
  result.budget_exhausted = shrinker.exhausted();
  result.runs += shrinker.runs();

  result.shrunk = failing;
  result.shrunk.machine.strategy = emu::Strategy::kSchedule;
  result.shrunk.machine.schedule = best;
  if (result.faults_dropped) result.shrunk.machine.faults = {};
  // Re-record: the shrunk run's own decisions are the applied ones, with their kinds.
  const IsolatedRun final_run = recorded_run(result.shrunk);
  ++result.runs;
  result.shrunk.machine.schedule = final_run.decisions;
  result.reason = final_run.reason;
  result.decisions_after = result.shrunk.machine.schedule.size();
  result.preemptions_after = count_preemptions(result.shrunk.machine.schedule);
  return result;
}

}  // namespace lockstep::sim
