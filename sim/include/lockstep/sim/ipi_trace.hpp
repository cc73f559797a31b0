#pragma once
// IPI traces for `lockstep replay --ipis`: the text form people write by hand, or the kIpiSent
// records of a binary trace file.
//
// Text form, one event per line, '#' starts a comment:
//   # time  src  dst  kind
//   1000    0    1    reschedule
//   1500    2    1    call
// time is in cycles (relative: replay places the first event at a fixed time after bring-up),
// src and dst are CPU numbers, kind is an ipi_kind_name ("reschedule", "shutdown", "halt",
// "timer", "call") or its number.

#include <cstdint>
#include <lockstep/core/ipi.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::sim {

struct IpiEvent {
  std::uint64_t time;
  std::uint32_t src;
  std::uint32_t dst;
  core::IpiKind kind;
};

/// Parses the text form. Throws InputError naming `name` and the line number of a bad line.
std::vector<IpiEvent> parse_ipi_text(std::string_view text, const std::string& name);

/// Reads an IPI trace file: a binary trace file (by its magic) or the text form. Events come
/// back sorted by time (stable). Throws InputError.
std::vector<IpiEvent> read_ipi_trace(const std::string& path);

/// The kind called `name` (or given by number), or false.
bool parse_ipi_kind(std::string_view name, core::IpiKind& kind) noexcept;

}  // namespace lockstep::sim
