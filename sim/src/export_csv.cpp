#include <fmt/format.h>
#include <lockstep/sim/export.hpp>
#include <queue>

namespace lockstep::sim {

void export_csv(const TraceData& trace, AtomicFile& out) {
  out.write("time,cpu,type,aux,a,b,detail\n");
  // Merge the per-CPU streams by time (ties: lower CPU first), without copying the records.
  using Head = std::pair<std::uint64_t, std::uint32_t>;  // (time, cpu)
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  std::vector<std::size_t> next(trace.cpus.size(), 0);
  for (std::uint32_t c = 0; c < trace.cpus.size(); ++c)
    if (!trace.cpus[c].empty()) heads.push({trace.cpus[c][0].time, c});
  std::string line;
  while (!heads.empty()) {
    const std::uint32_t c = heads.top().second;
    heads.pop();
    const core::TraceRecord& r = trace.cpus[c][next[c]++];
    const char* type = core::trace_type_name(r.type);
    line.clear();
    fmt::format_to(std::back_inserter(line), "{},{},{},{},{},{},{}\n", r.time, r.cpu, type ? type : "unknown",
                   static_cast<unsigned>(r.aux), r.a, r.b, describe_record(r));
    out.write(line);
    if (next[c] < trace.cpus[c].size()) heads.push({trace.cpus[c][next[c]].time, c});
  }
}

}  // namespace lockstep::sim
