#include <fmt/format.h>
#include <lockstep/sim/run_trace.hpp>
#include <lockstep/sim/scenario.hpp>
#include <memory>

#include "common.hpp"

namespace lockstep::sim::cli {

Action add_scenarios(CLI::App& app, const Context&) {
  app.add_subcommand("scenarios", "List the scenarios (built-in and registered), one line each");
  return [] {
    std::size_t width = 0;
    const auto all = all_scenarios();
    for (const auto& s : all) width = std::max(width, s.name.size());
    for (const auto& s : all) fmt::print("{:<{}}  {}\n", s.name, width, s.description);
    return 0;
  };
}

Action add_demo(CLI::App& app, const Context& ctx) {
  auto trace = std::make_shared<std::string>("demo.trace");
  CLI::App* cmd = app.add_subcommand("demo", "Deterministic 8-CPU run of the `mixed` scenario; writes demo.trace");
  cmd->add_option("--trace", *trace, "Where to write the trace")->capture_default_str();
  return [trace, program = ctx.program] {
    RunOptions options;
    options.scenario = "mixed";
    options.machine.cpus = 8;
    options.machine.seed = 1;
    options.machine.strategy = emu::Strategy::kRandom;
    const ScenarioRun run = run_scenario(options);
    print_summary(stdout, options, run);
    write_run_trace(*trace, options, run);
    fmt::print("\ntrace written to {}. To look at it:\n", *trace);
    fmt::print("  {} view {}                                        # the trace viewer at http://127.0.0.1:8421\n", program,
               *trace);
    fmt::print("  {} export {} --format perfetto -o demo.pftrace   # then open https://ui.perfetto.dev and load it\n",
               program, *trace);
    fmt::print("  {} export {} --format chrome -o demo.json        # chrome://tracing or Perfetto\n", program, *trace);
    fmt::print("  {} replay {}                                     # re-run and verify event by event\n", program, *trace);
    return run.passed ? 0 : 1;
  };
}

}  // namespace lockstep::sim::cli
