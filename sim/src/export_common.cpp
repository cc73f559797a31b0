#include <algorithm>
#include <deque>
#include <fmt/format.h>
#include <lockstep/core/ipi.hpp>
#include <lockstep/sim/export.hpp>
#include <map>

namespace lockstep::sim {

std::optional<ExportFormat> parse_export_format(std::string_view name) noexcept {
  if (name == "perfetto") return ExportFormat::kPerfetto;
  if (name == "chrome") return ExportFormat::kChrome;
  if (name == "csv") return ExportFormat::kCsv;
  return std::nullopt;
}

const char* export_extension(ExportFormat format) noexcept {
  switch (format) {
    case ExportFormat::kPerfetto: return ".pftrace";
    case ExportFormat::kChrome: return ".json";
    case ExportFormat::kCsv: return ".csv";
  }
  return "";
}

std::vector<IpiFlow> pair_ipi_flows(const TraceData& trace) {
  struct Send {
    std::uint64_t time;
    std::uint32_t cpu;
    std::size_t index;
  };
  // Pending sends per (target, kind), in time order.
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::deque<Send>> pending;
  for (std::uint32_t cpu = 0; cpu < trace.cpus.size(); ++cpu) {
    const auto& recs = trace.cpus[cpu];
    for (std::size_t i = 0; i < recs.size(); ++i)
      if (recs[i].type == core::TraceType::kIpiSent && recs[i].a < trace.cpus.size())
        pending[{recs[i].a, recs[i].aux}].push_back({recs[i].time, cpu, i});
  }
  for (auto& [key, q] : pending)
    std::stable_sort(q.begin(), q.end(), [](const Send& a, const Send& b) { return a.time < b.time; });
  std::vector<IpiFlow> flows;
  for (std::uint32_t cpu = 0; cpu < trace.cpus.size(); ++cpu) {
    const auto& recs = trace.cpus[cpu];
    for (std::size_t i = 0; i < recs.size(); ++i) {
      if (recs[i].type != core::TraceType::kIpiReceived) continue;
      auto it = pending.find({cpu, recs[i].aux});
      if (it == pending.end() || it->second.empty() || it->second.front().time > recs[i].time) continue;
      const Send s = it->second.front();
      it->second.pop_front();
      flows.push_back({s.cpu, s.index, cpu, i});
    }
  }
  return flows;
}

void export_trace(const TraceData& trace, ExportFormat format, const std::string& out) {
  AtomicFile file(out);
  switch (format) {
    case ExportFormat::kPerfetto: export_perfetto(trace, file); break;
    case ExportFormat::kChrome: export_chrome(trace, file); break;
    case ExportFormat::kCsv: export_csv(trace, file); break;
  }
  file.commit();
}

}  // namespace lockstep::sim
