// `lockstep debug --machine unicorn`: the kernel image on the Unicorn machine, stopped at its
// first instruction, behind a GDB stub on 127.0.0.1; or, with --gdb-batch, gdb running a script
// against it (the tests' way in).

#include "debug_unicorn.hpp"

#include <fmt/format.h>

#include <lockstep/emu/unicorn/debugger.hpp>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/boot.hpp>
#include <lockstep/sim/gdb_server.hpp>
#include <optional>

#include "common.hpp"
#include "gdb_session.hpp"

namespace lockstep::sim::cli {

int debug_on_unicorn(const UnicornDebugFlags& f) {
  if (f.arch != "arm64") throw InputError("the Unicorn machine runs arm64 images (--arch arm64)");
  if (f.cpus > kGicV2MaxCpus)
    throw InputError(fmt::format("the Unicorn machine has at most {} CPUs (GICv2)", kGicV2MaxCpus));
  const std::string gdb = gdb_for(f.arch);
  if (!f.gdb_batch.empty() && !on_path(gdb))
    throw InputError(fmt::format("{} not found (Debian package {}), needed by --gdb-batch", gdb, gdb));
  emu::unicorn::MachineConfig c;
  c.image = f.kernel;
  c.cpus = f.cpus;
  c.seed = f.seed;
  c.strategy = *emu::parse_strategy(f.strategy);
  c.pct_depth = f.pct_depth;
  emu::unicorn::Debugger debugger(c);
  if (!debugger.error().empty()) throw InputError(fmt::format("{}: {}", f.kernel, debugger.error()));

  std::optional<GdbSession> session;
  gdb::ServeOptions o;
  o.port = f.port;
  if (!f.gdb_batch.empty()) {  // A script, not a person: shorter bounds.
    o.accept_timeout = std::chrono::seconds(60);
    o.idle_timeout = std::chrono::seconds(120);
  }
  bool started = true;
  o.on_listening = [&](std::uint16_t port) {
    session.emplace(gdb, f.kernel, port);
    fmt::print(
        "debug: the Unicorn machine ({} arm64 CPUs, seed {}, {}) waits at its first instruction on 127.0.0.1:{}; "
        "attach with\n  {}\n"
        "threads are vCPUs (thread N is vCPU N-1); reverse-stepi and reverse-continue re-run the seed\n",
        f.cpus, f.seed, f.strategy, port, session->command());
    std::fflush(stdout);
    if (!f.gdb_batch.empty()) started = session->start_batch(f.gdb_batch);
  };
  const gdb::ServeResult served = gdb::serve(debugger, o);
  if (!served.listened) throw InputError(served.error + " (--port)");
  if (!started) {
    fmt::print(stderr, "lockstep debug: could not start {}\n", gdb);
    return 1;
  }
  fmt::print("debug: {} packets ({} malformed), {} re-executions of the seed{}\n", served.packets, served.bad_packets,
             debugger.reexecutions(), served.error.empty() ? "" : "; " + served.error);
  if (!f.gdb_batch.empty()) {
    const int status = session->finish();
    fmt::print("gdb: the script ended with status {}\n", status);
    return status == 0 && served.served ? 0 : 1;
  }
  return served.served ? 0 : 1;
}

}  // namespace lockstep::sim::cli
