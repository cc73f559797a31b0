// Chrome Trace Event JSON ("JSON Array Format" inside an object), streamed one event per line.

#include <fmt/format.h>
#include <lockstep/sim/export.hpp>
#include <nlohmann/json.hpp>

#include "export_timeline.hpp"

namespace lockstep::sim {
namespace {

constexpr int kPid = 1;
/// Chrome's unit is the microsecond; one cycle is shown as one nanosecond.
double micros(std::uint64_t cycles) { return static_cast<double>(cycles) / 1000.0; }

}  // namespace

void export_chrome(const TraceData& trace, AtomicFile& out) {
  bool first = true;
  auto emit = [&](const nlohmann::json& e) {
    out.write(first ? "\n" : ",\n");
    first = false;
    out.write(e.dump());
  };
  out.write("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
  emit({{"ph", "M"}, {"pid", kPid}, {"tid", 0}, {"name", "process_name"},
        {"args", {{"name", fmt::format("lockstep {} ({} CPUs, seed {})", trace.config.scenario, trace.config.cpus,
                                       trace.config.seed)}}}});
  for (std::uint32_t c = 0; c < trace.cpus.size(); ++c) {
    emit({{"ph", "M"}, {"pid", kPid}, {"tid", c}, {"name", "thread_name"}, {"args", {{"name", fmt::format("cpu {}", c)}}}});
    emit({{"ph", "M"}, {"pid", kPid}, {"tid", c}, {"name", "thread_sort_index"}, {"args", {{"sort_index", c}}}});
  }
  const auto timeline = detail::build_timeline(trace);
  for (const auto& cpu_events : timeline) {
    for (const auto& e : cpu_events) {
      const double ts = micros(e.time);
      switch (e.kind) {
        case detail::TimelineEvent::kBegin:
          emit({{"ph", "B"}, {"pid", kPid}, {"tid", e.cpu}, {"ts", ts}, {"name", e.name}, {"cat", "sched"}});
          break;
        case detail::TimelineEvent::kEnd: emit({{"ph", "E"}, {"pid", kPid}, {"tid", e.cpu}, {"ts", ts}}); break;
        case detail::TimelineEvent::kInstant:
          // A 1 ns slice rather than an "i" event: flow arrows bind to slices.
          emit({{"ph", "X"}, {"pid", kPid}, {"tid", e.cpu}, {"ts", ts}, {"dur", 0.001}, {"name", e.name}, {"cat", "event"}});
          if (e.flow_out != 0)
            emit({{"ph", "s"}, {"pid", kPid}, {"tid", e.cpu}, {"ts", ts}, {"id", e.flow_out}, {"name", "ipi"}, {"cat", "ipi"}});
          if (e.flow_in != 0)
            emit({{"ph", "f"}, {"bp", "e"}, {"pid", kPid}, {"tid", e.cpu}, {"ts", ts}, {"id", e.flow_in}, {"name", "ipi"},
                  {"cat", "ipi"}});
          break;
        case detail::TimelineEvent::kCounter:
          emit({{"ph", "C"}, {"pid", kPid}, {"tid", e.cpu}, {"ts", ts}, {"name", fmt::format("run queue cpu {}", e.cpu)},
                {"args", {{"length", e.value}}}});
          break;
      }
    }
  }
  out.write("\n],\"metadata\":");
  const TraceConfig& c = trace.config;
  out.write(nlohmann::json{{"scenario", c.scenario}, {"cpus", c.cpus}, {"seed", c.seed}, {"strategy", c.strategy},
                           {"faults", c.faults}, {"engine", c.engine}, {"build_id", c.build_id},
                           {"passed", trace.outcome.passed}, {"reason", trace.outcome.reason}}
                .dump());
  out.write("}\n");
}

}  // namespace lockstep::sim
