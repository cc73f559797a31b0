#pragma once
// Every figure of lockstep's benchmarks is a ratio against a baseline measured in the same run.
// A suite registers its benchmarks as usual and declares the ratios it wants printed; the shared
// main (ratio_main.cpp) runs the benchmarks, keeps the median of each (over
// --benchmark_repetitions, or the single run without repetitions) and prints, after the usual
// table, one line per ratio:
//
//   ratio <name> = <x>  (<subject> <value> / <baseline> <value>; target <= 3: met)
//
// Targets are goals, not pass/fail tests: the exit status does not depend on them.

#include <benchmark/benchmark.h>

#include <string>

namespace lockstep::bench {

/// What a ratio compares, per benchmark run.
enum class Metric {
  /// Time per iteration divided by the "ops" counter (1 if absent): the benchmark's CPU time
  /// (this thread's, so that other load on a shared machine does not count), or its real time
  /// when it runs with UseRealTime() or UseManualTime() (hand-offs between threads, whose
  /// waiting is no CPU time; manual timing).
  kTimePerOp,
  kCounterLower,  ///< A user counter where lower is better (`counter` names it).
  kCounterHigher, ///< A user counter where higher is better, e.g. items_per_second.
};

enum class Goal { kNone, kAtMost, kAtLeast };

struct RatioSpec {
  std::string name;
  std::string subject;   ///< Full benchmark name as printed, e.g. "BM_DetSwitch/real_time".
  std::string baseline;  ///< Empty for an absolute figure (the subject's value against `target`).
  Metric metric = Metric::kTimePerOp;
  std::string counter;   ///< For the counter metrics.
  /// Print baseline/subject instead of subject/baseline ("how many times faster").
  bool inverted = false;
  Goal goal = Goal::kNone;
  double target = 0;     ///< For an absolute figure of kTimePerOp: seconds.
  std::string note;      ///< Printed after the line (what the figure means).
};

/// Declares a ratio to print after the run. Call before main (from a static initialiser) or
/// from main before run_with_ratios.
int declare_ratio(RatioSpec spec);

/// Sets the "ops" counter: how many operations one iteration of `state` performed, so that
/// kTimePerOp compares per-operation times of benchmarks with different batch sizes.
inline void set_ops_per_iteration(benchmark::State& state, double ops) { state.counters["ops"] = ops; }

}  // namespace lockstep::bench

#define LOCKSTEP_BENCH_CONCAT2(a, b) a##b
#define LOCKSTEP_BENCH_CONCAT(a, b) LOCKSTEP_BENCH_CONCAT2(a, b)
/// LOCKSTEP_RATIO({.name = ..., .subject = ..., ...});
#define LOCKSTEP_RATIO(...) \
  static const int LOCKSTEP_BENCH_CONCAT(lockstep_ratio_, __LINE__) = ::lockstep::bench::declare_ratio(__VA_ARGS__)
