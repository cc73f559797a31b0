// `lockstep replay --ipis FILE`: the recorded IPIs are injected into a run of the ipi-replay
// scenario at their recorded times (shifted so the first lands at --start), in recorded order;
// the report shows, per CPU and kind, what was injected and how the core took it.

#include <fmt/format.h>
#include <lockstep/core/percpu.hpp>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/ipi_replay.hpp>
#include <lockstep/sim/ipi_trace.hpp>
#include <map>

#include "common.hpp"

namespace lockstep::sim::cli {
namespace {

/// Longest span of an IPI trace we replay: the holding tasks spin through it (10 cycles a step).
constexpr std::uint64_t kMaxSpan = 100'000'000;
/// Cycles after the last injection the CPUs stay online (delivery latency and handling).
constexpr std::uint64_t kDrain = 100'000;

}  // namespace

int replay_ipis(const std::string& path, std::uint32_t cpus, std::uint64_t start) {
  const std::vector<IpiEvent> events = read_ipi_trace(path);
  if (events.empty()) throw InputError(fmt::format("{}: no IPI events to replay", path));
  std::uint32_t needed = 2;
  for (const auto& e : events) needed = std::max({needed, e.src + 1, e.dst + 1});
  if (cpus == 0) cpus = needed;
  if (needed > cpus)
    throw InputError(fmt::format("{}: an event names CPU {}, but the machine has {} CPUs (--cpus)", path, needed - 1, cpus));
  const std::uint64_t first = events.front().time;
  const std::uint64_t span = events.back().time - first;
  if (span > kMaxSpan) throw InputError(fmt::format("{}: the IPIs span {} cycles (at most {} replayed)", path, span, kMaxSpan));

  RunOptions options;
  options.scenario = kIpiReplayScenario;
  options.machine.cpus = cpus;
  options.machine.seed = 1;
  options.machine.strategy = emu::Strategy::kRoundRobin;
  options.trace_records_per_cpu = 65536;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> injected;  // (cpu, kind)
  for (const auto& e : events) {
    options.machine.injections.push_back({e.dst, start + (e.time - first), core::ipi_vector(e.kind)});
    ++injected[{e.dst, static_cast<std::uint32_t>(e.kind)}];
  }
  const std::uint64_t until = start + span + kDrain;
  options.machine.max_steps += std::uint64_t{cpus} * (until / 10) * 2;
  set_ipi_replay_window(start, until);
  const ScenarioRun run = run_scenario(options);

  // IPIs the core itself sent during the run, per (target, kind), from the trace.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> core_sent, core_coalesced;
  for (const auto& cpu : run.trace)
    for (const auto& r : cpu) {
      if (r.type == core::TraceType::kIpiSent) ++core_sent[{r.a, r.aux}];
      if (r.type == core::TraceType::kIpiCoalesced) ++core_coalesced[{r.a, r.aux}];
    }
  fmt::print("replayed {} IPIs from {} into {} CPUs (first at cycle {}, last at {})\n", events.size(), path, cpus, start,
             start + span);
  fmt::print("outcome: {}\n", outcome_line(run));
  fmt::print("  cpu  kind        injected  received  core-sent  core-coalesced  merged\n");
  for (std::uint32_t c = 0; c < cpus; ++c) {
    for (std::uint32_t k = 0; k < core::kIpiKinds; ++k) {
      const std::uint64_t inj = injected.count({c, k}) ? injected[{c, k}] : 0;
      const std::uint64_t recv = core::cpu_record(c).counters.ipi_received[k];
      const std::uint64_t sent = core_sent.count({c, k}) ? core_sent[{c, k}] : 0;
      const std::uint64_t coal = core_coalesced.count({c, k}) ? core_coalesced[{c, k}] : 0;
      if (inj == 0 && recv == 0 && sent == 0 && coal == 0) continue;
      // Deliveries that arrived while the same vector was already pending merge into one.
      const std::uint64_t merged = inj + sent > recv ? inj + sent - recv : 0;
      fmt::print("  {:>3}  {:<10}  {:>8}  {:>8}  {:>9}  {:>14}  {:>6}\n", c, core::ipi_kind_name(static_cast<core::IpiKind>(k)),
                 inj, recv, sent, coal, merged);
    }
  }
  if (!run.passed && run.machine.status != emu::RunStatus::kFinished) fmt::print("machine report:\n{}", run.machine.report);
  return run.passed ? 0 : 1;
}

}  // namespace lockstep::sim::cli
