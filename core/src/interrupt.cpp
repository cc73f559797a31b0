// The core's interrupt entry: every back end calls it, once per vector, interrupts disabled.

#include <lockstep/core/ipi.hpp>
#include <lockstep/core/percpu.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/hal/hal.hpp>

#include "state.hpp"

void lockstep::hal::interrupt_entry(Vector v) noexcept {
  using namespace lockstep::core;
  void* base = percpu_base();
  if (base == nullptr) return;  // Before this CPU's bring-up: nothing to deliver to.
  PerCpu& cpu = *static_cast<PerCpu*>(base);
  // The handler (and any task switched to on the way out) runs; the wait it interrupted waits on.
  const detail::WaitPause running;
  ++cpu.counters.interrupts;
  ++cpu.irq_depth;
  trace(TraceType::kIrqEnter, v);
  if (v == kTimerVector) {
    ++cpu.counters.timer_ticks;
    scheduler_tick();
  } else if (v < kIpiKinds) {
    core::detail::handle_ipi(v);
  }
  trace(TraceType::kIrqExit, v);
  --cpu.irq_depth;
  preempt_on_irq_exit();
}
