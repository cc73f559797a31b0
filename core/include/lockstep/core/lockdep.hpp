#pragma once
// The lock validator (after Linux's lockdep, Documentation/locking/lockdep-design.rst). Locks
// fall into classes by name (every lock built with the same name is one class, as the accounts
// of an array of locks are). Each acquisition records, per class, the contexts it was taken in,
// and, for every lock the CPU already holds, the edge "held A, then took B". The graph lives for
// the whole process, so it covers every run of a sweep: an order seen in one run and its reverse
// in another is reported although neither run deadlocked. The facts it learns can be exported
// and imported, so the host merges the graphs of a sweep's worker processes and shards. Rules:
//   - a cycle in the lock order (ABBA, or longer);
//   - a class taken in interrupt context and also in task context with interrupts enabled;
//   - a cross-CPU call waited for while holding a class that is taken with interrupts off (a
//     CPU spinning on it cannot take the call's IPI);
//   - blocking (Event::wait, yield) with a spinlock held.
// Each report names the classes and one acquisition site per edge (run, CPU, cycle). The
// report formats are specified in docs/ARCHITECTURE.md ("Lock validator").
//
// The tables are plain memory, for speed and so the validator adds no scheduling point (a run's
// schedule is the same with it on or off; a report is only recorded, the harness prints it):
// enable it only on a machine that runs one CPU at a time, the deterministic engine. It is off
// unless enabled; the kernels never enable it.

#include <cstdint>
#include <lockstep/hal/types.hpp>

namespace lockstep::core {

inline constexpr std::uint32_t kMaxLockClasses = 64;

/// Where in the source a lock was taken: the caller's file and line, filled in by a default
/// argument (GCC's and Clang's __builtin_FILE/__builtin_LINE name the call site), for reports.
struct SourceSite {
  const char* file = nullptr;
  unsigned line = 0;
  static constexpr SourceSite here(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) noexcept {
    return SourceSite{file, line};
  }
};
/// Ends a report whose sites come from different runs (the host skips shrinking those).
inline constexpr char kLockdepAcrossRuns[] = " (seen in different runs: no single run shows it)";

/// Turns the validator on or off for the runs that follow. Before a run.
void lockdep_enable(bool on) noexcept;
bool lockdep_enabled() noexcept;
/// A number naming the run in report sites (the sweep's seed). Before a run.
void lockdep_set_run_tag(std::uint64_t tag) noexcept;
/// The first report since the last run started (init()) or the last import began, or nullptr.
const char* lockdep_report() noexcept;
/// Forgets every class, edge and usage (a new sweep). Quiescent machine only.
void lockdep_forget() noexcept;

/// What the validator learned: an order edge or a context a class was used in.
enum class LockdepFactKind : std::uint8_t { kOrder, kInIrq, kTaskIrqsOn, kIrqsOff };
struct LockdepFact {
  LockdepFactKind kind;
  const char* lock;  ///< The class's name (for kOrder: the class held).
  const char* then;  ///< kOrder: the class taken while `lock` was held; else nullptr.
  std::uint64_t run;  ///< Where it was first seen: the run's tag, the CPU and its clock.
  hal::CpuId cpu;
  hal::Cycles time;
  SourceSite source;  ///< The acquisition's file and line (file nullptr: not known).
};
/// The facts learned so far, in the order learned: calls `fn` for facts `first`.. and returns
/// how many there are. A caller that remembers the count sends only the new ones.
std::uint32_t lockdep_facts(std::uint32_t first, void (*fn)(const LockdepFact&, void*), void* arg) noexcept;
/// Adds a fact learned in another process; its rule is checked as if it had been seen here.
/// `fact.lock` and `fact.then` must outlive the graph. Works while the validator is off.
void lockdep_import(const LockdepFact& fact) noexcept;
/// Starts a series of imports: clears the report, so lockdep_report() tells what they found.
void lockdep_begin_import() noexcept;

class TextBuffer;

namespace detail {
struct LockOwner;
/// Whether the validator is on (lockdep_enable). Read inline by the lock hooks, so a lock pays
/// one predictable test, not three calls, while it is off.
inline bool g_lockdep_on = false;
void lockdep_will_acquire_slow(const LockOwner& lock, SourceSite at) noexcept;
void lockdep_acquired_slow(const LockOwner& lock, SourceSite at) noexcept;
void lockdep_released_slow(const LockOwner& lock) noexcept;
/// The lock hooks: `lock` is about to be taken (edges; any context), was taken (held), was
/// released. No-ops while the validator is off.
inline void lockdep_will_acquire(const LockOwner& lock, SourceSite at) noexcept {
  if (g_lockdep_on) [[unlikely]]
    lockdep_will_acquire_slow(lock, at);
}
inline void lockdep_acquired(const LockOwner& lock, SourceSite at) noexcept {
  if (g_lockdep_on) [[unlikely]]
    lockdep_acquired_slow(lock, at);
}
inline void lockdep_released(const LockOwner& lock) noexcept {
  if (g_lockdep_on) [[unlikely]]
    lockdep_released_slow(lock);
}
/// This CPU is about to wait for a cross-CPU call.
void lockdep_check_call_wait() noexcept;
/// This task is about to block (`what`: "Event::wait", "yield"); a held spinlock is a report.
/// True if the caller may go on.
bool lockdep_check_block(const char* what) noexcept;
/// Appends ", holding 'A' (since cycle N), ..." for the locks `cpu` holds; nothing while the
/// validator is off (it is what tracks them). For the deadlock report.
void lockdep_put_held(TextBuffer& text, hal::CpuId cpu) noexcept;
/// The names of the lock classes `cpu` holds, outermost first, into `names` (at most `max`);
/// returns how many it holds (may exceed `max`), or kHeldUnknown while the validator is off (it
/// is what tracks them). For the race detector's reports.
inline constexpr std::uint32_t kHeldUnknown = ~std::uint32_t{0};
std::uint32_t lockdep_held_names(hal::CpuId cpu, const char** names, std::uint32_t max) noexcept;
/// init(): a new run (clears the report and every CPU's held locks; keeps the graph).
void lockdep_run_start() noexcept;
}  // namespace detail

}  // namespace lockstep::core
