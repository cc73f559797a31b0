#pragma once
// Sending inter-processor interrupts. What a vector means is the core's business.

#include <lockstep/hal/types.hpp>

namespace lockstep::hal {

/// Raises IPI vector `v` (< kIpiVectorCount) on CPU `target`: a started CPU, or this one (a
/// self-IPI, which the core never sends; the kernels' IPI benchmark times one). Any context,
/// any interrupt state; never blocks. Memory writes made before the call are visible to the
/// target's handler (release on send, acquire on delivery).
void send_ipi(CpuId target, Vector v) noexcept;

}  // namespace lockstep::hal
