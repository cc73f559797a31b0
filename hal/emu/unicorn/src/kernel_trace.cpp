#include <fmt/format.h>
#include <lockstep/core/trace_export.hpp>
#include <lockstep/emu/unicorn/kernel_trace.hpp>

namespace lockstep::emu::unicorn {
namespace {
constexpr std::uint64_t kMaxRecordsPerCpu = 1u << 24;  // Bound on what a lying table can ask for.
}

std::optional<KernelTrace> read_kernel_trace(const GuestView& guest, std::string& error) {
  const std::uint64_t addr = guest.symbol("lockstep_trace_export");
  if (addr == 0) {
    error = "the image has no lockstep_trace_export symbol (stripped, or not a lockstep kernel)";
    return std::nullopt;
  }
  core::TraceExport table{};
  if (!guest.read(addr, std::as_writable_bytes(std::span(&table, 1)))) {
    error = fmt::format("lockstep_trace_export at {:#x} lies outside RAM", addr);
    return std::nullopt;
  }
  if (table.magic != core::kTraceExportMagic) {
    error = "the kernel never published its trace (lockstep_trace_export has no magic)";
    return std::nullopt;
  }
  if (table.version != core::kTraceExportVersion || table.format_version != core::kTraceFormatVersion ||
      table.record_size != sizeof(core::TraceRecord) || table.cpus > core::kTraceExportMaxCpus) {
    error = fmt::format("unsupported trace export (version {}, format {}, record size {}, {} CPUs)", table.version,
                        table.format_version, table.record_size, table.cpus);
    return std::nullopt;
  }
  KernelTrace out;
  out.per_cpu.resize(table.cpus);
  out.lost.resize(table.cpus);
  for (std::uint32_t c = 0; c < table.cpus; ++c) {
    const core::TraceExportRing& r = table.rings[c];
    if (r.capacity > kMaxRecordsPerCpu) {
      error = fmt::format("cpu {}: ring of {} records is beyond any kernel's", c, r.capacity);
      return std::nullopt;
    }
    std::vector<core::TraceRecord> slots(r.capacity);
    if (!guest.read(r.slots, std::as_writable_bytes(std::span(slots)))) {
      error = fmt::format("cpu {}: ring at {:#x} lies outside RAM", c, r.slots);
      return std::nullopt;
    }
    const std::uint64_t kept = std::min(r.written, r.capacity);
    auto& dst = out.per_cpu[c];
    dst.reserve(kept);
    for (std::uint64_t i = r.written - kept; i < r.written; ++i) dst.push_back(slots[i % r.capacity]);
    out.lost[c] = r.written - kept;
  }
  return out;
}

}  // namespace lockstep::emu::unicorn
