#pragma once
// The tracer: per-CPU rings of compact binary events. This header is the one definition of the
// record format; the host tools (sim/), the exporters and the viewer's server read exactly this.
// Bump kTraceFormatVersion whenever TraceRecord or TraceType changes meaning.

#include <cstddef>
#include <cstdint>
#include <lockstep/hal/types.hpp>
#include <span>

namespace lockstep::core {

inline constexpr std::uint32_t kTraceFormatVersion = 1;

enum class TraceType : std::uint8_t {
  kCpuOnline = 1,      ///< a = hardware id (low 32 bits)
  kCpuOffline = 2,     ///< aux = 1 if halted for good
  kIpiSent = 3,        ///< a = target CPU, aux = IpiKind
  kIpiReceived = 4,    ///< aux = IpiKind
  kIpiCoalesced = 5,   ///< a = target CPU, aux = IpiKind (already pending, not sent)
  kIrqEnter = 6,       ///< aux = vector
  kIrqExit = 7,        ///< aux = vector
  kTaskSwitch = 8,     ///< a = task id switched to (kIdleTask for the idle loop)
  kTaskEnqueue = 9,    ///< a = task id, b = CPU whose queue
  kTaskSteal = 10,     ///< a = number of tasks, b = victim CPU
  kTaskFinish = 11,    ///< a = task id
  kLockContended = 12, ///< b = lock address (identity), a = 0
  kLockAcquired = 13,  ///< b = lock address, a = cycles waited (saturated)
  kProfileBegin = 14,  ///< a = label id
  kProfileEnd = 15,    ///< a = label id, b = cycles in the region
  kProfileCount = 16,  ///< a = counter id, b = amount
  kTaskBlock = 17,     ///< a = task id
  kTaskWake = 18,      ///< a = task id, b = CPU it was queued on
  kRunQueueLength = 19,///< a = queue length after a change
  kMarker = 20,        ///< a = user value (scenarios)
};

inline constexpr std::uint8_t kTraceTypeMax = 20;
inline constexpr std::uint32_t kIdleTask = 0xffffffffu;

/// One event: 24 bytes, little-endian on every platform we support.
struct TraceRecord {
  std::uint64_t time;  ///< hal::cycle_counter() of the recording CPU.
  std::uint16_t cpu;
  TraceType type;
  std::uint8_t aux;
  std::uint32_t a;
  std::uint64_t b;
};
static_assert(sizeof(TraceRecord) == 24, "trace record layout is part of the file format");

/// Human-readable name of a record type ("ipi-sent"), or nullptr for an unknown one.
const char* trace_type_name(TraceType t) noexcept;

/// One CPU's ring. Written by its CPU only; read when the machine is quiescent. When full it
/// overwrites the oldest record and counts it as lost.
struct TraceRing {
  std::span<TraceRecord> slots;
  std::uint64_t written = 0;  ///< Total records ever written (lost = written - slots.size()).

  std::uint64_t lost() const noexcept { return written > slots.size() ? written - slots.size() : 0; }
  /// Calls f(record) for the retained records, oldest first.
  template <class F>
  void for_each(F&& f) const noexcept {
    if (slots.empty()) return;
    const std::uint64_t kept = written < slots.size() ? written : slots.size();
    for (std::uint64_t i = written - kept; i < written; ++i) f(slots[i % slots.size()]);
  }
};

/// Gives the tracer its storage: `storage` is divided evenly among `cpus` CPUs. Boot CPU,
/// before other CPUs start. Empty storage disables tracing.
void trace_init(std::span<TraceRecord> storage, hal::CpuId cpus) noexcept;

/// True when tracing is on (storage given and not disabled).
bool trace_enabled() noexcept;
void trace_set_enabled(bool on) noexcept;

/// Records one event on this CPU. Any context; never blocks.
void trace(TraceType type, std::uint8_t aux = 0, std::uint32_t a = 0, std::uint64_t b = 0) noexcept;

/// CPU `cpu`'s ring (quiescent machine only).
const TraceRing& trace_ring(hal::CpuId cpu) noexcept;

}  // namespace lockstep::core
