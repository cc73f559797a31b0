#pragma once
// Writing the serial protocol's lines (serial_protocol.hpp): one console_write per line, so lines
// from several CPUs never interleave. Used by the HAL (warnings, faults) and the kernel program.

#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/core/print.hpp>

namespace lockstep::baremetal {

/// Writes one protocol line: "LOCKSTEP " + text + "\n", in one console_write. Any context.
void protocol_line(const char* text) noexcept;

/// Writes "LOCKSTEP <word> <fmt formatted>\n" in one console write (`word`: one of
/// serial_protocol.hpp's). Any context.
template <class... Args>
void protocol_line(const char* word, const char* fmt, const Args&... args) noexcept {
  core::TextBuffer b;
  b.put(protocol::kLinePrefix);
  b.put(word);
  b.put(' ');
  b.format(fmt, args...);
  b.put('\n');
  b.flush();
}

/// "LOCKSTEP WARNING ..." and "LOCKSTEP ERROR ...": the host lists them with the run's problems.
template <class... Args>
void warning(const char* fmt, const Args&... args) noexcept {
  protocol_line(protocol::kWarning, fmt, args...);
}
template <class... Args>
void error(const char* fmt, const Args&... args) noexcept {
  protocol_line(protocol::kError, fmt, args...);
}

}  // namespace lockstep::baremetal
