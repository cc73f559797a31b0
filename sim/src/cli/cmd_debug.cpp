// `lockstep debug`: a failing seed under gdb. On the Unicorn machine (--machine unicorn) a GDB
// stub with every vCPU as a thread and reverse execution by re-running the seed.

#include <fmt/format.h>
#include <memory>

#include "common.hpp"
#include "debug_unicorn.hpp"

namespace lockstep::sim::cli {

Action add_debug(CLI::App& app, const Context&) {
  auto u = std::make_shared<UnicornDebugFlags>();
  auto machine = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("debug", "Debug a seed's run in gdb: every vCPU a thread, stepping backward");
  cmd->add_option("--machine", *machine, "unicorn: the arm64 kernel image on the Unicorn machine, behind a GDB stub")
      ->check(CLI::IsMember({"unicorn"}))
      ->required();
  cmd->add_option("--arch", u->arch, "unicorn: arm64")->check(CLI::IsMember({"arm64"}));
  cmd->add_option("--kernel", u->kernel, "unicorn: the kernel image (default: the one this build made)");
  add_schedule_flags(*cmd, *u, unicorn_strategy_names(), true);
  cmd->add_option("--port", u->port, "unicorn: the stub's port on 127.0.0.1 (default: a free one)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--gdb-batch", u->gdb_batch, "Run this gdb script against the session (for tests)")
      ->check(CLI::ExistingFile);
  return [u, machine] {
    if (u->kernel.empty()) u->kernel = default_kernel_image(u->arch);
    return debug_on_unicorn(*u);
  };
}

}  // namespace lockstep::sim::cli
