#pragma once
// The command line that reproduces a run: one home for what `explore` prints, what `merge`
// prints and what the trace viewer shows beside an event.

#include <lockstep/sim/scenario_run.hpp>
#include <string>
#include <vector>

namespace lockstep::sim {

/// Single-quotes `s` for a POSIX shell when it holds anything but safe characters.
std::string shell_quote(const std::string& s);

/// `PROGRAM run --scenario ... --seed ...` with every option that shapes the schedule (strategy
/// and its parameters, limits that differ from the defaults, faults, engine). A run of strategy
/// `schedule` names `schedule_file` as its --schedule.
std::string run_command(const std::string& program, const RunOptions& o, const std::string& schedule_file);

/// `PROGRAM debug ...` with the same options (the run under gdb, stopped at its failure unless
/// `extra` says where: "--stop-at-event", "record:1:3").
std::string debug_command(const std::string& program, const RunOptions& o, const std::string& schedule_file,
                          const std::vector<std::string>& extra = {});

/// The same command's arguments after PROGRAM, unquoted ("run", "--scenario", ...): for exec.
std::vector<std::string> run_arguments(const RunOptions& o, const std::string& schedule_file);

/// The file `explore` writes a shrunk schedule of `o` to by default.
std::string default_schedule_file(const RunOptions& o);

}  // namespace lockstep::sim
