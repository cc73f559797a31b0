#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/cli.hpp>
#include <vector>

#include "common.hpp"

namespace lockstep::sim {

int cli_main(int argc, char** argv) {
  cli::Context ctx{argc > 0 ? argv[0] : "lockstep"};
  CLI::App app{"lockstep: deterministic multi-CPU simulation of an SMP kernel core", "lockstep"};
  app.require_subcommand(1);
  app.fallthrough(false);
  std::vector<std::pair<CLI::App*, cli::Action>> commands;
  auto add = [&](cli::Action (*f)(CLI::App&, const cli::Context&)) {
    const std::size_t before = app.get_subcommands({}).size();
    cli::Action action = f(app, ctx);
    commands.emplace_back(app.get_subcommands({})[before], std::move(action));
  };
  add(cli::add_run);
  add(cli::add_explore);
  add(cli::add_merge);
  add(cli::add_replay);
  add(cli::add_export);
  add(cli::add_scenarios);
  add(cli::add_demo);
  add(cli::add_boot);
  add(cli::add_view);
  add(cli::add_debug);
  // CLI11 reports an unknown first word only as "a subcommand is required": name it.
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  if (argc > 1 && argv[1][0] != '-' && std::find(names.begin(), names.end(), argv[1]) == names.end()) {
    fmt::print(stderr, "lockstep: error: unknown subcommand '{}' (one of: {})\n", argv[1], fmt::join(names, ", "));
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (auto& [cmd, action] : commands)
      if (cmd->parsed()) return action();
  } catch (const InputError& e) {
    std::fflush(stdout);
    fmt::print(stderr, "lockstep: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "lockstep: error: {}\n", e.what());
    return 2;
  }
  return 2;
}

}  // namespace lockstep::sim
