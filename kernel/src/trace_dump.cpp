// The trace dump: every CPU's ring as base64 TRACE lines with a checksum per CPU, the format
// sim/ reads back (serial_protocol.hpp, docs/BAREMETAL.md).

#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/hal/hal.hpp>

#include "program.hpp"

namespace lockstep::kernel {
namespace {

namespace protocol = baremetal::protocol;
using baremetal::protocol_line;

/// Collects records into lines of kTraceRecordsPerLine and keeps the CPU's running checksum.
class TraceLineWriter {
 public:
  void add(const core::TraceRecord& r) noexcept {
    batch_[n_++] = r;
    if (n_ == protocol::kTraceRecordsPerLine) flush();
  }

  void flush() noexcept {
    if (n_ == 0) return;
    const auto* bytes = reinterpret_cast<const unsigned char*>(batch_);
    const std::size_t len = n_ * sizeof(core::TraceRecord);
    crc_ = protocol::crc32_update(crc_, bytes, len);
    char text[32 + protocol::base64_size(protocol::kTraceRecordsPerLine * sizeof(core::TraceRecord))];
    std::size_t o = 0;  // "LOCKSTEP TRACE D ", without a formatter: the line is long.
    for (const char* part : {protocol::kLinePrefix, protocol::kTrace, " ", protocol::kTraceData, " "})
      for (const char* h = part; *h; ++h) text[o++] = *h;
    o += protocol::base64_encode(bytes, len, text + o);
    text[o++] = '\n';
    hal::console_write(text, o);
    n_ = 0;
  }

  std::uint32_t crc() const noexcept { return crc_; }

 private:
  core::TraceRecord batch_[protocol::kTraceRecordsPerLine];
  std::size_t n_ = 0;
  std::uint32_t crc_ = 0;
};

void dump_ring(hal::CpuId c) noexcept {
  const core::TraceRing& ring = core::trace_ring(c);
  const std::uint64_t kept = ring.written < ring.slots.size() ? ring.written : ring.slots.size();
  protocol_line(protocol::kTrace, "{} {} records={} lost={}", protocol::kCpu, c, kept, ring.lost());
  TraceLineWriter writer;
  ring.for_each([&](const core::TraceRecord& r) { writer.add(r); });
  writer.flush();
  core::TextBuffer b;  // The checksum is 8 hex digits, zero-padded: put_unsigned, not format.
  b.put(protocol::kLinePrefix);
  b.put(protocol::kTrace);
  b.put(' ');
  b.put(protocol::kTraceCpuEnd);
  b.format(" {} crc32=", c);
  b.put_unsigned(writer.crc(), 16, 8);
  b.put('\n');
  b.flush();
}

}  // namespace

void dump_trace() noexcept {
  const hal::CpuId cpus = core::cpu_count();
  protocol_line(protocol::kTrace, "{} cpus={} format={}", protocol::kBegin, cpus, core::kTraceFormatVersion);
  for (hal::CpuId c = 0; c < cpus; ++c) dump_ring(c);
  protocol_line(protocol::kTrace, "{}", protocol::kEnd);
}

}  // namespace lockstep::kernel
