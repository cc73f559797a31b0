// `lockstep view`: the trace viewer's local server (127.0.0.1 only) for one trace, two traces to
// compare, or a live run followed as it grows.

#include <lockstep/sim/view.hpp>
#include <memory>

#include "common.hpp"

namespace lockstep::sim::cli {

Action add_view(CLI::App& app, const Context& ctx) {
  struct Options {
    std::vector<std::string> traces;
    std::uint16_t port = 8421;
    bool open = false;
    bool live = false;
    MachineFlags machine;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "view", "Serve the trace viewer on 127.0.0.1: one trace, two to compare, or --live to follow a run");
  cmd->add_option("traces", o->traces, "Trace file, and a second one to diff against")->expected(0, 2);
  cmd->add_option("--port", o->port, "TCP port (0: any free port)")->capture_default_str();
  cmd->add_flag("--open", o->open, "Open the page in a browser (xdg-open)");
  cmd->add_flag("--live", o->live, "Run the scenario given by the machine flags and follow it as it grows");
  add_machine_flags(*cmd, o->machine, true, false, /*scenario_required=*/false);
  return [o, program = ctx.program] {
    ViewOptions v;
    v.traces = o->traces;
    v.port = o->port;
    v.open_browser = o->open;
    v.program = program;
    // The trace file records profiler label ids; these are the core's built-in ones.
    v.label_names = {"sched.pick", "sched.switch", "sched.steal", "ipi.send", "ipi.handle", "ipi.call-wait"};
    if (o->live) {
      if (o->machine.scenario.empty()) throw InputError("--live needs --scenario (and the other run flags)");
      v.live = [r = run_options_from(o->machine)](LiveTrace& l) { feed_live_run(r, l); };
    } else if (o->traces.empty()) {
      throw InputError("give a trace file to view (or --live with run flags)");
    }
    return run_view_server(v);
  };
}

}  // namespace lockstep::sim::cli
