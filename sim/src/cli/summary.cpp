#include <algorithm>
#include <fmt/format.h>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/percpu.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/spinlock.hpp>
#include <vector>

#include "common.hpp"

namespace lockstep::sim::cli {
namespace {

constexpr std::size_t kTopLabels = 5;
constexpr std::size_t kTopLocks = 5;
constexpr hal::CpuId kCpuLines = 64;  // Larger machines print the first 64 CPUs and a total.

std::uint64_t sum(const std::uint64_t (&v)[core::kIpiKinds]) {
  std::uint64_t s = 0;
  for (auto x : v) s += x;
  return s;
}

void print_cpus(std::FILE* out) {
  const hal::CpuId n = core::cpu_count();
  fmt::print(out, "  cpu  tasks-done  switches  steals  ipi-sent  ipi-recv  coalesced\n");
  for (hal::CpuId c = 0; c < n && c < kCpuLines; ++c) {
    const core::CpuCounters& k = core::cpu_record(c).counters;
    fmt::print(out, "  {:>3}  {:>10}  {:>8}  {:>6}  {:>8}  {:>8}  {:>9}\n", c, k.tasks_finished, k.context_switches, k.steals,
               sum(k.ipi_sent), sum(k.ipi_received), sum(k.ipi_coalesced));
  }
  if (n > kCpuLines) fmt::print(out, "  ... {} more CPUs\n", n - kCpuLines);
}

void print_locks(std::FILE* out) {
  std::vector<const core::LockStats*> locks;
  for (const core::LockStats* s = core::registered_locks(); s != nullptr && locks.size() < 4096; s = s->next_registered)
    locks.push_back(s);
  std::stable_sort(locks.begin(), locks.end(), [](auto* a, auto* b) { return a->contended > b->contended; });
  fmt::print(out, "locks (most contended first):\n");
  for (std::size_t i = 0; i < locks.size() && i < kTopLocks; ++i)
    fmt::print(out, "  {:<24} acquisitions {:>8}  contended {:>6}  spin-cycles {}\n", locks[i]->name, locks[i]->acquisitions,
               locks[i]->contended, locks[i]->spin_cycles);
}

void print_labels(std::FILE* out) {
  struct Label {
    std::uint32_t id;
    std::uint64_t calls;
    hal::Cycles cycles;
  };
  std::vector<Label> labels;
  for (std::uint32_t l = 0; l < core::profile_label_count(); ++l) {
    Label x{l, 0, 0};
    for (hal::CpuId c = 0; c < core::cpu_count(); ++c) {
      x.calls += core::cpu_profile(c).labels[l].calls;
      x.cycles += core::cpu_profile(c).labels[l].total;
    }
    if (x.calls != 0) labels.push_back(x);
  }
  std::stable_sort(labels.begin(), labels.end(), [](const Label& a, const Label& b) { return a.cycles > b.cycles; });
  fmt::print(out, "profiler (top labels by cycles):\n");
  for (std::size_t i = 0; i < labels.size() && i < kTopLabels; ++i)
    fmt::print(out, "  {:<24} calls {:>8}  cycles {}\n", core::profile_label_name(static_cast<core::ProfileLabel>(labels[i].id)),
               labels[i].calls, labels[i].cycles);
}

}  // namespace

void print_summary(std::FILE* out, const RunOptions& o, const ScenarioRun& run) {
  fmt::print(out, "{}: scenario {} on {} CPUs, seed {}, strategy {}{}\n", run.passed ? "PASS" : "FAIL", o.scenario,
             o.machine.cpus, o.machine.seed, emu::to_string(o.machine.strategy),
             o.machine.faults.any() ? ", faults " + emu::format_faults(o.machine.faults) : std::string());
  if (!run.passed) fmt::print(out, "reason: {}\n", run.reason);
  fmt::print(out, "virtual time {} cycles, {} scheduling points, event hash {:016x}\n", run.machine.max_cycles, run.machine.steps,
             run.machine.event_hash);
  fmt::print(out, "points: {} progress ({} spins), {} in the test focus, {} preemptions{}\n", run.machine.progress_steps,
             run.machine.steps - run.machine.progress_steps, run.machine.focus_steps, run.machine.preemptions,
             o.machine.strategy == emu::Strategy::kPct
                 ? fmt::format("; PCT depth {} horizon {}", o.machine.pct_depth, o.machine.pct_horizon)
                 : std::string());
  const core::Totals& t = run.totals;
  fmt::print(out, "totals: {} tasks finished, {} switches, IPIs sent {} received {} coalesced {}, steals {} ({} tasks)\n",
             t.tasks_finished, t.context_switches, t.ipi_sent, t.ipi_received, t.ipi_coalesced, t.steals, t.stolen_tasks);
  if (run.machine.ipis_lost + run.machine.ipis_delayed + run.machine.ipis_duplicated != 0)
    fmt::print(out, "faults: {} IPIs lost, {} delayed, {} duplicated\n", run.machine.ipis_lost, run.machine.ipis_delayed,
               run.machine.ipis_duplicated);
  print_cpus(out);
  fmt::print(out, "lock contention: {} of {} acquisitions contended, {} spin cycles\n", t.lock_contended, t.lock_acquisitions,
             t.lock_spin_cycles);
  print_locks(out);
  print_labels(out);
  if (t.trace_lost != 0) fmt::print(out, "trace: {} records kept, {} overwritten (ring full)\n", t.trace_records, t.trace_lost);
  if (!run.passed && run.machine.status != emu::RunStatus::kFinished) fmt::print(out, "machine report:\n{}", run.machine.report);
}

}  // namespace lockstep::sim::cli
