#pragma once
// The whole HAL contract. A back end supplies <lockstep/hal_backend/{context,atomic,inline}.hpp>
// through its include path and links the out-of-line functions; nothing else selects it.

#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/console.hpp>
#include <lockstep/hal/context.hpp>
#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/interrupt.hpp>
#include <lockstep/hal/ipi.hpp>
#include <lockstep/hal/irq.hpp>
#include <lockstep/hal/percpu.hpp>
#include <lockstep/hal/search.hpp>
#include <lockstep/hal/smp.hpp>
#include <lockstep/hal/timer.hpp>
#include <lockstep/hal/tracked.hpp>
#include <lockstep/hal/types.hpp>

// The back end's inline (hot-path) definitions of the functions declared `inline` above. A
// missing one is a compile error in every translation unit that uses it.
#include <lockstep/hal_backend/inline.hpp>

namespace lockstep::hal {
static_assert(noexcept(current_cpu_id()) && noexcept(relax()) && noexcept(cycle_counter()));
static_assert(noexcept(fence(std::memory_order_seq_cst)));
static_assert(noexcept(irq_save_disable()) && noexcept(irq_enabled()) && noexcept(percpu_base()));
}  // namespace lockstep::hal
