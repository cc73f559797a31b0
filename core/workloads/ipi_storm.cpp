// All-to-all Call IPIs: every task calls every other online CPU, alternately waiting for
// completion and not. Every call must run exactly once, on its target.

#include <lockstep/core/ipi.hpp>

#include "util.hpp"

namespace lockstep::core::workloads {
namespace {

constexpr std::uint32_t kRounds = 4;

hal::Atomic<std::uint64_t> g_calls_run{0};
hal::Atomic<std::uint64_t> g_calls_sent{0};
hal::Atomic<std::uint64_t> g_wrong_cpu{0};

void on_target(void* arg) {
  if (hal::current_cpu_id() != task_index(arg)) g_wrong_cpu.fetch_add(1);
  g_calls_run.fetch_add(1);
}

void storm_task(void*) {
  for (std::uint32_t round = 0; round < kRounds; ++round) {
    for (hal::CpuId c = 0; c < cpu_count(); ++c) {
      // Migration may move us between the check and the call: call_on_cpu refuses "self".
      if (call_on_cpu(c, on_target, reinterpret_cast<void*>(static_cast<std::uintptr_t>(c)), round % 2 == 0))
        g_calls_sent.fetch_add(1);
    }
  }
  g_tasks_done.done();
}

}  // namespace

void run_ipi_storm(WorkloadResult& r) {
  g_calls_run.store(0);
  g_calls_sent.store(0);
  g_wrong_cpu.store(0);
  spawn_and_wait(online_count(), storm_task, hal::kInvalidCpu, r);
  // Asynchronous calls may still be in flight: wait for them (bounded in guest time).
  const hal::Cycles start = hal::cycle_counter();
  spin_until([&] { return g_calls_run.load() == g_calls_sent.load() || hal::cycle_counter() - start > 50'000'000; });
  if (g_calls_run.load() != g_calls_sent.load()) fail(r, "{} calls sent, {} ran", g_calls_sent.load(), g_calls_run.load());
  if (g_wrong_cpu.load() != 0) fail(r, "{} calls ran on the wrong CPU", g_wrong_cpu.load());
  if (online_count() > 1 && g_calls_sent.load() == 0) fail(r, "no call was sent");
}

}  // namespace lockstep::core::workloads
