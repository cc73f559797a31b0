#pragma once
// Reading a kernel's trace rings straight out of guest memory after a Unicorn run.

#include <lockstep/core/trace.hpp>
#include <lockstep/emu/unicorn/machine.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::emu::unicorn {

struct KernelTrace {
  std::vector<std::vector<core::TraceRecord>> per_cpu;  ///< Oldest first.
  std::vector<std::uint64_t> lost;                      ///< Per CPU: overwritten records.
};

/// Finds `lockstep_trace_export` (core/trace_export.hpp) in the image and copies every ring.
/// nullopt with `error` naming the problem: no symbol, table never published, bad sizes.
std::optional<KernelTrace> read_kernel_trace(const GuestView& guest, std::string& error);

}  // namespace lockstep::emu::unicorn
