#pragma once
// The table through which a machine that reads guest memory (the Unicorn machine) finds the
// trace rings after a run, without a serial round trip. A bare-metal kernel defines one
// instance named `lockstep_trace_export` (extern "C": the host finds it by that plain symbol)
// and calls trace_publish() once the run is over. Layout is fixed and little-endian; the
// records are TraceRecord (trace.hpp).

#include <cstdint>
#include <lockstep/core/trace.hpp>

namespace lockstep::core {

inline constexpr std::uint64_t kTraceExportMagic = 0x45435254'4b434f4cULL;  // "LOCKTRCE"
inline constexpr std::uint32_t kTraceExportVersion = 1;
inline constexpr std::uint32_t kTraceExportMaxCpus = 64;

struct TraceExportRing {
  std::uint64_t slots;     ///< Address of the first TraceRecord.
  std::uint64_t capacity;  ///< Records in the ring.
  std::uint64_t written;   ///< Records ever written (lost = written - capacity when larger).
};

struct TraceExport {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t cpus;
  std::uint32_t record_size;
  std::uint32_t format_version;  ///< kTraceFormatVersion.
  TraceExportRing rings[kTraceExportMaxCpus];
};
static_assert(sizeof(TraceExport) == 24 + 24 * kTraceExportMaxCpus, "the host reads this layout");

/// Fills `out` from the rings of the first kTraceExportMaxCpus CPUs. One CPU, the others
/// stopped; the host reads the table only after the machine has stopped.
void trace_publish(TraceExport& out) noexcept;

}  // namespace lockstep::core
