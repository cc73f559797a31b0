// `lockstep debug`: a scenario's run under a debugger, stopped at a scheduling point, an event or
// the failure, with the machine's view (every vCPU) on top of the debugger's own (docs/DEBUGGING.md).

#include <memory>

#include "debug.hpp"

namespace lockstep::sim::cli {

Action add_debug(CLI::App& app, const Context& ctx) {
  auto f = std::make_shared<DebugFlags>();
  CLI::App* cmd = app.add_subcommand(
      "debug", "Run a scenario under gdb, stopped at a scheduling point, an event or the failure (docs/DEBUGGING.md)");
  add_machine_flags(*cmd, f->machine, true, false);
  cmd->add_option("--machine", f->kind, "The machine: det (the deterministic engine, under gdb)")
      ->check(CLI::IsMember({"det"}))
      ->capture_default_str();
  auto* at = cmd->add_option("--stop-at", f->stop_at,
                             "Stop at this scheduling point (1, 2, ...: `run` prints how many a run has)");
  auto* event =
      cmd->add_option("--stop-at-event", f->stop_event,
                      "Stop at the first event KIND[:ARG]: ipi-sent:CPU, lock-contended:NAME, task-block:TASK, "
                      "any trace record type, or record:CPU:INDEX (the viewer's event)");
  auto* failure = cmd->add_flag("--stop-at-failure", f->stop_at_failure,
                                "Stop where the run fails: panic, deadlock, limit, failed check (the default)");
  at->excludes(event)->excludes(failure);
  event->excludes(failure);
  cmd->add_option("--gdb-batch", f->gdb_batch, "Run this gdb script at the stop, then end (for tests and scripts)")
      ->check(CLI::ExistingFile);
  return [f, ctx, at] {
    f->stop_at_given = at->count() > 0;
    return debug_engine(ctx, *f);
  };
}

}  // namespace lockstep::sim::cli
