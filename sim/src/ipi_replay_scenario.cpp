#include <fmt/format.h>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/task.hpp>
#include <lockstep/hal/cpu.hpp>
#include <lockstep/sim/ipi_replay.hpp>
#include <lockstep/sim/scenario.hpp>

namespace lockstep::sim {
namespace {

hal::Cycles g_first = 0;
hal::Cycles g_until = 0;
core::Completion g_held;

void hold_online(void*) {
  while (hal::cycle_counter() < g_until) hal::relax();
  g_held.done();
}

void run_ipi_replay(core::WorkloadResult& result) {
  if (hal::cycle_counter() > g_first) {
    const std::string why = fmt::format("bring-up ended at cycle {}, after the first injection at {} (use a later --start)",
                                        hal::cycle_counter(), g_first);
    core::workload_fail(result, why.c_str());
  }
  std::uint32_t online = 0;
  for (hal::CpuId c = 0; c < core::cpu_count(); ++c) online += core::cpu_is_online(c) ? 1 : 0;
  g_held.reset(online, hal::current_cpu_id());
  for (hal::CpuId c = 0; c < core::cpu_count(); ++c) {
    if (!core::cpu_is_online(c)) continue;
    if (core::spawn_task(hold_online, nullptr, 1, c) == nullptr) {
      core::workload_fail(result, "could not spawn a holding task");
      g_held.done();
    }
  }
  core::run_scheduler_until([](void*) { return g_held.complete(); }, nullptr);
}

[[maybe_unused]] const bool g_registered = register_scenario(
    kIpiReplayScenario, "holds every CPU online while `replay --ipis` injects recorded IPIs", run_ipi_replay);

}  // namespace

void set_ipi_replay_window(hal::Cycles first, hal::Cycles until) noexcept {
  g_first = first;
  g_until = until;
}

}  // namespace lockstep::sim
