#include <fmt/format.h>
#include <lockstep/sim/trace_file.hpp>

namespace lockstep::sim {

TraceWriter::TraceWriter(const std::string& path, const TraceConfig& config) : file_(path), cpus_(config.cpus) {
  put(kTraceMagic, sizeof kTraceMagic);
  put_u32(kTraceFileVersion);
  put_u32(core::kTraceFormatVersion);
  put_u32(sizeof(core::TraceRecord));
  put_string(config.build_id);
  put_string(config.scenario);
  put_string(config.strategy);
  put_string(config.faults);
  put_string(config.engine);
  put_u32(config.cpus);
  put_u64(config.seed);
  put_u32(config.pct_depth);
  put_u64(config.pct_horizon);
  put_u64(config.tick_period);
  put_u64(config.ring_capacity);
  put_u64(config.max_steps);
  put_u64(config.max_cycles);
  put_string(config.schedule, kTraceMaxSchedule);
  put_string(config.memory_model);
  put_u32(config.races ? 1 : 0);
}

void TraceWriter::put(const void* data, std::size_t len) {
  sum_.update(data, len);
  file_.write(data, len);
}

void TraceWriter::put_string(const std::string& s, std::uint32_t max) {
  if (s.size() > max) throw InputError(fmt::format("trace header string too long ({} bytes)", s.size()));
  put_u32(static_cast<std::uint32_t>(s.size()));
  put(s.data(), s.size());
}

void TraceWriter::write_cpu(std::uint32_t cpu, std::span<const core::TraceRecord> records, std::uint64_t lost) {
  if (cpu != next_cpu_ || cpu >= cpus_) throw InputError(fmt::format("trace writer: CPU {} out of order", cpu));
  ++next_cpu_;
  put_u32(cpu);
  put_u32(0);
  put_u64(records.size());
  put_u64(lost);
  put(records.data(), records.size_bytes());
}

void TraceWriter::finish(const TraceOutcome& outcome) {
  for (std::uint32_t c = next_cpu_; c < cpus_; ++c) write_cpu(c, {}, 0);
  put_u32(outcome.passed ? 1 : 0);
  put_string(outcome.reason);
  put_u64(outcome.event_hash);
  put_u64(outcome.steps);
  put_u64(outcome.virtual_time);
  const std::uint64_t sum = sum_.value();
  file_.write(&sum, sizeof sum);
  file_.commit();
}

}  // namespace lockstep::sim
