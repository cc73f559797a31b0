#pragma once
// This CPU's timer. It raises kTimerVector on the CPU that armed it.

#include <lockstep/hal/types.hpp>

namespace lockstep::hal {

/// Fires every `period` cycles of cycle_counter() from now until timer_stop(). This CPU only.
void timer_set_periodic(Cycles period) noexcept;

/// Disarms this CPU's timer. A tick already pending stays pending.
void timer_stop() noexcept;

}  // namespace lockstep::hal
