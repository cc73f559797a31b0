#include "model.hpp"

#include <algorithm>
#include <deque>
#include <fmt/format.h>
#include <lockstep/core/ipi.hpp>
#include <lockstep/emu/config.hpp>
#include <lockstep/hal/types.hpp>
#include <lockstep/sim/export.hpp>
#include <lockstep/sim/report_lines.hpp>
#include <lockstep/sim/repro.hpp>
#include <lockstep/sim/run_trace.hpp>
#include <map>

namespace lockstep::sim::view {
namespace {

using core::TraceRecord;
using core::TraceType;
using nlohmann::json;

bool is_mark(TraceType t) {
  switch (t) {
    case TraceType::kIpiSent:
    case TraceType::kIpiReceived:
    case TraceType::kIpiCoalesced:
    case TraceType::kLockContended:
    case TraceType::kLockAcquired:
    case TraceType::kTaskEnqueue:
    case TraceType::kTaskSteal:
    case TraceType::kTaskFinish:
    case TraceType::kTaskBlock:
    case TraceType::kTaskWake:
    case TraceType::kMarker:
    case TraceType::kCpuOnline:
    case TraceType::kCpuOffline: return true;
    default: return false;
  }
}

bool names_task(TraceType t) {
  return t == TraceType::kTaskSwitch || t == TraceType::kTaskEnqueue || t == TraceType::kTaskFinish ||
         t == TraceType::kTaskBlock || t == TraceType::kTaskWake;
}

bool is_lock(TraceType t) { return t == TraceType::kLockContended || t == TraceType::kLockAcquired; }
bool is_ipi(TraceType t) {
  return t == TraceType::kIpiSent || t == TraceType::kIpiReceived || t == TraceType::kIpiCoalesced;
}

const char* kind_name(std::uint8_t k) {
  return k < core::kIpiKinds ? core::ipi_kind_name(static_cast<core::IpiKind>(k)) : "unknown-kind";
}

void build_lane(Lane& lane, std::uint64_t t_end) {
  const auto& recs = lane.records;
  SpanKind state = SpanKind::kKernel;
  std::uint32_t state_id = 0, state_index = 0;
  std::uint64_t state_t0 = recs.empty() ? 0 : recs.front().time;
  auto close_state = [&](std::uint64_t t) {
    if (t > state_t0) lane.spans.push_back({state_t0, t, state_id, state_index, state});
  };
  auto open_state = [&](SpanKind k, std::uint32_t id, std::uint32_t index, std::uint64_t t) {
    state = k;
    state_id = id;
    state_index = index;
    state_t0 = t;
  };
  std::uint32_t irq_depth = 0;
  Span irq{};
  auto close_irq = [&](std::uint64_t t) {
    irq.t1 = std::max(t, irq.t0);
    if (irq.t1 > irq.t0) lane.irqs.push_back(irq);
    irq_depth = 0;
  };
  std::map<std::uint64_t, std::uint32_t> contended;  // lock -> index of its kLockContended
  for (std::uint32_t i = 0; i < recs.size(); ++i) {
    const TraceRecord& r = recs[i];
    if (is_mark(r.type)) lane.marks.push_back(i);
    switch (r.type) {
      case TraceType::kTaskSwitch:
        if (irq_depth > 0) close_irq(r.time);
        close_state(r.time);
        open_state(r.a == core::kIdleTask ? SpanKind::kIdle : SpanKind::kTask, r.a == core::kIdleTask ? 0 : r.a, i,
                   r.time);
        break;
      case TraceType::kCpuOffline:
        if (irq_depth > 0) close_irq(r.time);
        close_state(r.time);
        open_state(SpanKind::kOffline, 0, i, r.time);
        break;
      case TraceType::kCpuOnline:
        close_state(r.time);
        open_state(SpanKind::kKernel, 0, i, r.time);
        break;
      case TraceType::kIrqEnter:
        if (irq_depth++ == 0) irq = {r.time, r.time, r.aux, i, SpanKind::kIrq};
        break;
      case TraceType::kIrqExit:
        if (irq_depth == 1) close_irq(r.time);
        else if (irq_depth > 1) --irq_depth;
        break;
      case TraceType::kRunQueueLength: lane.rq.push_back(i); break;
      case TraceType::kLockContended: contended[r.b] = i; break;
      case TraceType::kLockAcquired:
        if (auto it = contended.find(r.b); it != contended.end()) {
          const std::uint64_t t0 = recs[it->second].time;
          lane.locks.push_back({t0, r.time, r.cpu, r.b, it->second, i});
          lane.max_lock = std::max(lane.max_lock, r.time - t0);
          contended.erase(it);
        }
        break;
      default: break;
    }
  }
  const std::uint64_t end = std::max(t_end, recs.empty() ? 0 : recs.back().time);
  if (irq_depth > 0) close_irq(end);
  if (!recs.empty()) close_state(end);
}

void pair_flows(TraceModel& m) {
  struct Send {
    std::uint64_t time;
    std::uint32_t cpu, index;
  };
  const auto cpus = static_cast<std::uint32_t>(m.lanes.size());
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::deque<Send>> pending;
  for (std::uint32_t c = 0; c < cpus; ++c) {
    const auto& recs = m.lanes[c].records;
    for (std::uint32_t i = 0; i < recs.size(); ++i) {
      if (recs[i].type != TraceType::kIpiSent) continue;
      m.sends.emplace_back(recs[i].time, recs[i].aux);
      if (recs[i].a < cpus) pending[{recs[i].a, recs[i].aux}].push_back({recs[i].time, c, i});
    }
  }
  std::sort(m.sends.begin(), m.sends.end());
  for (auto& [key, q] : pending)
    std::stable_sort(q.begin(), q.end(), [](const Send& a, const Send& b) { return a.time < b.time; });
  for (std::uint32_t c = 0; c < cpus; ++c) {
    const auto& recs = m.lanes[c].records;
    for (std::uint32_t i = 0; i < recs.size(); ++i) {
      if (recs[i].type != TraceType::kIpiReceived) continue;
      auto it = pending.find({c, recs[i].aux});
      if (it == pending.end() || it->second.empty() || it->second.front().time > recs[i].time) continue;
      const Send s = it->second.front();
      it->second.pop_front();
      m.flows.push_back({s.time, recs[i].time, s.cpu, c, s.index, i, recs[i].aux});
      m.max_flow = std::max(m.max_flow, recs[i].time - s.time);
    }
  }
  std::stable_sort(m.flows.begin(), m.flows.end(), [](const Flow& a, const Flow& b) { return a.t_send < b.t_send; });
}

/// Spans overlapping the window, merged below one pixel: at most about two items per pixel,
/// found in O(px log n) however many spans the window holds.
json spans_in(const std::vector<Span>& spans, const Window& w) {
  json out = json::array();
  const double dt = static_cast<double>(w.t1 - w.t0) / w.px;
  auto it = std::partition_point(spans.begin(), spans.end(), [&](const Span& s) { return s.t1 <= w.t0; });
  auto emit = [&](std::uint64_t t0, std::uint64_t t1, SpanKind k, std::uint32_t id, std::uint32_t index) {
    out.push_back({t0, t1, static_cast<int>(k), id, index});
  };
  while (it != spans.end() && it->t0 < w.t1) {
    const double width = static_cast<double>(std::min(it->t1, w.t1) - std::max(it->t0, w.t0));
    if (width >= dt) {
      emit(it->t0, it->t1, it->kind, it->id, it->index);
      ++it;
      continue;
    }
    // A run of sub-pixel spans: everything starting within one pixel of this one.
    const std::uint64_t limit = it->t0 + static_cast<std::uint64_t>(std::max(dt, 1.0));
    auto end = std::partition_point(it, spans.end(), [&](const Span& s) { return s.t0 < limit; });
    if (end - it > 1 && (end - 1)->t1 > limit + static_cast<std::uint64_t>(dt)) --end;  // a long one closes the run
    if (end - it == 1) {
      emit(it->t0, it->t1, it->kind, it->id, it->index);
    } else {
      // Mixed: the id is how many spans it stands for; index the first one.
      emit(it->t0, (end - 1)->t1, SpanKind::kMixed, static_cast<std::uint32_t>(end - it), it->index);
    }
    it = end;
  }
  return out;
}

template <class V, class T>
auto first_at_or_after(const V& v, std::uint64_t t, T time_of) {
  return std::partition_point(v.begin(), v.end(), [&](const auto& x) { return time_of(x) < t; });
}

}  // namespace

std::string run_command(const TraceConfig& c, const std::string& program) {
  RunOptions o;
  try {
    o = run_options_of(c);
  } catch (const std::exception&) {
    return {};  // A header this build cannot turn into options: only `replay` can re-run it.
  }
  return sim::run_command(program, o, default_schedule_file(o)) + " --trace replayed.trace";
}

std::string debug_command(const TraceConfig& c, const std::string& program, std::uint32_t cpu, std::uint64_t record) {
  if (c.engine != "det") return {};  // Only the deterministic engine stops at a record of its run.
  RunOptions o;
  try {
    o = run_options_of(c);
  } catch (const std::exception&) {
    return {};
  }
  return debug_command(program, o, default_schedule_file(o),
                       {"--stop-at-event", fmt::format("record:{}:{}", cpu, record)});
}

namespace {
/// The header's schedule (a header that passed the reader may still hold one that does not
/// parse: then there is nothing to mark, and `replay` names the problem).
void add_schedule_marks(TraceModel& m) {
  if (m.config.schedule.empty()) return;
  std::string error;
  const auto schedule = emu::parse_schedule(m.config.schedule, error);
  if (!schedule) return;
  for (const emu::Decision& d : *schedule)
    if (d.time != 0 && d.from < m.lanes.size() && d.cpu < m.lanes.size())
      m.decisions.push_back({d.time, d.step, d.from, d.cpu, d.preemption});
  std::stable_sort(m.decisions.begin(), m.decisions.end(), [](const ScheduleMark& a, const ScheduleMark& b) { return a.time < b.time; });
}
}  // namespace

TraceModel build_model(std::string name, const TraceConfig& config, const TraceOutcome& outcome,
                       std::vector<std::vector<core::TraceRecord>> cpus, const std::vector<std::uint64_t>& lost) {
  TraceModel m;
  m.name = std::move(name);
  m.config = config;
  m.outcome = outcome;
  m.lanes.resize(std::max<std::size_t>(cpus.size(), config.cpus));
  bool any = false;
  for (std::size_t c = 0; c < cpus.size(); ++c) {
    auto& recs = m.lanes[c].records;
    recs = std::move(cpus[c]);
    // Each CPU records its own clock, so a lane is in time order; binary searches rely on it.
    if (!std::is_sorted(recs.begin(), recs.end(), [](const TraceRecord& a, const TraceRecord& b) { return a.time < b.time; }))
      std::stable_sort(recs.begin(), recs.end(), [](const TraceRecord& a, const TraceRecord& b) { return a.time < b.time; });
    if (c < lost.size()) m.lanes[c].lost = lost[c];
    m.events += recs.size();
    if (recs.empty()) continue;
    m.t_min = any ? std::min(m.t_min, recs.front().time) : recs.front().time;
    m.t_max = any ? std::max(m.t_max, recs.back().time) : recs.back().time;
    any = true;
  }
  for (auto& lane : m.lanes) build_lane(lane, m.t_max);
  pair_flows(m);
  add_schedule_marks(m);
  return m;
}

/// The failure reason's clauses with the places they name (report_lines.hpp), for the page's
/// report panel and its wait arrows.
json report_json(const TraceModel& m) {
  json lines = json::array();
  if (m.outcome.passed) return lines;
  const auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  // The event a line links to: its CPU's first record at or after its time (else the last).
  const auto event_at = [&](const ReportLine& l) -> json {
    if (!l.cpu || !l.time || *l.cpu >= m.lanes.size() || m.lanes[*l.cpu].records.empty()) return nullptr;
    const auto& recs = m.lanes[*l.cpu].records;
    const auto it = first_at_or_after(recs, *l.time, [](const TraceRecord& r) { return r.time; });
    return static_cast<std::uint64_t>(it == recs.end() ? recs.size() - 1 : it - recs.begin());
  };
  for (const ReportLine& l : report_lines(m.outcome.reason, m.config.seed))
    lines.push_back({{"text", l.text},
                     {"cpu", opt(l.cpu)},
                     {"time", opt(l.time)},
                     {"index", event_at(l)},
                     {"waits_on_cpu", opt(l.waits_on_cpu)},
                     {"waits_on_time", opt(l.waits_on_time)}});
  return lines;
}

json meta_json(const TraceModel& m, std::uint32_t id, const std::string& file) {
  json lanes = json::array();
  for (std::size_t c = 0; c < m.lanes.size(); ++c)
    lanes.push_back({{"cpu", c}, {"events", m.lanes[c].records.size()}, {"lost", m.lanes[c].lost}});
  json types = json::object();
  for (unsigned t = 1; t <= core::kTraceTypeMax; ++t)
    if (const char* n = core::trace_type_name(static_cast<TraceType>(t))) types[std::to_string(t)] = n;
  json kinds = json::array();
  for (std::uint32_t k = 0; k < core::kIpiKinds; ++k) kinds.push_back(kind_name(static_cast<std::uint8_t>(k)));
  const TraceConfig& c = m.config;
  return {{"id", id},
          {"name", m.name},
          {"live", m.live},
          {"finished", m.finished},
          {"cpus", m.lanes.size()},
          {"t_min", m.t_min},
          {"t_max", m.t_max},
          {"events", m.events},
          {"flows", m.flows.size()},
          {"decisions", m.decisions.size()},
          {"lanes", lanes},
          {"types", types},
          {"ipi_kinds", kinds},
          {"timer_vector", hal::kTimerVector},
          {"config",
           {{"build_id", c.build_id},
            {"scenario", c.scenario},
            {"strategy", c.strategy},
            {"faults", c.faults},
            {"engine", c.engine},
            {"cpus", c.cpus},
            {"seed", c.seed},
            {"pct_depth", c.pct_depth}}},
          {"outcome",
           {{"passed", m.outcome.passed},
            {"reason", m.outcome.reason},
            {"report", report_json(m)},
            {"virtual_time", m.outcome.virtual_time},
            {"event_hash", fmt::format("{:016x}", m.outcome.event_hash)}}},
          {"file", file}};
}

json window_json(const TraceModel& m, const Window& w, std::size_t max_items) {
  json lanes = json::array();
  json locks = json::array();
  const double dt = static_cast<double>(w.t1 - w.t0) / w.px;
  for (std::uint32_t c = 0; c < m.lanes.size(); ++c) {
    const Lane& lane = m.lanes[c];
    json l = {{"cpu", c}, {"spans", spans_in(lane.spans, w)}, {"irqs", spans_in(lane.irqs, w)}};
    // Instants: every one if few, else a per-pixel density.
    const auto time_of_mark = [&](std::uint32_t i) { return lane.records[i].time; };
    auto lo = first_at_or_after(lane.marks, w.t0, time_of_mark);
    auto hi = first_at_or_after(lane.marks, w.t1 + 1, time_of_mark);
    const auto count = static_cast<std::size_t>(hi - lo);
    if (count <= max_items) {
      json marks = json::array();
      for (auto it = lo; it != hi; ++it) {
        const TraceRecord& r = lane.records[*it];
        marks.push_back({r.time, static_cast<int>(r.type), r.aux, r.a, r.b, *it});
      }
      l["marks"] = std::move(marks);
    } else {
      std::vector<std::uint32_t> density(w.px, 0);
      for (auto it = lo; it != hi; ++it) {
        const auto x = static_cast<std::size_t>(static_cast<double>(lane.records[*it].time - w.t0) / dt);
        ++density[std::min<std::size_t>(x, w.px - 1)];
      }
      l["marks"] = json::array();
      l["density"] = density;
      l["marks_total"] = count;
    }
    // Run-queue length: a step function, thinned to the highest value per pixel.
    json rq = json::array();
    {
      const auto time_of_rq = [&](std::uint32_t i) { return lane.records[i].time; };
      auto a = first_at_or_after(lane.rq, w.t0, time_of_rq);
      auto b = first_at_or_after(lane.rq, w.t1 + 1, time_of_rq);
      if (a != lane.rq.begin()) rq.push_back({w.t0, lane.records[*(a - 1)].a});
      std::int64_t bucket = -1;
      for (auto it = a; it != b; ++it) {
        const TraceRecord& r = lane.records[*it];
        const auto x = static_cast<std::int64_t>(static_cast<double>(r.time - w.t0) / dt);
        if (x == bucket && !rq.empty()) {
          auto& last = rq.back();
          last[1] = std::max(last[1].get<std::uint32_t>(), r.a);
          continue;
        }
        bucket = x;
        rq.push_back({r.time, r.a});
      }
      if (b != lane.rq.end() || a != b) {
        const std::uint32_t last = b != lane.rq.begin() ? lane.records[*(b - 1)].a : 0;
        rq.push_back({w.t1, last});
      }
    }
    l["rq"] = std::move(rq);
    lanes.push_back(std::move(l));
    // Lock waits overlapping the window.
    const std::uint64_t reach = w.t0 > lane.max_lock ? w.t0 - lane.max_lock : 0;
    for (auto it = first_at_or_after(lane.locks, reach, [](const LockWait& x) { return x.t0; });
         it != lane.locks.end() && it->t0 <= w.t1 && locks.size() < max_items; ++it)
      if (it->t1 >= w.t0) locks.push_back({it->t0, it->t1, it->cpu, it->lock, it->index0, it->index1});
  }
  // IPI arrows with either end in the window (or crossing it).
  json flows = json::array();
  std::size_t flows_total = 0;
  const std::uint64_t reach = w.t0 > m.max_flow ? w.t0 - m.max_flow : 0;
  for (auto it = first_at_or_after(m.flows, reach, [](const Flow& f) { return f.t_send; });
       it != m.flows.end() && it->t_send <= w.t1; ++it) {
    if (it->t_recv < w.t0) continue;
    if (++flows_total > max_items) continue;
    flows.push_back({it->t_send, it->t_recv, it->src, it->dst, it->kind, it->src_index, it->dst_index});
  }
  // IPIs sent per interval, by kind.
  const std::uint32_t buckets = std::clamp<std::uint32_t>(w.px / 6, 1, 400);
  std::vector<std::vector<std::uint32_t>> rate(buckets, std::vector<std::uint32_t>(core::kIpiKinds + 1, 0));
  const double bdt = static_cast<double>(w.t1 - w.t0) / buckets;
  for (auto it = first_at_or_after(m.sends, w.t0, [](const auto& s) { return s.first; });
       it != m.sends.end() && it->first <= w.t1; ++it) {
    const auto x = std::min<std::size_t>(static_cast<std::size_t>(static_cast<double>(it->first - w.t0) / bdt), buckets - 1);
    ++rate[x][std::min<std::uint32_t>(it->second, core::kIpiKinds)];
  }
  json decisions = json::array();
  for (auto it = first_at_or_after(m.decisions, w.t0, [](const ScheduleMark& d) { return d.time; });
       it != m.decisions.end() && it->time <= w.t1 && decisions.size() < max_items; ++it)
    decisions.push_back({it->time, it->from, it->cpu, it->step, it->preemption});
  return {{"t0", w.t0},
          {"t1", w.t1},
          {"px", w.px},
          {"lanes", std::move(lanes)},
          {"flows", std::move(flows)},
          {"decisions", std::move(decisions)},
          {"flows_total", flows_total},
          {"locks", std::move(locks)},
          {"ipi_rate", {{"t0", w.t0}, {"dt", bdt}, {"counts", rate}}}};
}

json profile_json(const TraceModel& m, const Names& names) {
  json cpus = json::array();
  for (std::uint32_t c = 0; c < m.lanes.size(); ++c) {
    struct Stat {
      std::uint64_t count = 0, cycles = 0, max = 0;
    };
    std::map<std::uint32_t, Stat> labels;
    std::map<std::uint32_t, std::uint64_t> counters;
    for (const TraceRecord& r : m.lanes[c].records) {
      if (r.type == TraceType::kProfileEnd) {
        Stat& s = labels[r.a];
        ++s.count;
        s.cycles += r.b;
        s.max = std::max(s.max, r.b);
      } else if (r.type == TraceType::kProfileCount) {
        counters[r.a] += r.b;
      }
    }
    json rows = json::array();
    for (const auto& [label, s] : labels) {
      const std::string name = label < names.labels.size() ? names.labels[label] : fmt::format("label {}", label);
      rows.push_back({{"label", label}, {"name", name}, {"count", s.count}, {"cycles", s.cycles}, {"max", s.max},
                      {"mean", s.count ? s.cycles / s.count : 0}});
    }
    json cs = json::array();
    for (const auto& [id, total] : counters) cs.push_back({{"counter", id}, {"total", total}});
    cpus.push_back({{"cpu", c}, {"labels", std::move(rows)}, {"counters", std::move(cs)}});
  }
  return {{"cpus", std::move(cpus)}};
}

json event_json(const TraceModel& m, std::uint32_t cpu, std::uint64_t index, const std::string& file,
                const Names& names) {
  if (cpu >= m.lanes.size() || index >= m.lanes[cpu].records.size()) return nullptr;
  const TraceRecord& r = m.lanes[cpu].records[index];
  const char* type = core::trace_type_name(r.type);
  json j = {{"cpu", cpu},
            {"index", index},
            {"time", r.time},
            {"type", static_cast<int>(r.type)},
            {"type_name", type != nullptr ? type : "unknown"},
            {"aux", r.aux},
            {"a", r.a},
            {"b", r.b},
            {"description", describe_record(r)},
            {"run_command", run_command(m.config, names.program)},
            {"debug_command", debug_command(m.config, names.program, cpu, m.lanes[cpu].lost + index)},
            {"replay_command", m.live || file.empty()
                                   ? std::string()
                                   : fmt::format("{} replay {}", shell_quote(names.program), shell_quote(file))},
            {"position", fmt::format("event #{} of cpu {} at virtual time {}: the run is deterministic, so a re-run "
                                     "with this command reproduces every event up to and including this one",
                                     index, cpu, r.time)}};
  if (is_ipi(r.type)) j["ipi_kind"] = kind_name(r.aux);
  for (const Flow& f : m.flows) {
    if (f.src == cpu && f.src_index == index) j["flow"] = {{"to_cpu", f.dst}, {"to_index", f.dst_index}, {"latency", f.t_recv - f.t_send}};
    if (f.dst == cpu && f.dst_index == index) j["flow"] = {{"from_cpu", f.src}, {"from_index", f.src_index}, {"latency", f.t_recv - f.t_send}};
  }
  return j;
}

bool matches(const TraceRecord& r, const Filter& f) {
  if (r.time < f.t0 || r.time > f.t1) return false;
  if (f.type >= 0 && static_cast<int>(r.type) != f.type) return false;
  if (f.cpu >= 0 && r.cpu != f.cpu) return false;
  if (f.task >= 0 && !(names_task(r.type) && r.a == f.task)) return false;
  if (f.lock >= 0 && !(is_lock(r.type) && r.b == static_cast<std::uint64_t>(f.lock))) return false;
  if (f.ipi_kind >= 0 && !(is_ipi(r.type) && r.aux == f.ipi_kind)) return false;
  return true;
}

json search_json(const TraceModel& m, const Filter& f, std::size_t limit) {
  json hits = json::array();
  std::uint64_t total = 0;
  for (std::uint32_t c = 0; c < m.lanes.size(); ++c) {
    if (f.cpu >= 0 && c != f.cpu) continue;
    const auto& recs = m.lanes[c].records;
    for (std::uint32_t i = 0; i < recs.size(); ++i) {
      if (!matches(recs[i], f)) continue;
      if (total++ < limit) hits.push_back({{"cpu", c}, {"index", i}, {"time", recs[i].time}, {"text", describe_record(recs[i])}});
    }
  }
  std::sort(hits.begin(), hits.end(), [](const json& a, const json& b) { return a["time"] < b["time"]; });
  return {{"total", total}, {"hits", std::move(hits)}, {"limit", limit}};
}

json diff_json(const TraceModel& a, const TraceModel& b, std::size_t context) {
  auto same = [](const TraceRecord& x, const TraceRecord& y) {
    return x.time == y.time && x.cpu == y.cpu && x.type == y.type && x.aux == y.aux && x.a == y.a && x.b == y.b;
  };
  static const std::vector<TraceRecord> kNone;
  bool found = false;
  std::uint32_t best_cpu = 0;
  std::uint64_t best_index = 0, best_time = ~std::uint64_t{0};
  const std::size_t cpus = std::max(a.lanes.size(), b.lanes.size());
  for (std::uint32_t c = 0; c < cpus; ++c) {
    const auto& ra = c < a.lanes.size() ? a.lanes[c].records : kNone;
    const auto& rb = c < b.lanes.size() ? b.lanes[c].records : kNone;
    std::size_t i = 0;
    while (i < ra.size() && i < rb.size() && same(ra[i], rb[i])) ++i;
    if (i == ra.size() && i == rb.size()) continue;
    std::uint64_t t = ~std::uint64_t{0};
    if (i < ra.size()) t = std::min(t, ra[i].time);
    if (i < rb.size()) t = std::min(t, rb[i].time);
    if (!found || t < best_time) {
      found = true;
      best_cpu = c;
      best_index = i;
      best_time = t;
    }
  }
  if (!found) return {{"identical", true}};
  auto side = [&](const TraceModel& m) {
    json events = json::array();
    json at = nullptr;
    if (best_cpu < m.lanes.size()) {
      const auto& recs = m.lanes[best_cpu].records;
      const std::size_t from = best_index > context ? best_index - context : 0;
      const std::size_t to = std::min(recs.size(), static_cast<std::size_t>(best_index) + context + 1);
      for (std::size_t i = from; i < to; ++i)
        events.push_back({{"index", i}, {"time", recs[i].time}, {"text", describe_record(recs[i])}});
      if (best_index < recs.size()) at = {{"time", recs[best_index].time}, {"text", describe_record(recs[best_index])}};
    }
    return json{{"event", at}, {"events", std::move(events)}};
  };
  return {{"identical", false}, {"cpu", best_cpu}, {"index", best_index}, {"time", best_time}, {"a", side(a)}, {"b", side(b)}};
}

}  // namespace lockstep::sim::view
