#pragma once
// Resets of each core module's static state, called by init() so that one process can run
// machine after machine (the emulated engines do) without leftovers.

#include <lockstep/hal/types.hpp>

namespace lockstep::core::detail {
void reset_panic() noexcept;
void reset_locks() noexcept;
void reset_sched() noexcept;
/// Counts init() calls: tells this run's state from an earlier run's in objects that outlive
/// runs (an Event's signal history).
std::uint32_t run_epoch() noexcept;
void reset_tasks() noexcept;
void handle_ipi(unsigned kind) noexcept;
}  // namespace lockstep::core::detail
