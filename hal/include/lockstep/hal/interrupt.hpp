#pragma once
// The one entry from a back end into the core when an interrupt arrives.

#include <lockstep/hal/types.hpp>

namespace lockstep::hal {

/// Implemented by the core, called by the back end on the interrupted CPU, on the stack of
/// whatever that CPU was running, with interrupts disabled, once per delivered vector. A back
/// end delivers higher vectors first when several are pending. The handler may switch
/// contexts (preemption); the interrupted flow resumes when it is switched back to.
void interrupt_entry(Vector v) noexcept;

}  // namespace lockstep::hal
