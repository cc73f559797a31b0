#pragma once
// The `lockstep` command as a library: a user's own binary links it together with the files
// that define their scenarios (LOCKSTEP_SCENARIO) and gets every subcommand.
//
//   int main(int argc, char** argv) { return lockstep::sim::cli_main(argc, argv); }

namespace lockstep::sim {

/// Runs the command line. Returns the exit status: 0 success, 1 a scenario failed (or a
/// replay diverged), 2 bad usage or input. Call once per process (the core's state is global).
int cli_main(int argc, char** argv);

}  // namespace lockstep::sim
