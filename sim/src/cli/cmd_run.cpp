#include <fmt/format.h>
#include <lockstep/sim/run_trace.hpp>
#include <memory>

#include "common.hpp"

namespace lockstep::sim::cli {

Action add_run(CLI::App& app, const Context&) {
  struct Options {
    MachineFlags machine;
    std::string trace;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "Run one scenario and print a summary (exit 0 pass, 1 fail, 2 bad input)");
  add_machine_flags(*cmd, o->machine, true, true);
  cmd->add_option("--trace", o->trace, "Write the run's trace file here (see docs/TRACE_FORMAT.md)");
  return [o] {
    const RunOptions options = run_options_from(o->machine);
    const ScenarioRun run = run_scenario(options);
    print_summary(stdout, options, run);
    if (!o->trace.empty()) {
      write_run_trace(o->trace, options, run);
      fmt::print("trace written to {}\n", o->trace);
    }
    return run.passed ? 0 : 1;
  };
}

}  // namespace lockstep::sim::cli
