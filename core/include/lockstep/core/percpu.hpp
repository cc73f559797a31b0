#pragma once
// Per-CPU records: one cache-line-aligned record per CPU, reached through the HAL's per-CPU
// base. A CPU's own counters are plain fields that only it writes; others read them only when
// the machine is quiescent (reports).

#include <cstdint>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/run_queue.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/context.hpp>
#include <lockstep/hal/percpu.hpp>
#include <lockstep/hal/tracked.hpp>
#include <span>

namespace lockstep::core {

/// Bring-up and hotplug states. The staged handshake walks kStarting -> kAlive -> kReleased ->
/// kOnline; kParked is offline but able to come back; kHalted and kFailed are final.
enum class CpuState : std::uint8_t { kAbsent, kStarting, kAlive, kReleased, kOnline, kParked, kHalted, kFailed };
const char* cpu_state_name(CpuState s) noexcept;

/// CPUs whose pairwise IPI counts the report keeps (the "who sent what to whom" matrix).
inline constexpr hal::CpuId kIpiMatrixCpus = 64;

struct CpuCounters {
  std::uint64_t interrupts = 0;
  std::uint64_t timer_ticks = 0;
  std::uint64_t context_switches = 0;
  std::uint64_t tasks_finished = 0;
  std::uint64_t steals = 0;         ///< Successful load_balance() pulls by this CPU.
  std::uint64_t stolen_tasks = 0;   ///< Tasks it pulled.
  std::uint64_t ipi_sent[kIpiKinds] = {};
  std::uint64_t ipi_received[kIpiKinds] = {};
  std::uint64_t ipi_coalesced[kIpiKinds] = {};
  std::uint32_t ipi_sent_to[kIpiMatrixCpus] = {};
};

struct CallRequest {
  CallFunction fn;
  void* arg;
  hal::Atomic<std::uint32_t>* remaining;  ///< Decremented after fn ran (waiting callers).
};

struct CallMailbox {
  RawSpinlock lock{"call-mailbox"};
  hal::Atomic<std::uint32_t> queued{0};  ///< Lock-free "anything to serve?" check.
  CallRequest slots[kCallMailboxSlots] LOCKSTEP_GUARDED_BY(lock);
  std::uint32_t head LOCKSTEP_GUARDED_BY(lock) = 0;
  /// Tracked (hal/tracked.hpp): every post and every serve writes it, so the race detector
  /// checks that the mailbox lock orders them.
  hal::Tracked<std::uint32_t> count LOCKSTEP_GUARDED_BY(lock);
};

inline constexpr std::uint8_t kIdlePriority = 0xff;

enum class StopRequest : std::uint8_t { kNone, kPark, kHalt };

struct alignas(64) PerCpu {
  detail::PerCpuFront front;  ///< First: the preemption count (preempt.hpp reads it through the base).
  hal::CpuId id = 0;
  hal::HwId hw_id = 0;
  bool enabled = false;  ///< Reported usable by the platform.
  hal::Atomic<std::uint8_t> state{static_cast<std::uint8_t>(CpuState::kAbsent)};
  std::span<std::byte> stack;
  CpuCounters counters;

  // IPIs
  hal::Atomic<std::uint32_t> ipi_pending{0};  ///< Kinds sent and not yet handled (coalescing).
  CallMailbox mailbox;
  std::uint32_t batch_depth = 0;
  std::uint64_t batch_targets[hal::kMaxCpus / 64] = {};

  // Scheduler
  RunQueue run_queue;
  Task* current = nullptr;     ///< Running task, or nullptr in the idle loop.
  Task* prev = nullptr;        ///< Task that just switched back to the idle loop.
  hal::Context idle_context;   ///< The idle loop's flow while a task runs.
  bool need_resched = false;
  std::uint32_t irq_depth = 0;  ///< Interrupt handlers running (core's interrupt_entry).
  StopRequest stop = StopRequest::kNone;
  hal::Atomic<std::uint8_t> online_request{0};
  hal::Atomic<hal::Cycles> idle_since{0};       ///< When the idle loop found nothing to run; 0 = busy.
  hal::Atomic<std::uint8_t> running_priority{kIdlePriority};
  std::uint64_t ticks_since_balance = 0;
  hal::Atomic<hal::CpuId> balance_hint{hal::kInvalidCpu};  ///< The busy CPU that kicked it awake.
  hal::Atomic<hal::CpuId> balance_cursor{0};               ///< Where its next balance window starts.

  // Deadlock check (wait_for.cpp): what this CPU waits for, encoded; 0 while it waits for nothing.
  hal::Atomic<std::uintptr_t> waits_for{0};
  std::uint64_t wait_cycle_seen = 0;  ///< The cycle its last check found (this CPU only).
  bool lockup_reported = false;       ///< The watchdog spoke for the current wait.
  hal::Atomic<hal::Cycles> wait_since{0};  ///< When the current wait began (for the report).

  CpuProfile profile;
  TraceRing trace;

  CpuState cpu_state() const noexcept { return static_cast<CpuState>(state.load(std::memory_order_acquire)); }
};

// preempt.hpp reaches the count through the per-CPU base: the front must be at offset 0.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(__builtin_offsetof(PerCpu, front) == 0, "PerCpu::front must be the record's first member");
#pragma GCC diagnostic pop

/// The record of CPU `id` (any id < kMaxCpus). Any context.
PerCpu& cpu_record(hal::CpuId id) noexcept;

/// This CPU's record. Any context after this CPU's bring-up.
inline PerCpu& this_cpu() noexcept { return *static_cast<PerCpu*>(hal::percpu_base()); }

/// A typed per-CPU variable: one cache-line-aligned instance per CPU.
template <class T>
class PerCpuVar {
 public:
  /// This CPU's instance. Use with preemption or interrupts disabled if the task may migrate.
  T& local() noexcept { return slots_[hal::current_cpu_id()].value; }
  /// CPU `cpu`'s instance.
  T& on(hal::CpuId cpu) noexcept { return slots_[cpu].value; }
  /// Calls f(cpu, instance) for the first `count` CPUs.
  template <class F>
  void for_each(hal::CpuId count, F&& f) noexcept {
    for (hal::CpuId c = 0; c < count; ++c) f(c, slots_[c].value);
  }

 private:
  struct alignas(64) Slot {
    T value{};
  };
  Slot slots_[hal::kMaxCpus];
};

}  // namespace lockstep::core
