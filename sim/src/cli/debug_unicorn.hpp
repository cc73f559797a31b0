#pragma once
// `lockstep debug --machine unicorn`: the GDB stub of the Unicorn machine.

#include <cstdint>
#include <string>

#include "common.hpp"

namespace lockstep::sim::cli {

struct UnicornDebugFlags : ScheduleFlags {
  UnicornDebugFlags() { strategy = std::string(emu::to_string(emu::unicorn::MachineConfig{}.strategy)); }
  std::string arch = "arm64";
  std::string kernel;      ///< The image (default: the one this build made).
  std::uint16_t port = 0;  ///< The stub's port; 0: a free one.
  std::string gdb_batch;   ///< A gdb script lockstep runs against the stub itself.
};

/// Serves one gdb session; returns the exit status.
int debug_on_unicorn(const UnicornDebugFlags& f);

}  // namespace lockstep::sim::cli
