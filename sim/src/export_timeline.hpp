#pragma once
// The viewer-neutral form of a trace that the Chrome and Perfetto exporters render: per CPU,
// properly nested slices (tasks, interrupts), instants with IPI flow ends, and counters.

#include <cstdint>
#include <lockstep/sim/trace_file.hpp>
#include <string>
#include <vector>

namespace lockstep::sim::detail {

struct TimelineEvent {
  enum Kind : std::uint8_t { kBegin, kEnd, kInstant, kCounter };
  Kind kind;
  std::uint32_t cpu;
  std::uint64_t time;
  std::string name;          ///< Slice, instant or counter name (empty for kEnd).
  std::int64_t value = 0;    ///< kCounter.
  std::uint64_t flow_out = 0;  ///< Non-zero: an IPI flow starts at this instant.
  std::uint64_t flow_in = 0;   ///< Non-zero: an IPI flow ends at this instant.
};

/// Per CPU, in record order; every kBegin has its kEnd.
std::vector<std::vector<TimelineEvent>> build_timeline(const TraceData& trace);

/// Calls f(event) for all CPUs' events merged by time (ties: lower CPU, then record order).
template <class F>
void for_each_by_time(const std::vector<std::vector<TimelineEvent>>& timeline, F&& f);

}  // namespace lockstep::sim::detail

#include <functional>
#include <queue>

template <class F>
void lockstep::sim::detail::for_each_by_time(const std::vector<std::vector<TimelineEvent>>& timeline, F&& f) {
  using Head = std::pair<std::uint64_t, std::uint32_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  std::vector<std::size_t> next(timeline.size(), 0);
  for (std::uint32_t c = 0; c < timeline.size(); ++c)
    if (!timeline[c].empty()) heads.push({timeline[c][0].time, c});
  while (!heads.empty()) {
    const std::uint32_t c = heads.top().second;
    heads.pop();
    f(timeline[c][next[c]++]);
    if (next[c] < timeline[c].size()) heads.push({timeline[c][next[c]].time, c});
  }
}
