// The parallel engine: one host thread per vCPU, real atomics, host time. Not deterministic;
// it exists to run the core at host speed and under ThreadSanitizer.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fmt/format.h>
#include <lockstep/emu/machine.hpp>
#include <lockstep/emu/prng.hpp>
#include <lockstep/hal/hal.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine.hpp"
#include "fiber.hpp"

namespace lockstep::emu {
namespace {

using hal::CpuId;
using hal::Cycles;
using hal::Vector;
using Clock = std::chrono::steady_clock;


using ParState = detail::VcpuState;

struct ParCpu {
  detail::CpuHot hot;
  std::atomic<ParState> state{ParState::kOff};
  std::thread thread;
  hal::Context boot;
  hal::Context thread_main;
  hal::CpuEntry entry = nullptr;
  std::span<std::byte> engine_stack;
  std::atomic<Cycles> timer_deadline{0};
  Cycles timer_period = 0;
  std::mutex mutex;
  std::condition_variable wake;
};

class ParEngine final : public detail::Engine {
 public:
  ParEngine(const MachineConfig& config, RunResult& result)
      : cfg_(config), result_(result), fault_rng_(config.seed), start_(Clock::now()) {
    n_ = std::max<CpuId>(1, std::min<CpuId>(config.cpus, hal::kMaxCpus));
    cpus_ = std::make_unique<ParCpu[]>(n_);
    descriptors_.resize(n_);
    for (CpuId i = 0; i < n_; ++i) {
      cpus_[i].hot.id = i;
      descriptors_[i] = {detail::emulated_hw_id(i), true};
    }
    for (auto c : cfg_.faults.fail_start)
      if (c < n_) cpus_[c].state = ParState::kDead;
  }

  void run(BootMain boot, void* arg) {
    boot_ = boot;
    boot_arg_ = arg;
    ParCpu& c0 = cpus_[0];
    c0.engine_stack = detail::stack_allocate(cfg_.boot_stack_size);
    hal::context_init(c0.boot, c0.engine_stack, &ParEngine::boot_flow, this);
    launch(c0);
    monitor();
    stopping_.store(true);
    for (CpuId i = 0; i < n_; ++i) {
      {
        std::lock_guard g(cpus_[i].mutex);
        cpus_[i].wake.notify_all();
      }
    }
    {
      // Threads that started others are joined in order; started_mutex_ guards the launch list.
      std::lock_guard g(start_mutex_);
      joining_ = true;
    }
    for (CpuId i = 0; i < n_; ++i)
      if (cpus_[i].thread.joinable()) cpus_[i].thread.join();
    for (CpuId i = 0; i < n_; ++i) detail::context_destroy(cpus_[i].boot);
    detail::stack_release(c0.engine_stack);
    finish_result();
  }

  // --- hot paths called through the inline HAL ---------------------------------------------

  void relax_point() noexcept {
    ParCpu& me = self();
    if (stopping_.load(std::memory_order_relaxed)) leave_flow(me);
    poll_timer(me);
    if (me.hot.irq_enabled && me.hot.pending.load(std::memory_order_relaxed) != 0) deliver();
  }

  void deliver() noexcept {
    for (;;) {
      ParCpu& me = self();
      if (!me.hot.irq_enabled) return;
      const std::uint32_t p = me.hot.pending.load(std::memory_order_acquire);
      if (p == 0) return;
      const Vector v = static_cast<Vector>(31 - __builtin_clz(p));
      me.hot.pending.fetch_and(~(1u << v), std::memory_order_acq_rel);
      me.hot.irq_enabled = false;
      hal::interrupt_entry(v);
      self().hot.irq_enabled = true;
    }
  }

  Cycles now() const noexcept {
    return static_cast<Cycles>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count());
  }

  // --- Engine -----------------------------------------------------------------------------

  std::span<const hal::CpuDescriptor> cpus() const noexcept override { return descriptors_; }

  void wait_for_interrupt() noexcept override {
    ParCpu& me = self();
    poll_timer(me);
    {
      std::unique_lock lock(me.mutex);
      me.state.store(ParState::kWaiting);
      while (me.hot.pending.load(std::memory_order_acquire) == 0 && !stopping_.load()) {
        const Cycles deadline = me.timer_deadline.load(std::memory_order_relaxed);
        if (deadline != 0) {
          const Cycles t = now();
          if (t >= deadline) break;
          me.wake.wait_for(lock, std::chrono::nanoseconds(deadline - t));
        } else {
          me.wake.wait_for(lock, std::chrono::milliseconds(20));
        }
      }
      me.state.store(ParState::kRunnable);
    }
    relax_point();
  }

  [[noreturn]] void halt() noexcept override {
    ParCpu& me = self();
    me.state.store(ParState::kHalted);
    me.hot.irq_enabled = false;
    leave_flow(me);
  }

  void send_ipi(CpuId target, Vector v) noexcept override {
    raise(target, v);
    relax_point();
  }

  hal::StartResult start_cpu(CpuId cpu, hal::CpuEntry entry, std::span<std::byte> stack) noexcept override {
    if (cpu >= n_) return hal::StartResult::kNoSuchCpu;
    ParCpu& v = cpus_[cpu];
    if (v.state.load() == ParState::kDead) return hal::StartResult::kStarted;  // Never arrives.
    if (v.state.load() != ParState::kOff) return hal::StartResult::kAlreadyStarted;
    v.entry = entry;
    hal::context_init(v.boot, stack, &ParEngine::cpu_flow, &v);
    std::lock_guard g(start_mutex_);
    if (joining_) return hal::StartResult::kRefused;
    launch(v);
    return hal::StartResult::kStarted;
  }

  void timer_set(Cycles deadline, Cycles period) noexcept override {
    ParCpu& me = self();
    me.timer_period = period;
    me.timer_deadline.store(deadline, std::memory_order_relaxed);
  }

  void test_focus(bool) noexcept override {}  // Host threads explore no schedules.

  void console_write(const char* text, std::size_t len) noexcept override {
    std::lock_guard g(console_mutex_);
    detail::capture_console(result_, cfg_.echo_console, text, len);
  }

 private:
  ParCpu& self() noexcept { return cpus_[detail::tl_cpu->id]; }

  void launch(ParCpu& v) {
    v.state.store(ParState::kRunnable);
    ++live_;
    v.thread = std::thread([this, &v] {
      detail::tl_engine = this;
      detail::tl_det = false;
      detail::tl_cpu = &v.hot;
      detail::context_adopt_current(v.thread_main);
      v.hot.running = &v.thread_main;
      hal::context_switch(v.thread_main, v.boot);
      detail::tl_cpu = nullptr;
      detail::tl_engine = nullptr;
      if (--live_ == 0) notify_monitor();
    });
  }

  static void boot_flow(void* self_ptr) {
    auto* self = static_cast<ParEngine*>(self_ptr);
    self->boot_(self->boot_arg_);
    self->finished_.store(true);
    self->notify_monitor();
    self->halt();
  }

  static void cpu_flow(void* vcpu_ptr) {
    auto* v = static_cast<ParCpu*>(vcpu_ptr);
    v->entry(v->hot.id);
    hal::halt();
  }

  /// Abandons the running flow (a machine that stops, or a halted vCPU) for the thread's own.
  [[noreturn]] void leave_flow(ParCpu& me) noexcept {
    hal::context_switch(*me.hot.running, me.thread_main);
    std::abort();
  }

  void poll_timer(ParCpu& me) noexcept {
    const Cycles deadline = me.timer_deadline.load(std::memory_order_relaxed);
    if (deadline == 0 || now() < deadline) return;
    me.timer_deadline.store(me.timer_period != 0 ? now() + me.timer_period : 0, std::memory_order_relaxed);
    me.hot.pending.fetch_or(1u << hal::kTimerVector, std::memory_order_release);
  }

  void raise(CpuId target, Vector v) noexcept {
    if (target >= n_) return;
    ParCpu& t = cpus_[target];
    const ParState s = t.state.load();
    if (s == ParState::kOff || s == ParState::kHalted || s == ParState::kDead) return;
    if (cfg_.faults.lose_ipi_ppm != 0) {
      std::lock_guard g(fault_mutex_);
      if (fault_rng_.chance(cfg_.faults.lose_ipi_ppm)) {
        ++result_.ipis_lost;
        return;
      }
    }
    t.hot.pending.fetch_or(1u << v, std::memory_order_release);
    std::lock_guard g(t.mutex);
    t.wake.notify_one();
  }

  void notify_monitor() {
    std::lock_guard g(monitor_mutex_);
    monitor_cv_.notify_all();
  }

  /// Waits for the end: boot main returned, a deadlock (confirmed twice), or the time limit.
  void monitor() {
    const auto limit = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg_.max_seconds));
    int quiet_checks = 0;
    std::unique_lock lock(monitor_mutex_);
    for (;;) {
      if (finished_.load()) {
        status_ = RunStatus::kFinished;
        return;
      }
      if (Clock::now() >= limit) {
        status_ = RunStatus::kTimeLimit;
        return;
      }
      quiet_checks = all_stuck() ? quiet_checks + 1 : 0;
      if (quiet_checks >= 3) {
        status_ = live_.load() == 0 ? RunStatus::kFinished : RunStatus::kDeadlock;
        return;
      }
      monitor_cv_.wait_for(lock, std::chrono::milliseconds(10));
    }
  }

  bool all_stuck() noexcept {
    for (CpuId i = 0; i < n_; ++i) {
      const ParCpu& c = cpus_[i];
      const ParState s = c.state.load();
      if (s == ParState::kRunnable) return false;
      if (s == ParState::kWaiting &&
          (c.hot.pending.load() != 0 || c.timer_deadline.load(std::memory_order_relaxed) != 0))
        return false;
    }
    return true;
  }

  void finish_result() {
    result_.status = status_;
    result_.cpus.resize(n_);
    result_.max_cycles = now();
    std::string text = fmt::format("{} (parallel engine, {} vCPUs)\n", to_string(status_), n_);
    for (CpuId i = 0; i < n_ && i < 64; ++i) {
      CpuReport& r = result_.cpus[i];
      r.state = detail::vcpu_state_name(cpus_[i].state.load());
      r.irq_enabled = cpus_[i].hot.irq_enabled;
      r.pending = cpus_[i].hot.pending.load();
      text += fmt::format("  cpu {:>4}: {:<24} irq {} pending {:#x}\n", i, r.state, r.irq_enabled ? "on " : "off", r.pending);
    }
    result_.report = std::move(text);
  }

  MachineConfig cfg_;
  RunResult& result_;
  Prng fault_rng_;
  std::mutex fault_mutex_;
  Clock::time_point start_;
  CpuId n_ = 0;
  std::unique_ptr<ParCpu[]> cpus_;
  std::vector<hal::CpuDescriptor> descriptors_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> live_{0};
  std::mutex start_mutex_;
  bool joining_ = false;
  std::mutex console_mutex_;
  std::mutex monitor_mutex_;
  std::condition_variable monitor_cv_;
  RunStatus status_ = RunStatus::kFinished;
  BootMain boot_ = nullptr;
  void* boot_arg_ = nullptr;
};

ParEngine* par() noexcept { return static_cast<ParEngine*>(detail::tl_engine); }

}  // namespace

// Without an engine (HostCpuScope) there is nothing to poll and no interrupt to deliver.
namespace detail {
void par_relax() noexcept {
  if (ParEngine* e = par()) e->relax_point();
}
void par_deliver_pending() noexcept {
  if (ParEngine* e = par()) e->deliver();
}
Cycles par_cycles() noexcept {
  if (ParEngine* e = par()) return e->now();
  return static_cast<Cycles>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}
}  // namespace detail

RunResult run_parallel(const MachineConfig& config, BootMain boot, void* arg) {
  RunResult result;
  ParEngine engine(config, result);
  engine.run(boot, arg);
  return result;
}

}  // namespace lockstep::emu
