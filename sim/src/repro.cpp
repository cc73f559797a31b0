#include <fmt/format.h>
#include <lockstep/emu/config.hpp>
#include <lockstep/sim/repro.hpp>

namespace lockstep::sim {

std::string shell_quote(const std::string& s) {
  const bool safe = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                      "-_./=:,@+%") == std::string::npos;
  if (safe) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> run_arguments(const RunOptions& o, const std::string& schedule_file) {
  std::vector<std::string> args = {"run"};
  auto add = [&](std::string flag, std::string value) {
    args.push_back(std::move(flag));
    args.push_back(std::move(value));
  };
  add("--scenario", o.scenario);
  add("--cpus", std::to_string(o.machine.cpus));
  add("--seed", std::to_string(o.machine.seed));
  if (o.machine.strategy == emu::Strategy::kSchedule) {
    add("--schedule", schedule_file);
  } else {
    add("--strategy", std::string(emu::to_string(o.machine.strategy)));
  }
  if (o.machine.strategy == emu::Strategy::kPct) {
    add("--pct-depth", std::to_string(o.machine.pct_depth));
    add("--pct-horizon", std::to_string(o.machine.pct_horizon));
  }
  const emu::MachineConfig defaults;
  if (o.machine.max_steps != defaults.max_steps) add("--max-steps", std::to_string(o.machine.max_steps));
  if (o.machine.max_cycles != defaults.max_cycles) add("--max-cycles", std::to_string(o.machine.max_cycles));
  if (o.machine.faults.any()) add("--faults", emu::format_faults(o.machine.faults));
  if (o.engine == Engine::kParallel) add("--engine", "parallel");
  if (!o.lockdep) add("--lockdep", "off");
  if (o.machine.memory_model != emu::MemoryModel::kSc)
    add("--memory-model", std::string(emu::to_string(o.machine.memory_model)));
  if (o.machine.races != races_by_default(o)) add("--races", o.machine.races ? "on" : "off");
  return args;
}

namespace {
std::string quoted_command(const std::string& program, const std::vector<std::string>& args) {
  std::string cmd = shell_quote(program);
  for (const std::string& a : args) cmd += " " + shell_quote(a);
  return cmd;
}
}  // namespace

std::string run_command(const std::string& program, const RunOptions& o, const std::string& schedule_file) {
  return quoted_command(program, run_arguments(o, schedule_file));
}

std::string debug_command(const std::string& program, const RunOptions& o, const std::string& schedule_file,
                          const std::vector<std::string>& extra) {
  std::vector<std::string> args = run_arguments(o, schedule_file);
  args.front() = "debug";
  args.insert(args.end(), extra.begin(), extra.end());
  return quoted_command(program, args);
}

std::string default_schedule_file(const RunOptions& o) {
  return fmt::format("{}-seed{}.schedule", o.scenario, o.machine.seed);
}

}  // namespace lockstep::sim
