#pragma once
// Inter-processor interrupts: kinds, coalescing, batching, and cross-CPU function calls.

#include <cstdint>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/types.hpp>

namespace lockstep::core {

enum class IpiKind : std::uint8_t { kReschedule = 0, kShutdown, kHalt, kTimer, kCall, kCount };
inline constexpr std::uint32_t kIpiKinds = static_cast<std::uint32_t>(IpiKind::kCount);

/// The HAL vector that carries `kind` (identity: vectors 0..kIpiKinds-1).
constexpr hal::Vector ipi_vector(IpiKind kind) noexcept { return static_cast<hal::Vector>(kind); }
const char* ipi_kind_name(IpiKind kind) noexcept;

/// Sends `kind` to `cpu`. False for an offline or unknown CPU (or this CPU). If the same kind is
/// already pending there, no interrupt is sent and it counts as coalesced (still true). Any
/// context; never blocks. Writes before the call are visible to the handler.
bool send_ipi(hal::CpuId cpu, IpiKind kind) noexcept;

/// Sends `kind` to every online CPU but this one. Returns how many were targeted.
std::uint32_t broadcast_ipi(IpiKind kind) noexcept;

/// Inside its scope, reschedule requests (request_reschedule) are collected and sent as one
/// IPI per target at scope exit. Nests; the outermost scope sends.
class [[nodiscard]] RescheduleBatch {
 public:
  RescheduleBatch() noexcept;
  ~RescheduleBatch();
  RescheduleBatch(const RescheduleBatch&) = delete;
  RescheduleBatch& operator=(const RescheduleBatch&) = delete;
};

/// Asks `cpu` to reschedule: an immediate IPI, or one at the end of the enclosing batch.
void request_reschedule(hal::CpuId cpu) noexcept;

using CallFunction = void (*)(void* arg);

inline constexpr std::uint32_t kCallMailboxSlots = 16;

/// Runs `fn(arg)` on `cpu` from its Call IPI handler. With `wait`, returns after it ran; while
/// waiting this CPU keeps serving Call requests sent to it, so two CPUs calling each other do
/// not deadlock, even with interrupts disabled. A full mailbox makes the caller wait; a request
/// is never dropped. False if `cpu` is offline, unknown or this CPU (then `fn` does not run).
bool call_on_cpu(hal::CpuId cpu, CallFunction fn, void* arg, bool wait) noexcept;

/// Runs `fn(arg)` on every other online CPU. Returns how many CPUs it was sent to.
std::uint32_t call_on_others(CallFunction fn, void* arg, bool wait) noexcept;

/// Runs `fn(arg)` on every other online CPU in [first, end): the CPUs that share what the call
/// is about (an address space's CPUs for a shootdown, a node's for its cache), as a kernel
/// sends to a cpumask rather than to the whole machine. Returns how many CPUs it was sent to.
std::uint32_t call_on_cpus(hal::CpuId first, hal::CpuId end, CallFunction fn, void* arg, bool wait) noexcept;

/// Runs the Call requests queued for this CPU. Any context; the waiting loops call it.
void serve_calls() noexcept;

/// Spins until `done()` is true, serving this CPU's Call requests (and, with interrupts
/// enabled, any interrupt) meanwhile. Every loop that waits for another CPU uses it.
template <class Pred>
void spin_until(Pred&& done) noexcept;

}  // namespace lockstep::core

#include <lockstep/hal/cpu.hpp>

template <class Pred>
void lockstep::core::spin_until(Pred&& done) noexcept {
  while (!done()) {
    serve_calls();
    hal::relax();
  }
}
