#pragma once
// The viewer's model of one trace: the records per CPU plus what the page draws, derived once
// (state spans, interrupt spans, IPI flows, lock waits, counters), each sorted by time so that
// a window query is a few binary searches and its answer is bounded by the window's pixels,
// not by the trace's size. Every query answers JSON for the page.

#include <cstdint>
#include <lockstep/core/trace.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lockstep::sim::view {

/// What a CPU was doing between two times (base layer), or an interrupt handler (irq layer).
enum class SpanKind : std::uint8_t { kKernel = 0, kIdle = 1, kTask = 2, kOffline = 3, kIrq = 4, kMixed = 5 };

struct Span {
  std::uint64_t t0, t1;
  std::uint32_t id;     ///< Task id (kTask), vector (kIrq), else 0.
  std::uint32_t index;  ///< Record that opened it.
  SpanKind kind;
};

struct Flow {
  std::uint64_t t_send, t_recv;
  std::uint32_t src, dst;
  std::uint32_t src_index, dst_index;
  std::uint8_t kind;
};

struct LockWait {
  std::uint64_t t0, t1;
  std::uint32_t cpu;
  std::uint64_t lock;
  std::uint32_t index0, index1;
};

struct Lane {
  std::vector<core::TraceRecord> records;
  std::vector<Span> spans;            ///< Base layer, disjoint, by time.
  std::vector<Span> irqs;             ///< Outermost interrupt handlers, disjoint, by time.
  std::vector<std::uint32_t> marks;   ///< Indexes of records drawn as instants.
  std::vector<std::uint32_t> rq;      ///< Indexes of kRunQueueLength records.
  std::vector<LockWait> locks;        ///< By start time.
  std::uint64_t max_lock = 0;         ///< Longest lock wait (window searches reach back by it).
  std::uint64_t lost = 0;
};

/// A decision of the run's schedule (strategy `schedule`): where the run departed from the
/// default schedule, drawn as a hand-off from `from` to `cpu` at `time` on `from`'s clock.
struct ScheduleMark {
  std::uint64_t time;
  std::uint64_t step;
  std::uint32_t from, cpu;
  bool preemption;
};

struct TraceModel {
  std::string name;  ///< File name as given.
  TraceConfig config;
  TraceOutcome outcome;
  bool live = false;
  bool finished = true;
  std::vector<Lane> lanes;
  std::vector<Flow> flows;  ///< By send time.
  std::uint64_t max_flow = 0;
  std::vector<std::pair<std::uint64_t, std::uint8_t>> sends;  ///< All kIpiSent (time, kind), by time.
  std::vector<ScheduleMark> decisions;                         ///< By time; those whose place is known.
  std::uint64_t t_min = 0, t_max = 0;
  std::uint64_t events = 0;
};

/// Builds the model from per-CPU records (consumed).
TraceModel build_model(std::string name, const TraceConfig& config, const TraceOutcome& outcome,
                       std::vector<std::vector<core::TraceRecord>> cpus, const std::vector<std::uint64_t>& lost);

/// Query parameters, already validated.
struct Window {
  std::uint64_t t0, t1;
  std::uint32_t px;  ///< Width in pixels (1..8192).
};

/// Text of the naming tables shared by every answer.
struct Names {
  std::vector<std::string> labels;
  std::string program;
};

nlohmann::json meta_json(const TraceModel& m, std::uint32_t id, const std::string& file);
nlohmann::json window_json(const TraceModel& m, const Window& w, std::size_t max_items);
nlohmann::json profile_json(const TraceModel& m, const Names& names);
/// Nullptr-equivalent (json null) if the index is out of range.
nlohmann::json event_json(const TraceModel& m, std::uint32_t cpu, std::uint64_t index, const std::string& file,
                          const Names& names);

struct Filter {
  int type = -1;            ///< TraceType or -1.
  std::int64_t cpu = -1;
  std::int64_t task = -1;   ///< Matches records naming a task (switch, enqueue, wake, block, finish).
  std::int64_t lock = -1;   ///< Matches lock records.
  int ipi_kind = -1;        ///< Matches IPI records of this kind.
  std::uint64_t t0 = 0, t1 = UINT64_MAX;
};
bool matches(const core::TraceRecord& r, const Filter& f);
nlohmann::json search_json(const TraceModel& m, const Filter& f, std::size_t limit);
nlohmann::json diff_json(const TraceModel& a, const TraceModel& b, std::size_t context);

/// `PROGRAM run --scenario ... --trace replayed.trace`: the command that reproduces the
/// recorded run (sim::run_command; a schedule run names the file explore writes by default).
std::string run_command(const TraceConfig& c, const std::string& program);

/// `PROGRAM debug --scenario ... --stop-at-event record:CPU:RECORD`: the recorded run under gdb,
/// stopped at the scheduling point where CPU wrote its record number RECORD (counting the records
/// its ring lost), which `lockstep debug` prints. Empty for a trace not of the deterministic engine.
std::string debug_command(const TraceConfig& c, const std::string& program, std::uint32_t cpu, std::uint64_t record);

}  // namespace lockstep::sim::view
