#include <algorithm>
#include <fmt/format.h>
#include <lockstep/sim/build_id.hpp>
#include <lockstep/sim/run_trace.hpp>

namespace lockstep::sim {

const char* engine_name(Engine engine) noexcept { return engine == Engine::kParallel ? "parallel" : "det"; }

TraceConfig trace_config_of(const RunOptions& o) {
  TraceConfig c;
  c.build_id = build_id();
  c.scenario = o.scenario;
  c.strategy = std::string(emu::to_string(o.machine.strategy));
  c.faults = o.machine.faults.any() ? emu::format_faults(o.machine.faults) : std::string();
  c.engine = engine_name(o.engine);
  c.cpus = std::max<hal::CpuId>(1, std::min<hal::CpuId>(o.machine.cpus, hal::kMaxCpus));
  c.seed = o.machine.seed;
  c.pct_depth = o.machine.pct_depth;
  c.pct_horizon = o.machine.pct_horizon;
  c.tick_period = o.tick_period;
  c.ring_capacity = o.trace_records_per_cpu;
  c.max_steps = o.machine.max_steps;
  c.max_cycles = o.machine.max_cycles;
  if (o.machine.strategy == emu::Strategy::kSchedule) c.schedule = emu::format_schedule(o.machine.schedule);
  c.memory_model = std::string(emu::to_string(o.machine.memory_model));
  c.races = o.machine.races;
  return c;
}

RunOptions run_options_of(const TraceConfig& c) {
  RunOptions o;
  o.scenario = c.scenario;
  o.machine.cpus = c.cpus;
  o.machine.seed = c.seed;
  const auto strategy = emu::parse_strategy(c.strategy);
  if (!strategy) throw InputError(fmt::format("the trace names an unknown strategy '{}'", c.strategy));
  o.machine.strategy = *strategy;
  const auto memory_model = emu::parse_memory_model(c.memory_model);
  if (!memory_model) throw InputError(fmt::format("the trace names an unknown memory model '{}'", c.memory_model));
  o.machine.memory_model = *memory_model;
  o.machine.races = c.races;
  using Limits = emu::Limits;
  auto check = [](const char* field, std::uint64_t v, std::uint64_t lo, std::uint64_t hi) {
    if (v < lo || v > hi) throw InputError(fmt::format("the trace's {} is {}, outside {}..{}", field, v, lo, hi));
  };
  check("PCT depth", c.pct_depth, 1, Limits::kMaxPctDepth);
  check("PCT horizon", c.pct_horizon, 1, Limits::kMaxPctHorizon);
  check("step limit", c.max_steps, 1, Limits::kMaxSteps);
  check("cycle limit", c.max_cycles, 1, Limits::kMaxCycles);
  o.machine.pct_depth = c.pct_depth;
  o.machine.pct_horizon = c.pct_horizon;
  o.machine.max_steps = c.max_steps;
  o.machine.max_cycles = c.max_cycles;
  if (*strategy == emu::Strategy::kSchedule) {
    std::string error;
    auto schedule = emu::parse_schedule(c.schedule, error);
    if (!schedule) throw InputError(fmt::format("the trace's schedule does not parse: {}", error));
    o.machine.schedule = std::move(*schedule);
  }
  if (!c.faults.empty()) {
    std::string error;
    const auto faults = emu::parse_faults(c.faults, error);
    if (!faults) throw InputError(fmt::format("the trace's faults '{}' do not parse: {}", c.faults, error));
    o.machine.faults = *faults;
  }
  if (c.engine == "det") {
    o.engine = Engine::kDeterministic;
  } else if (c.engine == "parallel") {
    o.engine = Engine::kParallel;
  } else {
    throw InputError(fmt::format("the trace names an unknown engine '{}'", c.engine));
  }
  o.tick_period = c.tick_period;
  constexpr std::uint64_t kMaxRing = 1u << 24;
  if (c.ring_capacity > kMaxRing) throw InputError(fmt::format("the trace's ring capacity {} is absurd", c.ring_capacity));
  o.trace_records_per_cpu = c.ring_capacity;
  return o;
}

void number_locks(std::span<core::TraceRecord> records, std::vector<std::uint64_t>& numbers) {
  for (auto& r : records) {
    if (r.type != core::TraceType::kLockContended && r.type != core::TraceType::kLockAcquired) continue;
    // Few locks per run: a linear search beats a map here.
    auto it = std::find(numbers.begin(), numbers.end(), r.b);
    if (it == numbers.end()) it = numbers.insert(numbers.end(), r.b);
    r.b = static_cast<std::uint64_t>(it - numbers.begin()) + 1;
  }
}

void write_run_trace(const std::string& path, const RunOptions& options, const ScenarioRun& run) {
  TraceConfig config = trace_config_of(options);
  // The decisions as the run took them carry where each one happened (the viewer marks them);
  // replayed, they make the same run as the schedule given.
  if (options.machine.strategy == emu::Strategy::kSchedule)
    config.schedule = emu::format_schedule(run.machine.decisions);
  TraceWriter writer(path, config);
  std::vector<std::uint64_t> locks;
  std::vector<core::TraceRecord> records;  // One CPU at a time: the run is not held twice.
  for (std::uint32_t c = 0; c < config.cpus; ++c) {
    records.clear();
    if (c < run.trace.size()) records = run.trace[c];
    number_locks(records, locks);
    writer.write_cpu(c, records, c < run.trace_lost.size() ? run.trace_lost[c] : 0);
  }
  TraceOutcome outcome;
  outcome.passed = run.passed;
  outcome.reason = run.reason.substr(0, kTraceMaxString);
  outcome.event_hash = run.machine.event_hash;
  outcome.steps = run.machine.steps;
  outcome.virtual_time = run.machine.max_cycles;
  writer.finish(outcome);
}

}  // namespace lockstep::sim
