#pragma once
// Resets of each core module's static state, called by init() so that one process can run
// machine after machine (the emulated engines do) without leftovers.

#include <lockstep/hal/types.hpp>

namespace lockstep::core::detail {
void reset_panic() noexcept;
void reset_locks() noexcept;
void reset_sched() noexcept;
void reset_tasks() noexcept;
void handle_ipi(unsigned kind) noexcept;
}  // namespace lockstep::core::detail
