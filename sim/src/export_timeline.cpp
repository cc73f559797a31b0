#include <fmt/format.h>
#include <lockstep/core/ipi.hpp>
#include <lockstep/sim/export.hpp>
#include <unordered_map>

#include "export_timeline.hpp"

namespace lockstep::sim::detail {
namespace {

const char* kind_name(std::uint8_t k) {
  return k < core::kIpiKinds ? core::ipi_kind_name(static_cast<core::IpiKind>(k)) : "unknown-kind";
}

std::uint64_t key(std::uint32_t cpu, std::size_t index) { return std::uint64_t{cpu} << 40 | index; }

}  // namespace

std::vector<std::vector<TimelineEvent>> build_timeline(const TraceData& trace) {
  std::unordered_map<std::uint64_t, std::uint64_t> flow_out, flow_in;
  const auto flows = pair_ipi_flows(trace);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    flow_out[key(flows[i].src_cpu, flows[i].src_index)] = i + 1;
    flow_in[key(flows[i].dst_cpu, flows[i].dst_index)] = i + 1;
  }
  std::vector<std::vector<TimelineEvent>> out(trace.cpus.size());
  for (std::uint32_t cpu = 0; cpu < trace.cpus.size(); ++cpu) {
    auto& events = out[cpu];
    const auto& recs = trace.cpus[cpu];
    bool task_open = false;
    std::uint32_t irq_depth = 0;
    auto end = [&](std::uint64_t t) { events.push_back({TimelineEvent::kEnd, cpu, t, {}}); };
    for (std::size_t i = 0; i < recs.size(); ++i) {
      const core::TraceRecord& r = recs[i];
      using core::TraceType;
      switch (r.type) {
        case TraceType::kTaskSwitch:
          for (; irq_depth > 0; --irq_depth) end(r.time);
          if (task_open) end(r.time);
          task_open = r.a != core::kIdleTask;
          if (task_open) events.push_back({TimelineEvent::kBegin, cpu, r.time, fmt::format("task {}", r.a)});
          break;
        case TraceType::kIrqEnter:
          ++irq_depth;
          events.push_back({TimelineEvent::kBegin, cpu, r.time,
                            r.aux < core::kIpiKinds ? fmt::format("ipi {}", kind_name(r.aux)) : std::string("timer interrupt")});
          break;
        case TraceType::kIrqExit:
          if (irq_depth > 0) {
            --irq_depth;
            end(r.time);
          }
          break;
        case TraceType::kIpiSent: {
          TimelineEvent e{TimelineEvent::kInstant, cpu, r.time, fmt::format("send {} -> cpu {}", kind_name(r.aux), r.a)};
          if (auto it = flow_out.find(key(cpu, i)); it != flow_out.end()) e.flow_out = it->second;
          events.push_back(std::move(e));
          break;
        }
        case TraceType::kIpiReceived: {
          TimelineEvent e{TimelineEvent::kInstant, cpu, r.time, fmt::format("receive {}", kind_name(r.aux))};
          if (auto it = flow_in.find(key(cpu, i)); it != flow_in.end()) e.flow_in = it->second;
          events.push_back(std::move(e));
          break;
        }
        case TraceType::kRunQueueLength: {
          TimelineEvent e{TimelineEvent::kCounter, cpu, r.time, "run queue"};
          e.value = r.a;
          events.push_back(std::move(e));
          break;
        }
        case TraceType::kProfileBegin:
        case TraceType::kProfileEnd:
        case TraceType::kProfileCount: break;  // Regions may straddle switches: the profiler report shows them.
        default: events.push_back({TimelineEvent::kInstant, cpu, r.time, describe_record(r)}); break;
      }
    }
    const std::uint64_t last = recs.empty() ? 0 : recs.back().time;
    for (; irq_depth > 0; --irq_depth) end(last);
    if (task_open) end(last);
  }
  return out;
}

}  // namespace lockstep::sim::detail
