#pragma once
// A run's failure reason read back as the places it names, for the trace viewer: each clause of
// a deadlock, lock validator or blocked-task report (formats: docs/ARCHITECTURE.md, "Deadlock
// and lock reports") with the CPU and the cycle it happened at, and for a wait the CPU and cycle
// it waits on (the holder, when it took the lock). Text that is none of these is one plain line.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::sim {

struct ReportLine {
  std::string text;
  std::optional<std::uint32_t> cpu;   ///< Where it happened, if this run's.
  std::optional<std::uint64_t> time;  ///< That CPU's clock (the trace's time base).
  std::optional<std::uint32_t> waits_on_cpu;   ///< A wait: the CPU it waits on.
  std::optional<std::uint64_t> waits_on_time;  ///< When that CPU took the lock (if known).
};

/// The clauses of `reason`. `run` is this run's tag (its seed): a validator site of another
/// run keeps its text but no place.
std::vector<ReportLine> report_lines(const std::string& reason, std::uint64_t run);

/// The runs whose validator sites ("... of run N") a reason names, each once, in order.
std::vector<std::uint64_t> report_runs(const std::string& reason);

}  // namespace lockstep::sim
