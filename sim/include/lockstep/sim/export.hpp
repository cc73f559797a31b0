#pragma once
// Exporters of trace files for viewers and scripts: Perfetto (protobuf TracePacket stream that
// ui.perfetto.dev opens), Chrome Trace Event JSON, and CSV. Every output is written atomically.
// Time: one virtual cycle is shown as one nanosecond.

#include <cstddef>
#include <cstdint>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::sim {

enum class ExportFormat : std::uint8_t { kPerfetto, kChrome, kCsv };

/// "perfetto", "chrome" or "csv".
std::optional<ExportFormat> parse_export_format(std::string_view name) noexcept;
/// The usual file extension of a format (".pftrace", ".json", ".csv").
const char* export_extension(ExportFormat format) noexcept;

/// One IPI from its kIpiSent record to the kIpiReceived record it caused.
struct IpiFlow {
  std::uint32_t src_cpu;
  std::size_t src_index;  ///< Index into trace.cpus[src_cpu].
  std::uint32_t dst_cpu;
  std::size_t dst_index;  ///< Index into trace.cpus[dst_cpu].
};

/// Pairs each kIpiSent with the next kIpiReceived of the same kind on the target (at or after
/// the send time). Sends without a receive (lost, or past the end of the trace) are left out.
std::vector<IpiFlow> pair_ipi_flows(const TraceData& trace);

/// A one-line, comma-free description of a record ("ipi-sent call -> cpu 3").
std::string describe_record(const core::TraceRecord& r);

/// Writes `trace` in `format` to `out` (atomically). Throws InputError on I/O errors.
void export_trace(const TraceData& trace, ExportFormat format, const std::string& out);

void export_chrome(const TraceData& trace, AtomicFile& out);
void export_csv(const TraceData& trace, AtomicFile& out);
void export_perfetto(const TraceData& trace, AtomicFile& out);

}  // namespace lockstep::sim
