#include <lockstep/core/cpu.hpp>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/report.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/spinlock.hpp>

namespace lockstep::core {

Totals collect_totals() noexcept {
  Totals t;
  for (hal::CpuId c = 0; c < cpu_count(); ++c) {
    const PerCpu& cpu = cpu_record(c);
    const CpuCounters& k = cpu.counters;
    t.interrupts += k.interrupts;
    t.timer_ticks += k.timer_ticks;
    t.context_switches += k.context_switches;
    t.tasks_finished += k.tasks_finished;
    t.steals += k.steals;
    t.stolen_tasks += k.stolen_tasks;
    for (std::uint32_t i = 0; i < kIpiKinds; ++i) {
      t.ipi_sent += k.ipi_sent[i];
      t.ipi_received += k.ipi_received[i];
      t.ipi_coalesced += k.ipi_coalesced[i];
    }
    t.trace_records += cpu.trace.written - cpu.trace.lost();
    t.trace_lost += cpu.trace.lost();
  }
  for (const LockStats* s = registered_locks(); s != nullptr; s = s->next_registered) {
    t.lock_acquisitions += s->acquisitions;
    t.lock_contended += s->contended;
    t.lock_spin_cycles += s->spin_cycles;
  }
  return t;
}

void print_report() noexcept {
  const hal::CpuId n = cpu_count();
  print("== per-CPU ==\n");
  print("cpu   state     irqs    ticks  switches  finished  steals  ipi-sent  ipi-recv  coalesced\n");
  for (hal::CpuId c = 0; c < n; ++c) {
    const PerCpu& cpu = cpu_record(c);
    const CpuCounters& k = cpu.counters;
    std::uint64_t sent = 0, recv = 0, coal = 0;
    for (std::uint32_t i = 0; i < kIpiKinds; ++i) {
      sent += k.ipi_sent[i];
      recv += k.ipi_received[i];
      coal += k.ipi_coalesced[i];
    }
    print("{} {} {} {} {} {} {} {} {} {}\n", c, cpu_state_name(cpu.cpu_state()), k.interrupts, k.timer_ticks,
          k.context_switches, k.tasks_finished, k.steals, sent, recv, coal);
  }
  const Totals t = collect_totals();
  print("== totals ==\ninterrupts {} ticks {} switches {} tasks {} ipi sent {} received {} coalesced {} steals {} ({} tasks)\n",
        t.interrupts, t.timer_ticks, t.context_switches, t.tasks_finished, t.ipi_sent, t.ipi_received, t.ipi_coalesced,
        t.steals, t.stolen_tasks);
  print("trace records {} lost {}\n", t.trace_records, t.trace_lost);

  print("== profiler: labels by cycles ==\n");
  // Selection by repeated maximum: the table is tiny and we have no heap to sort in.
  bool shown[kMaxProfileLabels] = {};
  for (std::uint32_t rank = 0; rank < profile_label_count(); ++rank) {
    std::uint32_t best = kMaxProfileLabels;
    hal::Cycles best_total = 0;
    for (std::uint32_t l = 0; l < profile_label_count(); ++l) {
      if (shown[l]) continue;
      hal::Cycles total = 0;
      for (hal::CpuId c = 0; c < n; ++c) total += cpu_profile(c).labels[l].total;
      if (best == kMaxProfileLabels || total > best_total) {
        best = l;
        best_total = total;
      }
    }
    if (best == kMaxProfileLabels) break;
    shown[best] = true;
    std::uint64_t calls = 0, samples = 0;
    hal::Cycles min = ~hal::Cycles{0}, max = 0;
    for (hal::CpuId c = 0; c < n; ++c) {
      const LabelStats& s = cpu_profile(c).labels[best];
      calls += s.calls;
      samples += s.samples;
      if (s.calls != 0 && s.min < min) min = s.min;
      if (s.max > max) max = s.max;
    }
    if (calls == 0 && samples == 0) continue;
    print("{} calls {} cycles {} min {} max {} samples {}\n", profile_label_name(static_cast<ProfileLabel>(best)), calls,
          best_total, calls ? min : 0, max, samples);
  }
  for (std::uint32_t k = 0; k < profile_counter_count(); ++k) {
    std::uint64_t total = 0;
    for (hal::CpuId c = 0; c < n; ++c) total += cpu_profile(c).counters[k];
    print("counter {} = {}\n", profile_counter_name(static_cast<ProfileCounter>(k)), total);
  }

  print("== locks ==\n");
  for (const LockStats* s = registered_locks(); s != nullptr; s = s->next_registered)
    print("{} acquisitions {} contended {} spin-cycles {}\n", s->name, s->acquisitions, s->contended, s->spin_cycles);

  print("== ipi matrix (sent, rows = sender) ==\n");
  const hal::CpuId m = n < kIpiMatrixCpus ? n : kIpiMatrixCpus;
  for (hal::CpuId from = 0; from < m; ++from) {
    TextBuffer line;
    line.format("{}:", from);
    for (hal::CpuId to = 0; to < m; ++to) line.format(" {}", cpu_record(from).counters.ipi_sent_to[to]);
    line.put('\n');
    line.flush();
  }
  print("balance violations {}\n", balance_violations());
}

}  // namespace lockstep::core
