#pragma once
// `lockstep debug`: its flags, shared by the command (cmd_debug.cpp) and each machine's way of
// running under a debugger (debug_engine.cpp: the deterministic engine under gdb).

#include <cstdint>
#include <string>

#include "common.hpp"

namespace lockstep::sim::cli {

struct DebugFlags {
  MachineFlags machine;       ///< As `run` takes them (the inferior is `lockstep run ...`).
  std::string kind = "det";   ///< --machine: which machine to debug.
  std::uint64_t stop_at = 0;  ///< --stop-at: a scheduling point.
  bool stop_at_given = false;
  std::string stop_event;        ///< --stop-at-event KIND[:ARG] (sim/debug_watch.hpp).
  bool stop_at_failure = false;  ///< --stop-at-failure (also the default when no stop is given).
  std::string gdb_batch;         ///< --gdb-batch FILE: run this gdb script, then end.
};

/// The deterministic engine's run of `flags` under gdb with lockstep's extension. Returns gdb's
/// exit status (batch) or does not return (interactive: gdb replaces this process). Throws
/// InputError on bad input, a run that never reaches the stop, or a missing gdb.
int debug_engine(const Context& ctx, const DebugFlags& flags);

}  // namespace lockstep::sim::cli
