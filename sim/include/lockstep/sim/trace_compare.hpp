#pragma once
// Comparing a recorded trace with a re-run, event by event.

#include <cstdint>
#include <lockstep/sim/trace_file.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::sim {

/// The earliest point (by virtual time) where two traces differ.
struct TraceDivergence {
  std::uint32_t cpu = 0;
  std::uint64_t index = 0;                      ///< Record index on that CPU.
  std::optional<core::TraceRecord> recorded;  ///< Absent: the recorded trace ended there.
  std::optional<core::TraceRecord> replayed;  ///< Absent: the re-run ended there.
  std::string describe() const;               ///< Two lines naming both events.
};

/// The first divergence of `replayed` from `recorded` (per CPU, records compared bytewise;
/// among CPUs the one whose differing event comes first in time), or nothing if identical.
std::optional<TraceDivergence> first_divergence(const std::vector<std::vector<core::TraceRecord>>& recorded,
                                                const std::vector<std::vector<core::TraceRecord>>& replayed);

}  // namespace lockstep::sim
