// Whole runs of lock-heavy scenarios on the deterministic engine, with and without the lock
// validator (core/lockdep.hpp): what `--lockdep on` (the default) costs a sweep. Each iteration
// is one run of a fixed seed, in this process, the way explore's workers run seeds. And writing
// a trace file (TraceWriter: header, checksum, atomic rename) against writing the same bytes raw.

#include <unistd.h>

#include <cstdio>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <string>
#include <vector>

#include "ratio.hpp"

namespace lockstep::bench {
namespace {

void run_scenario_bench(benchmark::State& state, const char* scenario) {
  sim::RunOptions o;
  o.scenario = scenario;
  o.machine.cpus = 4;
  o.trace_records_per_cpu = 64;  // As explore runs.
  o.lockdep = state.range(0) != 0;
  core::lockdep_forget();
  std::uint64_t seed = 1;
  for (auto _ : state) {
    o.machine.seed = seed++;
    const sim::ScenarioRun run = sim::run_scenario(o);
    if (!run.passed) {
      state.SkipWithError(("the run failed: " + run.reason).c_str());
      break;
    }
  }
}

void BM_SpinlockStressRun(benchmark::State& state) { run_scenario_bench(state, "spinlock-stress"); }
void BM_MixedRun(benchmark::State& state) { run_scenario_bench(state, "mixed"); }
BENCHMARK(BM_SpinlockStressRun)->ArgName("lockdep")->Arg(1)->Arg(0);
BENCHMARK(BM_MixedRun)->ArgName("lockdep")->Arg(1)->Arg(0);

// ---- trace files ----------------------------------------------------------------------------
constexpr std::uint32_t kTraceCpus = 8;
constexpr std::size_t kRecordsPerCpu = 1'000'000;  // 8 M records, 192 MB: past any page cache trick.

const std::vector<core::TraceRecord>& sample_records() {
  static const std::vector<core::TraceRecord> records = [] {
    std::vector<core::TraceRecord> r(kRecordsPerCpu);
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = {i * 7, 0, core::TraceType::kMarker, 0, std::uint32_t(i), i};
    return r;
  }();
  return records;
}

std::string bench_trace_path() { return "/tmp/lockstep-bench-" + std::to_string(::getpid()) + ".trace"; }

/// Writes the sample records of kTraceCpus CPUs to one file per iteration with `write(path)`,
/// counting records as items; the file is removed at the end.
template <class Write>
void write_bench(benchmark::State& state, Write&& write) {
  const std::string path = bench_trace_path();
  const auto& records = sample_records();  // Made before the clock runs.
  for (auto _ : state) write(path, records);
  std::remove(path.c_str());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTraceCpus * kRecordsPerCpu));
}

/// What the trace file costs: `lockstep run --trace`'s writer, fsync and rename included.
void BM_TraceWrite(benchmark::State& state) {
  sim::TraceConfig config;
  config.scenario = "bench";
  config.cpus = kTraceCpus;
  write_bench(state, [&](const std::string& path, const std::vector<core::TraceRecord>& records) {
    sim::TraceWriter w(path, config);
    for (std::uint32_t c = 0; c < kTraceCpus; ++c) w.write_cpu(c, records, 0);
    w.finish(sim::TraceOutcome{});
  });
}

/// The floor: the same bytes through the same atomic file (fsync and rename), no format, no checksum.
void BM_RawWrite(benchmark::State& state) {
  write_bench(state, [](const std::string& path, const std::vector<core::TraceRecord>& records) {
    sim::AtomicFile f(path);
    for (std::uint32_t c = 0; c < kTraceCpus; ++c) f.write(records.data(), records.size() * sizeof records[0]);
    f.commit();
  });
}
BENCHMARK(BM_TraceWrite)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RawWrite)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

LOCKSTEP_RATIO({.name = "trace_write_vs_raw_write",
                .subject = "BM_TraceWrite/real_time",
                .baseline = "BM_RawWrite/real_time",
                .goal = Goal::kAtMost,
                .target = 1.2,
                .note = "8 M records into a trace file against the same bytes written raw (both fsync and rename)"});
LOCKSTEP_RATIO({.name = "trace_write_records_per_second",
                .subject = "BM_TraceWrite/real_time",
                .metric = Metric::kCounterHigher,
                .counter = "items_per_second",
                .goal = Goal::kAtLeast,
                .target = 50e6,
                .note = "records per second into a trace file (issue 14: >= 50 M/s)"});

LOCKSTEP_RATIO({.name = "lockdep_on_vs_off_spinlock_stress",
                .subject = "BM_SpinlockStressRun/lockdep:1",
                .baseline = "BM_SpinlockStressRun/lockdep:0",
                .goal = Goal::kAtMost,
                .target = 1.3,
                .note = "a whole 4-CPU run with the lock validator against one without"});
LOCKSTEP_RATIO({.name = "lockdep_on_vs_off_mixed",
                .subject = "BM_MixedRun/lockdep:1",
                .baseline = "BM_MixedRun/lockdep:0",
                .goal = Goal::kAtMost,
                .target = 1.3,
                .note = "the demo scenario, with and without the validator"});

}  // namespace lockstep::bench
