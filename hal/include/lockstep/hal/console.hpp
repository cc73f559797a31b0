#pragma once
// A console for text: the serial port on bare metal, a capture buffer on the emulated machine.

#include <cstddef>

namespace lockstep::hal {

/// Writes `len` bytes. Any context; may spin on the device but never sleeps. Output from
/// different CPUs may interleave between calls, never inside one call.
void console_write(const char* text, std::size_t len) noexcept;

}  // namespace lockstep::hal
