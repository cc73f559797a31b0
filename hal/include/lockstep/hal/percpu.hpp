#pragma once
// The per-CPU base pointer (GS base on x86_64, TPIDR_EL1 on arm64), and counters that a CPU
// shares only with its own interrupt handlers.

#include <cstdint>

namespace lockstep::hal {

/// Sets this CPU's per-CPU base. Called once per CPU by the core during bring-up.
void set_percpu_base(void* base) noexcept;

/// This CPU's per-CPU base, or nullptr before set_percpu_base(). Any context; not a
/// scheduling point.
inline void* percpu_base() noexcept;

/// Adds `delta` to `word` and returns the value before, in one step that no interrupt on this
/// CPU can split (Linux's local_t): for a counter of this CPU's data that its interrupt handlers
/// also advance, such as a trace ring's write index. Not atomic against other CPUs, and no
/// ordering. Any context; not a scheduling point.
inline std::uint64_t cpu_local_fetch_add(std::uint64_t& word, std::uint64_t delta) noexcept;

}  // namespace lockstep::hal

// The back end's inline definitions of the functions declared `inline` above.
#include <lockstep/hal_backend/inline.hpp>
