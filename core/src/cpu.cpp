// CPU manager, bring-up handshake and hotplug.
//
// Bring-up is a staged handshake, each stage with a timeout in cycle_counter() units (guest
// time, never spin counts):
//   boot CPU                          secondary CPU
//   state = kStarting, start_cpu() -> ap_startup_main(): kStarting -> kAlive   (1: alive)
//   waits for kAlive                  waits for kReleased
//   kAlive -> kReleased           ->  per-CPU setup, kReleased -> kOnline     (2: online)
//   waits for kOnline
// Either side's CAS fails if the other gave up (kFailed): a CPU that arrives late halts itself
// instead of running half set up, and a double start is harmless.

#include <lockstep/core/cpu.hpp>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/hal/hal.hpp>
#include <new>

#include "sched_internal.hpp"
#include "state.hpp"

namespace lockstep::core {
namespace {

PerCpu g_cpus[hal::kMaxCpus];
BootConfig g_config;
hal::CpuId g_cpu_count = 0;
hal::Atomic<std::uint32_t> g_online{0};

constexpr std::uint8_t as_u8(CpuState s) { return static_cast<std::uint8_t>(s); }

bool advance(PerCpu& cpu, CpuState from, CpuState to) noexcept {
  std::uint8_t expected = as_u8(from);
  return cpu.state.compare_exchange_strong(expected, as_u8(to), std::memory_order_acq_rel);
}

/// Waits (serving calls) until `cpu` leaves state `from`, or the timeout passes.
bool wait_leaves(PerCpu& cpu, CpuState from, hal::Cycles timeout) noexcept {
  const hal::Cycles start = hal::cycle_counter();
  spin_until([&] { return cpu.cpu_state() != from || hal::cycle_counter() - start > timeout; });
  return cpu.cpu_state() != from;
}

void start_timer() noexcept {
  if (g_config.tick_period != 0) hal::timer_set_periodic(g_config.tick_period);
}

void mark_online(PerCpu& cpu) noexcept {
  trace(TraceType::kCpuOnline, 0, static_cast<std::uint32_t>(cpu.hw_id));
}

bool start_one(PerCpu& cpu) noexcept {
  cpu.state.store(as_u8(CpuState::kStarting), std::memory_order_release);
  const hal::StartResult r = hal::start_cpu(cpu.id, &ap_startup_main, cpu.stack);
  if (r != hal::StartResult::kStarted) {
    cpu.state.store(as_u8(CpuState::kFailed), std::memory_order_release);
    print("cpu {}: start refused by the platform (result {})\n", cpu.id, static_cast<unsigned>(r));
    return false;
  }
  // Stage 1: the CPU is alive.
  if (!wait_leaves(cpu, CpuState::kStarting, g_config.ap_timeout) && advance(cpu, CpuState::kStarting, CpuState::kFailed)) {
    print("cpu {} (hw {:x}): did not check in, left offline\n", cpu.id, cpu.hw_id);
    return false;
  }
  // Stage 2: release it and wait for it to finish its per-CPU setup.
  if (!advance(cpu, CpuState::kAlive, CpuState::kReleased)) return false;
  if (!wait_leaves(cpu, CpuState::kReleased, g_config.ap_timeout) && advance(cpu, CpuState::kReleased, CpuState::kFailed)) {
    print("cpu {}: did not come online, left offline\n", cpu.id);
    return false;
  }
  if (cpu.cpu_state() != CpuState::kOnline) return false;
  g_online.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

}  // namespace

const char* cpu_state_name(CpuState s) noexcept {
  switch (s) {
    case CpuState::kAbsent: return "absent";
    case CpuState::kStarting: return "starting";
    case CpuState::kAlive: return "alive";
    case CpuState::kReleased: return "released";
    case CpuState::kOnline: return "online";
    case CpuState::kParked: return "parked";
    case CpuState::kHalted: return "halted";
    case CpuState::kFailed: return "failed";
  }
  return "?";
}

PerCpu& cpu_record(hal::CpuId id) noexcept { return g_cpus[id]; }
hal::CpuId cpu_count() noexcept { return g_cpu_count; }
hal::CpuId online_count() noexcept { return g_online.load(std::memory_order_acquire); }
bool cpu_is_online(hal::CpuId cpu) noexcept { return cpu < g_cpu_count && g_cpus[cpu].cpu_state() == CpuState::kOnline; }
const BootConfig& boot_config() noexcept { return g_config; }

void init(const BootConfig& config) noexcept {
  const auto platform = hal::platform_cpus();
  const hal::CpuId previous = g_cpu_count;
  g_config = config;
  g_cpu_count = static_cast<hal::CpuId>(platform.size() < hal::kMaxCpus ? platform.size() : hal::kMaxCpus);
  // Only the records a machine used are reset: a 4-CPU run must not pay for 1024.
  const hal::CpuId reset = previous > g_cpu_count ? previous : g_cpu_count;
  for (hal::CpuId i = 0; i < reset; ++i) {
    g_cpus[i].~PerCpu();
    new (&g_cpus[i]) PerCpu{};
  }
  detail::lockdep_run_start();
  const std::size_t stack = config.cpu_stack_size;
  for (hal::CpuId i = 0; i < g_cpu_count; ++i) {
    PerCpu& cpu = g_cpus[i];
    cpu.id = i;
    cpu.hw_id = platform[i].hw_id;
    cpu.enabled = platform[i].enabled;
    if (stack != 0 && (i + 1) * stack <= config.cpu_stacks.size()) cpu.stack = config.cpu_stacks.subspan(i * stack, stack);
  }
  detail::reset_panic();
  detail::reset_locks();
  detail::reset_sched();
  g_online.store(1, std::memory_order_relaxed);
  trace_init(config.trace, g_cpu_count);
  profiler_init();

  PerCpu& boot = g_cpus[0];
  hal::set_percpu_base(&boot);
  boot.state.store(as_u8(CpuState::kOnline), std::memory_order_release);
  task_pool_init(config.tasks, config.task_stacks, config.task_stack_size);
  if (config.profile) profiler_enable();
  mark_online(boot);
  start_timer();
}

std::uint32_t boot_aps() noexcept {
  for (hal::CpuId i = 1; i < g_cpu_count; ++i) {
    PerCpu& cpu = g_cpus[i];
    if (!cpu.enabled) continue;
    if (cpu.stack.empty()) {
      print("cpu {}: no stack provided, left offline\n", i);
      cpu.state.store(as_u8(CpuState::kFailed), std::memory_order_release);
      continue;
    }
    (void)start_one(cpu);
  }
  return online_count();
}

void ap_startup_main(hal::CpuId id) noexcept {
  PerCpu& cpu = g_cpus[id];
  if (!advance(cpu, CpuState::kStarting, CpuState::kAlive)) hal::halt();  // Too late: given up on.
  while (cpu.cpu_state() == CpuState::kAlive) hal::relax();
  if (cpu.cpu_state() != CpuState::kReleased) hal::halt();
  hal::set_percpu_base(&cpu);
  cpu.running_priority.store(kIdlePriority, std::memory_order_relaxed);
  if (!advance(cpu, CpuState::kReleased, CpuState::kOnline)) hal::halt();
  mark_online(cpu);
  start_timer();
  run_scheduler();
}

void detail::go_offline(PerCpu& cpu) noexcept {
  const bool halt = cpu.stop == StopRequest::kHalt;
  // Refuse new work first: under each lock that admits work, flip the state.
  {
    IrqSpinlockGuard mailbox(cpu.mailbox.lock);
    IrqSpinlockGuard queue(cpu.run_queue.lock());
    cpu.state.store(as_u8(halt ? CpuState::kHalted : CpuState::kParked), std::memory_order_release);
  }
  g_online.fetch_sub(1, std::memory_order_acq_rel);
  serve_calls();  // Requests accepted before the flip are served, not stranded.
  hal::timer_stop();
  // Migrate the queued tasks to the online CPUs.
  Task* moved[kRunQueueCapacity];
  std::uint32_t n = 0;
  {
    IrqSpinlockGuard queue(cpu.run_queue.lock());
    n = cpu.run_queue.take(moved, kRunQueueCapacity);
  }
  for (std::uint32_t i = 0; i < n; ++i)
    if (!enqueue_anywhere(cpu.id + 1, *moved[i])) panic("no online CPU can take a migrated task", __FILE__, __LINE__);
  trace(TraceType::kCpuOffline, halt ? 1 : 0);
  cpu.idle_since.store(0, std::memory_order_relaxed);
  if (halt) hal::halt();
  // Parked: wait for cpu_online(). Only the online request wakes us (a Reschedule vector sent
  // through the HAL directly, since the core refuses IPIs to offline CPUs).
  cpu.stop = StopRequest::kNone;
  while (cpu.online_request.load(std::memory_order_acquire) == 0) {
    hal::wait_for_interrupt();
    hal::irq_enable();
    (void)hal::irq_save_disable();
  }
  cpu.online_request.store(0, std::memory_order_relaxed);
  cpu.ipi_pending.store(0, std::memory_order_relaxed);
  g_online.fetch_add(1, std::memory_order_acq_rel);
  cpu.state.store(as_u8(CpuState::kOnline), std::memory_order_release);
  mark_online(cpu);
  start_timer();
}

bool cpu_offline(hal::CpuId id, bool halt) noexcept {
  if (id == 0 || id == hal::current_cpu_id() || !cpu_is_online(id)) return false;
  PerCpu& cpu = g_cpus[id];
  if (!send_ipi(id, halt ? IpiKind::kHalt : IpiKind::kShutdown)) return false;
  spin_until([&] {
    const CpuState s = cpu.cpu_state();
    return s == CpuState::kParked || s == CpuState::kHalted;
  });
  return true;
}

bool cpu_online(hal::CpuId id) noexcept {
  if (id >= g_cpu_count || g_cpus[id].cpu_state() != CpuState::kParked) return false;
  PerCpu& cpu = g_cpus[id];
  cpu.online_request.store(1, std::memory_order_release);
  hal::send_ipi(id, ipi_vector(IpiKind::kReschedule));
  spin_until([&] { return cpu.cpu_state() == CpuState::kOnline; });
  return true;
}

void shutdown_others() noexcept {
  const hal::CpuId me = hal::current_cpu_id();
  for (hal::CpuId c = 0; c < g_cpu_count; ++c)
    if (c != me && cpu_is_online(c)) (void)cpu_offline(c, true);
}

}  // namespace lockstep::core
