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

std::string run_command(const std::string& program, const RunOptions& o, const std::string& schedule_file) {
  std::string cmd = fmt::format("{} run --scenario {} --cpus {} --seed {}", shell_quote(program), shell_quote(o.scenario),
                                o.machine.cpus, o.machine.seed);
  if (o.machine.strategy == emu::Strategy::kSchedule) {
    cmd += " --schedule " + shell_quote(schedule_file);
  } else {
    cmd += fmt::format(" --strategy {}", emu::to_string(o.machine.strategy));
  }
  if (o.machine.strategy == emu::Strategy::kPct)
    cmd += fmt::format(" --pct-depth {} --pct-horizon {}", o.machine.pct_depth, o.machine.pct_horizon);
  const emu::MachineConfig defaults;
  if (o.machine.max_steps != defaults.max_steps) cmd += fmt::format(" --max-steps {}", o.machine.max_steps);
  if (o.machine.max_cycles != defaults.max_cycles) cmd += fmt::format(" --max-cycles {}", o.machine.max_cycles);
  if (o.machine.faults.any()) cmd += " --faults " + shell_quote(emu::format_faults(o.machine.faults));
  if (o.engine == Engine::kParallel) cmd += " --engine parallel";
  if (!o.lockdep) cmd += " --lockdep off";
  return cmd;
}

std::string default_schedule_file(const RunOptions& o) { return fmt::format("{}-seed{}.schedule", o.scenario, o.machine.seed); }

}  // namespace lockstep::sim
