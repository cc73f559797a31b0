#pragma once
// Local (this CPU's) interrupt masking.

#include <lockstep/hal/types.hpp>

namespace lockstep::hal {

/// Disables interrupts on this CPU and returns the previous state for irq_restore(). Any
/// context; never blocks. Acts as a compiler barrier.
[[nodiscard]] inline IrqState irq_save_disable() noexcept;

/// Restores a state returned by irq_save_disable(). Re-enabling delivers pending interrupts
/// before it returns. Acts as a compiler barrier.
inline void irq_restore(IrqState state) noexcept;

/// Enables interrupts on this CPU; pending ones are delivered before it returns.
inline void irq_enable() noexcept;

/// True if interrupts are enabled on this CPU.
inline bool irq_enabled() noexcept;

}  // namespace lockstep::hal

// The back end's inline definitions of the functions declared `inline` above.
#include <lockstep/hal_backend/inline.hpp>
