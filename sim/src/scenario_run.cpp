#include <fmt/format.h>
#include <sys/mman.h>

#include <lockstep/core/cpu.hpp>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/report.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/emu/debug_hook.hpp>
#include <lockstep/sim/debug_watch.hpp>
#include <lockstep/sim/scenario.hpp>
#include <lockstep/sim/scenario_run.hpp>
#include <stdexcept>

namespace lockstep::sim {
namespace {

/// "; blocked: task 3 on event 'x' since cycle 4120 (cpu 1), never signalled; ..." for a run
/// that stopped, so a lost wake-up reads as one. Empty when no task waits.
std::string blocked_tasks_text() {
  std::string text;
  core::for_each_blocked_task(
      [](const core::BlockedTask& t, void* out) {
        auto& s = *static_cast<std::string*>(out);
        s += s.empty() ? "; blocked: " : "; ";
        s += fmt::format("task {} on event '{}' since cycle {} (cpu {}), ", t.id, t.event->name(), t.since, t.cpu);
        if (t.event->signals() == 0 && t.event->dropped_signal() != 0) {
          s += fmt::format("not signalled since its reset at cycle {} by cpu {}, which dropped the signal of cycle {} by cpu {}",
                           t.event->dropped_at(), t.event->dropped_by(), t.event->dropped_signal(),
                           t.event->dropped_signal_cpu());
        } else if (t.event->signals() == 0) {
          s += "never signalled";
        } else {
          s += fmt::format("last signalled at cycle {} by cpu {} ({} signals)", t.event->last_signal(),
                           t.event->last_signal_cpu(), t.event->signals());
        }
      },
      &text);
  return text;
}

constexpr std::size_t kCpuStackSize = 64 * 1024;
constexpr std::size_t kTaskStackSize = 64 * 1024;
constexpr std::size_t kTasks = 1024;

/// Host memory a run hands to the core. Reserved once per process, committed lazily by the
/// kernel on first touch, and reused run after run (explore pays for it once).
struct Arena {
  std::span<std::byte> cpu_stacks;
  std::span<std::byte> task_stacks;
  std::vector<core::Task> tasks = std::vector<core::Task>(kTasks);
  std::vector<core::TraceRecord> trace;

  static std::span<std::byte> reserve(std::size_t bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot reserve memory for the emulated machine");
    return {static_cast<std::byte*>(p), bytes};
  }
  Arena() {
    cpu_stacks = reserve(hal::kMaxCpus * kCpuStackSize);
    task_stacks = reserve(kTasks * kTaskStackSize);
  }
};

Arena& arena() {
  static Arena a;
  return a;
}

struct BootArgs {
  core::BootConfig config;
  const Scenario* scenario = nullptr;
  core::WorkloadResult result;
  bool print_report = false;
};

/// Who made a tracked access, for the race detector's report (on the vCPU making it).
void describe_access(emu::AccessContext& out) {
  // Before init() gives the CPU its per-CPU record there is no task to ask about.
  if (hal::percpu_base() != nullptr)
    if (const core::Task* t = core::current_task()) out.task = t->id;
  out.lock_count = core::detail::lockdep_held_names(hal::current_cpu_id(), out.locks, emu::AccessContext::kMaxLocks);
}

void boot_main(void* p) {
  auto& args = *static_cast<BootArgs*>(p);
  core::init(args.config);
  core::boot_aps();
  args.result = run_registered(*args.scenario);
  // Failures only the driver sees: a debugger that asked stops here, where the check failed.
  if (!args.result.passed) emu::debug_failure(args.result.reason);
  if (const char* report = core::lockdep_report()) emu::debug_failure(report);
  if (args.print_report) core::print_report();
  core::shutdown_others();
}

}  // namespace

ScenarioRun run_scenario(const RunOptions& options) {
  ScenarioRun run;
  const Scenario* scenario = find_scenario(options.scenario);
  if (scenario == nullptr) {
    run.reason = fmt::format("unknown scenario '{}'", options.scenario);
    return run;
  }
  Arena& a = arena();
  const hal::CpuId cpus = std::max<hal::CpuId>(1, std::min<hal::CpuId>(options.machine.cpus, hal::kMaxCpus));
  a.trace.resize(options.trace_records_per_cpu * cpus);

  BootArgs args;
  args.scenario = scenario;
  args.print_report = options.print_core_report;
  core::BootConfig& c = args.config;
  c.cpu_stacks = a.cpu_stacks;
  c.cpu_stack_size = kCpuStackSize;
  c.tasks = a.tasks;
  c.task_stacks = a.task_stacks;
  c.task_stack_size = kTaskStackSize;
  c.trace = a.trace;
  c.tick_period = options.tick_period;
  c.ap_timeout = options.engine == Engine::kParallel ? 2'000'000'000 : 5'000'000;
  c.check_timing = options.engine != Engine::kParallel;
  // On host threads a vCPU's clock runs while the host deschedules it: no watchdog there.
  c.lockup_cycles = options.engine == Engine::kDeterministic ? options.lockup_cycles : 0;
  c.on_lockup = [](const char* report) { core::panic(report, __FILE__, __LINE__); };

  emu::MachineConfig machine = options.machine;
  machine.faults.unplug_vector = core::ipi_vector(core::IpiKind::kShutdown);
  core::lockdep_enable(options.lockdep && options.engine == Engine::kDeterministic);
  core::lockdep_set_run_tag(options.machine.seed);
  machine.stop_on_halt = [] {
    const char* panic = core::panic_message();
    if (panic != nullptr) emu::debug_failure(panic);
    return panic != nullptr;
  };
  machine.debug_probe = debug_probe;
  machine.describe_access = describe_access;
  // A schedule's decisions are few: recording them costs nothing and tells where each happened.
  if (machine.strategy == emu::Strategy::kSchedule) machine.record_decisions = true;
  run.machine = options.engine == Engine::kParallel ? emu::run_parallel(machine, boot_main, &args)
                                                    : emu::run_deterministic(machine, boot_main, &args);
  run.workload = args.result;
  run.totals = core::collect_totals();
  run.trace.resize(cpus);
  run.trace_lost.resize(cpus);
  for (hal::CpuId cpu = 0; cpu < cpus && cpu < core::cpu_count(); ++cpu) {
    const core::TraceRing& ring = core::trace_ring(cpu);
    run.trace[cpu].reserve(ring.slots.size());
    ring.for_each([&](const core::TraceRecord& r) { run.trace[cpu].push_back(r); });
    run.trace_lost[cpu] = ring.lost();
  }
  if (const char* p = core::panic_message()) {
    run.reason = fmt::format("panic: {}", p);
  } else if (run.machine.status == emu::RunStatus::kDataRace) {
    run.reason = run.machine.race;
  } else if (run.machine.status != emu::RunStatus::kFinished) {
    run.reason = fmt::format("machine stopped: {}{}", emu::to_string(run.machine.status), blocked_tasks_text());
  } else if (!run.workload.passed) {
    run.reason = run.workload.reason;
  } else if (const char* report = core::lockdep_report()) {
    run.reason = fmt::format("lockdep: {}", report);
  } else {
    run.passed = true;
    run.reason = "ok";
  }
  return run;
}

bool races_by_default(const RunOptions& options) noexcept {
  return options.engine == Engine::kDeterministic && options.machine.cpus <= emu::kMaxViewCpus;
}

std::string outcome_line(const ScenarioRun& run) { return run.passed ? "pass" : "FAIL: " + run.reason; }

}  // namespace lockstep::sim
