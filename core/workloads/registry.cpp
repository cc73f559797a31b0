#include <lockstep/core/panic.hpp>
#include <lockstep/core/sched.hpp>

#include "util.hpp"

namespace lockstep::core {

namespace workloads {
Completion g_tasks_done;

void run_boot(WorkloadResult& r);
void run_spinlock_stress(WorkloadResult& r);
void run_ipi_storm(WorkloadResult& r);
void run_work_stealing(WorkloadResult& r);
void run_shootdown(WorkloadResult& r);
void run_hotplug(WorkloadResult& r);
void run_mixed(WorkloadResult& r);

void spawn_and_wait(std::uint32_t count, TaskEntry entry, hal::CpuId cpu, WorkloadResult& result) noexcept {
  g_tasks_done.reset(count, hal::current_cpu_id());
  std::uint32_t spawned = 0;
  {
    RescheduleBatch batch;
    for (; spawned < count; ++spawned) {
      const hal::CpuId target = cpu != hal::kInvalidCpu ? cpu : spawned % cpu_count();
      if (spawn_task(entry, reinterpret_cast<void*>(static_cast<std::uintptr_t>(spawned)), 1,
                     cpu_is_online(target) ? target : hal::kInvalidCpu) == nullptr) {
        fail(result, "could not spawn task {} of {} (pool or queues full)", spawned, count);
        break;
      }
    }
  }
  for (std::uint32_t i = spawned; i < count; ++i) g_tasks_done.done();
  run_scheduler_until([](void*) { return g_tasks_done.complete(); }, nullptr);
}
}  // namespace workloads

namespace {
constexpr Workload kWorkloads[] = {
    {"boot", "bring every CPU online through the staged handshake", workloads::run_boot},
    {"spinlock-stress", "tasks increment shared counters under TTAS, ticket and IRQ-safe locks; totals must be exact",
     workloads::run_spinlock_stress},
    {"ipi-storm", "all-to-all Call IPIs, waiting and asynchronous; every call runs once on its target",
     workloads::run_ipi_storm},
    {"work-stealing", "all tasks spawned on CPU 0; the others must steal their share", workloads::run_work_stealing},
    {"shootdown", "every CPU broadcasts a waiting Call with interrupts off at once (the deadlock trap)",
     workloads::run_shootdown},
    {"hotplug", "CPUs go offline and online under load; every task still runs exactly once", workloads::run_hotplug},
    {"mixed", "locks, IPIs, stealing and blocking together (the demo)", workloads::run_mixed},
};

bool same(const char* a, const char* b) noexcept {
  while (*a && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}
}  // namespace

void workload_fail(WorkloadResult& result, const char* reason) noexcept {
  if (!result.passed) return;
  result.passed = false;
  copy_string(result.reason, sizeof result.reason, reason);
}

std::span<const Workload> builtin_workloads() noexcept { return kWorkloads; }

const Workload* find_workload(const char* name) noexcept {
  for (const Workload& w : kWorkloads)
    if (same(w.name, name)) return &w;
  return nullptr;
}

WorkloadResult run_workload(const Workload& w) noexcept {
  WorkloadResult result;
  w.run(result);
  if (const char* p = panic_message()) workloads::fail(result, "panic: {}", p);
  if (result.passed && boot_config().check_timing && balance_violations() != 0)
    workloads::fail(result, "a CPU stayed idle for over two balancing periods while another had 2+ tasks ({} times)",
                    balance_violations());
  return result;
}

}  // namespace lockstep::core
