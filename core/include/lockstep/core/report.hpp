#pragma once
// The end-of-run report: per-CPU and total counters, top profiler labels, lock contention, and
// the IPI matrix. Printed through the HAL console, identically on every platform.

#include <cstdint>
#include <lockstep/hal/types.hpp>

namespace lockstep::core {

/// Machine-wide totals, for tools that print their own summary.
struct Totals {
  std::uint64_t interrupts = 0, timer_ticks = 0, context_switches = 0, tasks_finished = 0;
  std::uint64_t ipi_sent = 0, ipi_received = 0, ipi_coalesced = 0;
  std::uint64_t steals = 0, stolen_tasks = 0;
  std::uint64_t lock_acquisitions = 0, lock_contended = 0;
  hal::Cycles lock_spin_cycles = 0;
  std::uint64_t trace_records = 0, trace_lost = 0;
};

/// Sums every CPU's counters. Quiescent machine only.
Totals collect_totals() noexcept;

/// Prints the full report. Quiescent machine only (all other CPUs stopped or idle).
void print_report() noexcept;

}  // namespace lockstep::core
