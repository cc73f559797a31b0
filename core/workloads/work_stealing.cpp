// Every task starts on CPU 0's queue; the other CPUs must pull their share by stealing.

#include "util.hpp"

namespace lockstep::core::workloads {
namespace {

constexpr hal::Cycles kWork = 60'000;  // Three ticks: long enough for balancing to matter.

std::uint32_t g_runs[kMaxWorkloadTasks];        // Written by task i only.
hal::CpuId g_ran_on[kMaxWorkloadTasks];

void steal_task(void* arg) {
  const std::uint32_t i = task_index(arg);
  ++g_runs[i];
  g_ran_on[i] = hal::current_cpu_id();
  const hal::Cycles start = hal::cycle_counter();
  while (hal::cycle_counter() - start < kWork) hal::relax();
  g_tasks_done.done();
}

}  // namespace

void run_work_stealing(WorkloadResult& r) {
  const std::uint32_t online = online_count();
  std::uint32_t tasks = 2 * online;
  if (tasks > kRunQueueCapacity) tasks = kRunQueueCapacity;
  for (std::uint32_t i = 0; i < tasks; ++i) {
    g_runs[i] = 0;
    g_ran_on[i] = hal::kInvalidCpu;
  }
  spawn_and_wait(tasks, steal_task, 0, r);
  bool ran[hal::kMaxCpus] = {};
  std::uint32_t distinct = 0;
  for (std::uint32_t i = 0; i < tasks; ++i) {
    if (g_runs[i] != 1) fail(r, "task {} ran {} times", i, g_runs[i]);
    if (g_ran_on[i] < hal::kMaxCpus && !ran[g_ran_on[i]]) {
      ran[g_ran_on[i]] = true;
      ++distinct;
    }
  }
  // Stealing spreads the work: at least a third of the CPUs that could take part did. (That no
  // CPU idled while work waited is checked separately, by the balance bound.) Not half: a
  // priority schedule (PCT) runs some CPUs far ahead of others, and under it 31 of 64 CPUs
  // took part in one seed of 200 while no CPU idled with work waiting.
  const std::uint32_t could = tasks < online ? tasks : online;
  const std::uint32_t need = (could + 2) / 3;
  if (boot_config().check_timing && distinct < need) fail(r, "only {} CPUs ran tasks, expected at least {}", distinct, need);
}

}  // namespace lockstep::core::workloads
