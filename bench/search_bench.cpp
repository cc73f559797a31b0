// Bug-finding power: for every planted-bug program (bench/bugs) and every strategy, how many
// of N trials find the bug within a budget of runs, and after how many runs, beside the
// figures published for the same program. Each trial is its own process (a failing run leaves
// the scenario's state behind) over its own seed range; trials run `--jobs` at a time.
//
//   bench_search [--trials 20] [--budget 10000] [--jobs 2] [--programs a,b] [--strategies pos,random,pct]
//                [--markdown FILE]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/isolated_run.hpp>
#include <lockstep/sim/pct_horizon.hpp>
#include <lockstep/sim/scenario.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bugs/trials.hpp"

namespace {

using lockstep::bugs::Trial;
using lockstep::sim::RunOptions;

/// A published mean of schedules to the first bug (and how many of 20 trials found it).
struct Published {
  double mean = 0;  ///< 0: not found within the budget; < 0: not published.
  int found = 20;
};
constexpr Published kNone{-1, 0};

/// Sources: [S] SURW artifact (Zhao et al., ASPLOS 2025; zhaohuanqdcn/SURW, stats/period), 10,000
/// schedules or 5 min per trial, 20 trials; PCT-3, POS and random walk as re-implemented there.
/// [R] RFF artifact (Wolff et al., ASPLOS 2024; dylanjwolff/RFF, full-data.csv), 5 min per
/// trial. Both ran PERIOD's copies of SCTBench. Figures recomputed from the artifacts' raw data.
struct Program {
  const char* scenario;
  std::uint32_t cpus;
  Published pct3, pos, random_walk, surw, rff;
  /// The model that exposes the bug (the weak-memory programs; none of them is published).
  lockstep::emu::MemoryModel model = lockstep::emu::MemoryModel::kSc;
};

const Program kPrograms[] = {
    {"reorder_3", 3, {185}, {86}, {0, 0}, {7}, {7}},
    {"reorder_4", 4, {554}, {533}, {0, 0}, {7}, {6}},
    {"reorder_5", 5, {647}, {2169}, {0, 0}, {10}, {6}},
    {"reorder_10", 10, {3225, 16}, {0, 0}, {0, 0}, {17}, {6}},
    {"reorder_20", 20, {3005}, {0, 0}, {0, 0}, {6}, {6}},
    {"twostage", 2, {13}, {15}, {464}, {8}, {8}},
    {"twostage_100", 100, {7466, 3}, {6674, 3}, {0, 0}, {454}, {56}},
    {"wronglock", 8, {51}, {10}, {36}, {7}, kNone},
    {"wronglock_3", 4, {58}, {11}, {36}, {9}, kNone},
    {"bluetooth_driver", 2, {112}, {36}, {215}, {70}, {45}},
    {"deadlock01", 2, {13}, {4}, {3}, {2}, {5}},
    {"carter01", 4, {5}, {2}, {1}, kNone, {2}},
    {"stack", 2, {3}, {2}, {176}, {5}, {2}},
    {"token_ring", 4, {8}, {9}, {13}, {8}, {5}},
    {"work_steal_queue", 3, {48}, {12}, kNone, {6}, {10}},
    {"tas_lock", 4, kNone, kNone, kNone, kNone, kNone},
    {"lost_wakeup", 2, kNone, kNone, kNone, kNone, kNone},
    {"abba_irq", 3, kNone, kNone, kNone, kNone, kNone},
    {"call_under_lock", 2, kNone, kNone, kNone, kNone, kNone},
    {"percpu_migration", 4, kNone, kNone, kNone, kNone, kNone},
    {"relaxed_unlock", 2, kNone, kNone, kNone, kNone, kNone, lockstep::emu::MemoryModel::kArm},
    {"mp_relaxed_flag", 2, kNone, kNone, kNone, kNone, kNone, lockstep::emu::MemoryModel::kArm},
    {"dekker", 2, kNone, kNone, kNone, kNone, kNone, lockstep::emu::MemoryModel::kTso},
    {"wrong_lock_race", 2, kNone, kNone, kNone, kNone, kNone},
};

struct Row {
  std::string program, strategy;
  unsigned found = 0, trials = 0;
  double mean = 0, median = 0, us_per_run = 0;
  const Program* published = nullptr;
};

Row summarize(const Program& p, const std::string& strategy, const std::vector<Trial>& trials) {
  Row row{p.scenario, strategy};
  if (p.model != lockstep::emu::MemoryModel::kSc) row.program += "/" + std::string(lockstep::emu::to_string(p.model));
  row.trials = static_cast<unsigned>(trials.size());
  row.published = &p;
  std::vector<double> hits;
  double seconds = 0, runs = 0;
  for (const Trial& t : trials) {
    if (t.runs != 0) {
      hits.push_back(static_cast<double>(t.runs));
      seconds += t.seconds;
      runs += static_cast<double>(t.runs);
    } else {
      seconds += t.seconds;  // Per run already.
      runs += 1;
    }
  }
  row.found = static_cast<unsigned>(hits.size());
  if (!hits.empty()) {
    std::sort(hits.begin(), hits.end());
    for (double h : hits) row.mean += h / static_cast<double>(hits.size());
    row.median = hits.size() % 2 ? hits[hits.size() / 2] : (hits[hits.size() / 2 - 1] + hits[hits.size() / 2]) / 2;
  }
  row.us_per_run = runs > 0 ? seconds / runs * 1e6 : 0;
  return row;
}

std::string published(const Published& p) {
  if (p.mean < 0) return "";
  if (p.mean == 0) return "- (0/20)";
  return p.found == 20 ? fmt::format("{:.0f}", p.mean) : fmt::format("{:.0f} ({}/20)", p.mean, p.found);
}

std::string ours(const Row& r) {
  if (r.found == 0) return fmt::format("- (0/{})", r.trials);
  return fmt::format("{:.0f} / {:.0f} ({}/{})", r.mean, r.median, r.found, r.trials);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned trials = 20, jobs = 2;
  std::uint64_t budget = 10'000;
  std::string programs, strategies = "pos,random,pct", markdown;
  CLI::App app("Bug-finding power of lockstep's strategies on the planted-bug programs");
  app.add_option("--trials", trials, "Trials per program and strategy")->check(CLI::Range(1u, 1000u))->capture_default_str();
  app.add_option("--budget", budget, "Runs per trial")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32))->capture_default_str();
  app.add_option("--jobs", jobs, "Trials at a time (processes)")->check(CLI::Range(1u, 256u))->capture_default_str();
  app.add_option("--programs", programs, "Comma-separated programs (default: all)");
  app.add_option("--strategies", strategies, "Comma-separated strategies")->capture_default_str();
  app.add_option("--markdown", markdown, "Also write the table as Markdown to this file");
  CLI11_PARSE(app, argc, argv);

  const auto wanted = split(programs);
  std::vector<Row> rows;
  fmt::print("{:<18} {:<7} {:>22} {:>10} | published: {:>12} {:>12} {:>12} {:>8} {:>8}\n", "program", "strategy",
             "mean / median (found)", "us/run", "PCT-3 [S]", "POS [S]", "RW [S]", "SURW [S]", "RFF [R]");
  for (const Program& p : kPrograms) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), p.scenario) == wanted.end()) continue;
    if (lockstep::sim::find_scenario(p.scenario) == nullptr) {
      fmt::print(stderr, "bench_search: no scenario '{}'\n", p.scenario);
      return 2;
    }
    for (const std::string& strategy : split(strategies)) {
      RunOptions o;
      o.scenario = p.scenario;
      o.machine.cpus = p.cpus;
      o.machine.memory_model = p.model;
      o.machine.races = lockstep::sim::races_by_default(o);  // As explore has it.
      o.trace_records_per_cpu = 64;
      const auto s = lockstep::emu::parse_strategy(strategy);
      if (!s || *s == lockstep::emu::Strategy::kSchedule) {
        fmt::print(stderr, "bench_search: unknown strategy '{}'\n", strategy);
        return 2;
      }
      o.machine.strategy = *s;
      if (*s == lockstep::emu::Strategy::kPct) o.machine.pct_horizon = lockstep::sim::measure_pct_horizon(o);
      const Row row = summarize(p, strategy, lockstep::bugs::run_trials(o, trials, budget, jobs));
      fmt::print("{:<18} {:<7} {:>22} {:>10.1f} | {:>23} {:>12} {:>12} {:>8} {:>8}\n", row.program, row.strategy, ours(row),
                 row.us_per_run, published(p.pct3), published(p.pos), published(p.random_walk), published(p.surw),
                 published(p.rff));
      std::fflush(stdout);
      rows.push_back(row);
    }
  }
  if (!markdown.empty()) {
    std::string md = fmt::format("Budget {} runs per trial, {} trials; ours: mean / median runs to the first failure "
                                 "(trials that found it).\n\n| program | strategy | ours | us/run | PCT-3 [S] | POS [S] | "
                                 "RW [S] | SURW [S] | RFF [R] |\n|---|---|---|---|---|---|---|---|---|\n",
                                 budget, trials);
    for (const Row& r : rows)
      md += fmt::format("| {} | {} | {} | {:.1f} | {} | {} | {} | {} | {} |\n", r.program, r.strategy, ours(r), r.us_per_run,
                        published(r.published->pct3), published(r.published->pos), published(r.published->random_walk),
                        published(r.published->surw), published(r.published->rff));
    lockstep::sim::write_file_atomically(markdown, md);
  }
  return 0;
}
