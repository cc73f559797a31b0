#pragma once
// Hints for machines that explore schedules. They change nothing a program can observe.

namespace lockstep::hal {

/// Marks where a test program's own threads run: `true` once all of them are live (its start
/// barrier opened), `false` once the last has finished. A machine that explores schedules
/// spends its preemptions there (the deterministic engine spreads PCT's priority changes over
/// these steps), not over boot and bookkeeping. Any context; never blocks; not a scheduling
/// point. Nothing on hardware.
void test_focus(bool on) noexcept;

}  // namespace lockstep::hal
