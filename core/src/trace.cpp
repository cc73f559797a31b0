#include <lockstep/core/cpu.hpp>
#include <lockstep/core/percpu.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/core/trace_export.hpp>
#include <lockstep/hal/cpu.hpp>

namespace lockstep::core {
namespace {
// Written only by init() and trace_set_enabled() while the machine is quiescent.
bool g_enabled = false;
}  // namespace

const char* trace_type_name(TraceType t) noexcept {
  switch (t) {
    case TraceType::kCpuOnline: return "cpu-online";
    case TraceType::kCpuOffline: return "cpu-offline";
    case TraceType::kIpiSent: return "ipi-sent";
    case TraceType::kIpiReceived: return "ipi-received";
    case TraceType::kIpiCoalesced: return "ipi-coalesced";
    case TraceType::kIrqEnter: return "irq-enter";
    case TraceType::kIrqExit: return "irq-exit";
    case TraceType::kTaskSwitch: return "task-switch";
    case TraceType::kTaskEnqueue: return "task-enqueue";
    case TraceType::kTaskSteal: return "task-steal";
    case TraceType::kTaskFinish: return "task-finish";
    case TraceType::kLockContended: return "lock-contended";
    case TraceType::kLockAcquired: return "lock-acquired";
    case TraceType::kProfileBegin: return "profile-begin";
    case TraceType::kProfileEnd: return "profile-end";
    case TraceType::kProfileCount: return "profile-count";
    case TraceType::kTaskBlock: return "task-block";
    case TraceType::kTaskWake: return "task-wake";
    case TraceType::kRunQueueLength: return "run-queue-length";
    case TraceType::kMarker: return "marker";
  }
  return nullptr;
}

void trace_init(std::span<TraceRecord> storage, hal::CpuId cpus) noexcept {
  g_enabled = !storage.empty() && cpus != 0;
  const std::size_t per_cpu = cpus == 0 ? 0 : storage.size() / cpus;
  for (hal::CpuId c = 0; c < cpus; ++c) {
    TraceRing& ring = cpu_record(c).trace;
    ring.slots = storage.subspan(c * per_cpu, per_cpu);
    ring.written = 0;
  }
}

bool trace_enabled() noexcept { return g_enabled; }
void trace_set_enabled(bool on) noexcept { g_enabled = on; }

void trace(TraceType type, std::uint8_t aux, std::uint32_t a, std::uint64_t b) noexcept {
  if (!g_enabled) return;
  void* base = hal::percpu_base();
  if (base == nullptr) return;
  PerCpu& cpu = *static_cast<PerCpu*>(base);
  TraceRing& ring = cpu.trace;
  if (ring.slots.empty()) return;
  // The slot is taken before it is written, in one step no interrupt can split: an interrupt
  // handler tracing between a look at `written` and its increment left a slot never written
  // (a zero record the host rejected; seen on the Unicorn machine) and lost a record.
  const std::uint64_t slot = hal::cpu_local_fetch_add(ring.written, 1);
  ring.slots[slot % ring.slots.size()] =
      TraceRecord{hal::cycle_counter(), static_cast<std::uint16_t>(cpu.id), type, aux, a, b};
}

const TraceRing& trace_ring(hal::CpuId cpu) noexcept { return cpu_record(cpu).trace; }

}  // namespace lockstep::core

void lockstep::core::trace_publish(TraceExport& out) noexcept {
  const hal::CpuId n = cpu_count() < kTraceExportMaxCpus ? cpu_count() : kTraceExportMaxCpus;
  for (hal::CpuId c = 0; c < n; ++c) {
    const TraceRing& ring = trace_ring(c);
    out.rings[c] = {reinterpret_cast<std::uintptr_t>(ring.slots.data()), ring.slots.size(), ring.written};
  }
  out.cpus = n;
  out.record_size = sizeof(TraceRecord);
  out.format_version = kTraceFormatVersion;
  out.version = kTraceExportVersion;
  out.magic = kTraceExportMagic;  // Read by the host only after the machine stopped.
}
