#pragma once
// The deterministic engine's stop hook for a debugger (`lockstep debug`, sim/gdb/lockstep_gdb.py).
// gdb finds these by name: they are extern "C" plain data whose layout the extension reads, and
// gdb writes the stop variables before the run starts and while the inferior is stopped in
// lockstep_debug_stop(); the engine reads them then, not at every point. The stop point shares
// the compare a point already makes against the step limit, so a scheduling point costs the
// same with or without a debugger.

#include <cstdint>

extern "C" {

/// One vCPU as the engine saw it at the last stop.
struct lockstep_debug_vcpu {
  std::uint32_t id;
  std::uint8_t state;        ///< emu::detail::VcpuState.
  std::uint8_t irq_enabled;  ///< Its interrupt flag (hal::irq_enabled()).
  std::uint8_t in_wfi;       ///< Inside hal::wait_for_interrupt().
  std::uint8_t reserved;
  std::uint32_t pending;   ///< Raised, undelivered vectors (bit per vector).
  std::uint64_t cycles;    ///< Its virtual clock.
  std::uint64_t steps;     ///< Scheduling points it performed.
  const char* state_name;  ///< As the machine report names the state.
  const char* last_op;     ///< Its last scheduling point ("atomic", "relax", "send_ipi", ...).
  void* percpu;            ///< Its hal::percpu_base(): the core's PerCpu record (null before init).
  void* fctx;              ///< The saved Boost.Context fcontext of the flow it runs (stale for the
                           ///< current vCPU, which is executing; null if it never started).
};

/// Why the engine stopped.
enum : std::uint32_t {
  LOCKSTEP_DEBUG_NONE = 0,
  LOCKSTEP_DEBUG_POINT = 1,    ///< lockstep_debug_stop_at reached (and the CPU / watch filter agreed).
  LOCKSTEP_DEBUG_FAILURE = 2,  ///< The run failed (lockstep_debug_stop_on_failure).
};

/// The engine's state at the last stop. Filled just before lockstep_debug_stop() is called.
struct lockstep_debug_state {
  std::uint64_t step;     ///< The scheduling point being performed (trace and `run` numbering).
  std::uint32_t reason;   ///< LOCKSTEP_DEBUG_*.
  std::uint32_t cpus;     ///< Entries of `vcpus`.
  std::uint32_t current;  ///< The vCPU performing `step` (whose flow is the stopped thread).
  std::uint32_t reserved;
  const char* failure;         ///< LOCKSTEP_DEBUG_FAILURE: why, else null.
  lockstep_debug_vcpu* vcpus;  ///< Owned by the engine, valid until the run continues.
};

/// Stop when the run's scheduling point counter equals this (0: never). Read when the run starts
/// and after every stop; when a filter below rejects the point the engine moves it to the next.
extern std::uint64_t lockstep_debug_stop_at;
/// Only stop at a point of this vCPU (lockstep::emu::kDebugAnyCpu, the initial value: any).
extern std::uint32_t lockstep_debug_stop_cpu;
/// Non-zero: only stop where MachineConfig::debug_probe says an awaited event happened.
extern std::uint32_t lockstep_debug_watch;
/// Non-zero: stop where the run fails (a panic, a deadlock, a limit, a failed check).
extern std::uint32_t lockstep_debug_stop_on_failure;
extern lockstep_debug_state lockstep_debug;

/// Where the debugger's breakpoint sits. Does nothing; the engine calls it with every vCPU's
/// flow suspended except the current one's, and goes on when it returns.
void lockstep_debug_stop() noexcept;
}

namespace lockstep::emu {

inline constexpr std::uint32_t kDebugAnyCpu = 0xffffffffu;

/// The running deterministic machine is failing for `reason` (a failed check the engine cannot
/// see itself): stops there for the debugger if it asked. Any vCPU; a no-op on the parallel
/// engine and without a debugger.
void debug_failure(const char* reason) noexcept;

}  // namespace lockstep::emu
