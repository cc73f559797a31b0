// `lockstep debug`: a seed's run under gdb with the machine's view (docs/DEBUGGING.md). On the
// deterministic engine, a scenario's run stopped at a scheduling point, an event or the failure,
// with lockstep's gdb extension (debug_engine.cpp); on the Unicorn machine, the arm64 kernel
// behind a GDB stub with every vCPU a thread and reverse execution (debug_unicorn.cpp).

#include <fmt/format.h>

#include <lockstep/sim/atomic_file.hpp>
#include <memory>

#include "debug.hpp"
#include "debug_unicorn.hpp"

namespace lockstep::sim::cli {
namespace {

/// The Unicorn machine's session from the shared flags; refuses the engine's own.
UnicornDebugFlags unicorn_flags(const DebugFlags& f, const CLI::App& cmd, const UnicornDebugFlags& extra) {
  for (const char* engine_only : {"--scenario", "--stop-at", "--stop-at-event", "--stop-at-failure", "--schedule",
                                  "--faults", "--pct-horizon", "--max-steps", "--max-cycles"})
    if (cmd.get_option(engine_only)->count() > 0)
      throw InputError(
          fmt::format("{} is for the deterministic engine: on the Unicorn machine gdb stops the kernel "
                      "(breakpoints, stepi, reverse-stepi)",
                      engine_only));
  UnicornDebugFlags u = extra;
  u.cpus = f.machine.cpus;
  u.seed = f.machine.seed;
  u.pct_depth = f.machine.pct_depth;
  if (cmd.get_option("--strategy")->count() > 0) {
    const auto strategy = emu::parse_strategy(f.machine.strategy);
    if (!strategy || !emu::unicorn::supports_strategy(*strategy))
      throw InputError(fmt::format("the Unicorn machine has no '{}' strategy (it sees time slices): use {}",
                                   f.machine.strategy, fmt::join(unicorn_strategy_names(), ", ")));
    u.strategy = f.machine.strategy;
  }
  u.gdb_batch = f.gdb_batch;
  if (u.kernel.empty()) u.kernel = default_kernel_image(u.arch);
  return u;
}

}  // namespace

Action add_debug(CLI::App& app, const Context& ctx) {
  auto f = std::make_shared<DebugFlags>();
  auto u = std::make_shared<UnicornDebugFlags>();
  CLI::App* cmd = app.add_subcommand(
      "debug",
      "Debug a seed's run in gdb with every vCPU in view, stepping backward by re-running (docs/DEBUGGING.md)");
  add_machine_flags(*cmd, f->machine, true, false, false);
  cmd->add_option("--machine", f->kind,
                  "det: the deterministic engine running --scenario, under gdb; unicorn: the arm64 kernel image "
                  "on the Unicorn machine, behind a GDB stub")
      ->check(CLI::IsMember({"det", "unicorn"}))
      ->capture_default_str();
  auto* at = cmd->add_option("--stop-at", f->stop_at,
                             "det: stop at this scheduling point (1, 2, ...: `run` prints how many a run has)");
  auto* event =
      cmd->add_option("--stop-at-event", f->stop_event,
                      "det: stop at the first event KIND[:ARG]: ipi-sent:CPU, lock-contended:NAME, task-block:TASK, "
                      "any trace record type, or record:CPU:INDEX (the viewer's event)");
  auto* failure = cmd->add_flag("--stop-at-failure", f->stop_at_failure,
                                "det: stop where the run fails: panic, deadlock, limit, failed check (the default)");
  at->excludes(event)->excludes(failure);
  event->excludes(failure);
  cmd->add_option("--arch", u->arch, "unicorn: arm64")->check(CLI::IsMember({"arm64"}));
  cmd->add_option("--kernel", u->kernel, "unicorn: the kernel image (default: the one this build made)");
  cmd->add_option("--port", u->port, "unicorn: the stub's port on 127.0.0.1 (default: a free one)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--gdb-batch", f->gdb_batch, "Run this gdb script at the stop, then end (for tests and scripts)")
      ->check(CLI::ExistingFile);
  return [f, u, ctx, at, cmd] {
    if (f->kind == "unicorn") return debug_on_unicorn(unicorn_flags(*f, *cmd, *u));
    for (const char* unicorn_only : {"--arch", "--kernel", "--port"})
      if (cmd->get_option(unicorn_only)->count() > 0)
        throw InputError(fmt::format("{} is for the Unicorn machine (--machine unicorn)", unicorn_only));
    if (f->machine.scenario.empty())
      throw InputError("--scenario is required on the deterministic engine (the Unicorn machine: --machine unicorn)");
    f->stop_at_given = at->count() > 0;
    return debug_engine(ctx, *f);
  };
}

}  // namespace lockstep::sim::cli
