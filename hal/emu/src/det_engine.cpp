// The deterministic engine: every vCPU is a fiber on one host thread; at every scheduling
// point (atomic operation, HAL call, spin) a seeded strategy decides which vCPU runs next.
// Time is virtual: each vCPU's clock advances by the cost model, never by host time.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <lockstep/emu/debug_hook.hpp>
#include <lockstep/emu/machine.hpp>
#include <lockstep/emu/pct.hpp>
#include <lockstep/emu/pos.hpp>
#include <lockstep/emu/prng.hpp>
#include <lockstep/hal/hal.hpp>
#include <memory>
#include <vector>

#include "engine.hpp"
#include "fiber.hpp"
#include "spin_watch.hpp"
#include "store_buffer.hpp"
#include "weak_memory.hpp"

namespace lockstep::emu {
namespace {

using detail::CpuHot;
using hal::CpuId;
using hal::Cycles;
using hal::Vector;

constexpr std::uint64_t kHashPrime = 0x100000001b3ULL;

using CpuState = detail::VcpuState;

/// What a scheduling point is about to do. An atomic write reports itself if it changed memory
/// (det_memory_changed); a signal (IPI) releases its target if it waits; spins are not
/// progress (spin_wait.hpp).
enum class Point : std::uint8_t { kRead, kWrite, kSignal, kSpin, kOther };

struct Delivery {
  Cycles at;
  Vector vector;
};

struct VCpu {
  CpuHot hot;
  CpuState state = CpuState::kOff;
  bool in_wfi = false;
  hal::Context boot;
  std::span<std::byte> engine_stack;  // Only the boot CPU's: the others run on the caller's.
  hal::CpuEntry entry = nullptr;
  std::vector<Delivery> future;
  Cycles timer_deadline = 0;
  Cycles timer_period = 0;
  const char* last_op = "start";
  std::uint64_t steps = 0;
  std::uint32_t runnable_pos = 0;
  detail::StoreBuffer buffer;  // The tso memory model's stores not yet in memory.
};

class DetEngine final : public detail::Engine {
 public:
  DetEngine(const MachineConfig& config, RunResult& result)
      : cfg_(config),
        result_(result),
        sched_rng_(config.seed),
        fault_rng_(config.seed ^ 0x5eed'fa17'0000'0001ULL),
        memory_rng_(config.seed ^ 0x5eed'0000'7500'0001ULL) {
    tso_ = config.memory_model == MemoryModel::kTso;
    n_ = std::max<CpuId>(1, std::min<CpuId>(config.cpus, hal::kMaxCpus));
    if (config.memory_model == MemoryModel::kArm || config.races)
      views_ = std::make_unique<detail::WeakMemory>(config.memory_model, n_);
    cpus_ = std::make_unique<VCpu[]>(n_);
    descriptors_.resize(n_);
    for (CpuId i = 0; i < n_; ++i) {
      cpus_[i].hot.id = i;
      descriptors_[i] = {detail::emulated_hw_id(i), true};
    }
    runnable_.reserve(n_);
    for (auto c : cfg_.faults.fail_start)
      if (c < n_) cpus_[c].state = CpuState::kDead;
    // Timed interrupts (injections, unplug faults) wait in the target's delivery list.
    for (const auto& u : cfg_.faults.unplug)
      if (u.cpu < n_) cpus_[u.cpu].future.push_back({u.at, cfg_.faults.unplug_vector});
    for (const auto& in : cfg_.injections)
      if (in.cpu < n_ && in.vector < hal::kVectorCount) cpus_[in.cpu].future.push_back({in.at, in.vector});
    if (cfg_.strategy == Strategy::kPct) pct_ = Pct(n_, cfg_.pct_depth, cfg_.pct_horizon, sched_rng_);
    if (cfg_.strategy == Strategy::kPos) pos_ = Pos(n_);
    spin_rule_ = cfg_.strategy == Strategy::kPct || cfg_.strategy == Strategy::kPos;
    if (spin_rule_) watch_ = detail::SpinWatch(n_);
    if (cfg_.strategy == Strategy::kPos) watch_.report_to(&pos_);  // POS indexes the waiting CPUs.
    arm_step_check();
  }

  ~DetEngine() {
    for (CpuId i = 0; i < n_; ++i) detail::context_destroy(cpus_[i].boot);
    detail::stack_release(cpus_[0].engine_stack);
  }

  void run(BootMain boot, void* arg) {
    boot_ = boot;
    boot_arg_ = arg;
    auto* saved_engine = detail::tl_engine;
    auto* saved_cpu = detail::tl_cpu;
    const bool saved_det = detail::tl_det;
    const bool saved_watch = detail::tl_watch_changes;
    const bool saved_tso = detail::tl_tso;
    const bool saved_views = detail::tl_views;
    const bool saved_races = detail::tl_races;

    VCpu& c0 = cpus_[0];
    c0.engine_stack = detail::stack_allocate(cfg_.boot_stack_size);
    hal::context_init(c0.boot, c0.engine_stack, &DetEngine::boot_flow, this);
    c0.hot.running = &c0.boot;
    c0.state = CpuState::kRunnable;
    add_runnable(0);
    log(EngineEvent::kStart, 0, 0);

    detail::context_adopt_current(main_);
    detail::tl_engine = this;
    detail::tl_det = true;
    detail::tl_watch_changes = spin_rule_;
    detail::tl_tso = tso_;
    detail::tl_views = views_ != nullptr;
    detail::tl_races = views_ != nullptr && cfg_.races;
    detail::tl_cpu = &c0.hot;
    current_ = 0;
    hal::context_switch(main_, c0.boot);
    // Back here only through stop().
    detail::tl_engine = saved_engine;
    detail::tl_cpu = saved_cpu;
    detail::tl_det = saved_det;
    detail::tl_watch_changes = saved_watch;
    detail::tl_tso = saved_tso;
    detail::tl_views = saved_views;
    detail::tl_races = saved_races;
    finish_result();
  }

  // --- scheduling points -------------------------------------------------------------------

  /// The calling vCPU is about to perform `op` (on `location`, if it has one).
  void point(Cycles cost, const char* op, Point kind, const void* location = nullptr) noexcept {
    if (quiet_) return;
    VCpu& me = cpus_[current_];
    // tso: at each of its points a vCPU's oldest buffered store may reach memory (a seeded coin),
    // and at a spin it does: a core that only waits drains its buffer within cycles, and the
    // strategies pass over a waiting vCPU, which would otherwise keep its stores for ever.
    if (tso_ && !me.buffer.empty() && (kind == Point::kSpin || memory_rng_.below(2) == 0)) write_back_oldest(me);
    me.hot.cycles += cost;
    me.last_op = op;
    ++me.steps;
    if (++steps_ > step_check_) [[unlikely]]
      step_check(me);
    if (me.hot.cycles > cfg_.max_cycles) stop(RunStatus::kCycleLimit);
    const bool spinning = kind == Point::kSpin;
    if (spinning && views_) views_->spin(me.hot.id);
    if (!spinning) {
      ++progress_steps_;
      if (focus_counting_) ++focus_steps_;
    }
    if (spin_rule_) {
      if (spinning) {
        watch_.on_spin(me.hot.id);
      } else {
        watch_.wake(me.hot.id);  // Running again: whatever it waited on, it now looks again.
        if (location != nullptr && kind != Point::kSignal) watch_.on_read(me.hot.id, location);
      }
    }
    if (cfg_.strategy == Strategy::kPos)
      pos_.next_event(me.hot.id, location, kind == Point::kWrite || kind == Point::kSignal, sched_rng_);
    const CpuId next = pick(me, spinning);
    if (next != current_) switch_to(me, next);
    VCpu& now = cpus_[current_];
    if (now.in_wfi) fast_forward(now);
    deliver();
  }

  // --- the tso memory model ---------------------------------------------------------------

  void tso_store(void* location, const void* value, std::uint8_t size) noexcept {
    VCpu& me = cpus_[current_];
    if (me.buffer.full()) write_back_oldest(me);
    me.buffer.push(location, value, size);
  }
  bool tso_forward(const void* location, void* out, std::uint8_t size) const noexcept {
    return cpus_[current_].buffer.forward(location, out, size);
  }
  /// A barrier: every buffered store of `v` reaches memory, oldest first.
  void drain(VCpu& v) noexcept {
    while (!v.buffer.empty()) write_back_oldest(v);
  }
  void drain_current() noexcept { drain(cpus_[current_]); }
  void write_back_oldest(VCpu& v) noexcept {
    const detail::BufferedStore e = v.buffer.pop();
    std::uint64_t old = 0;
    std::memcpy(&old, e.location, e.size);
    if (views_) views_->publish_buffered(v.hot.id, e.location, e.size, old, e.bits);
    std::memcpy(e.location, &e.bits, e.size);
    if (old != e.bits) memory_changed(e.location);
  }

  // --- the views (weak_memory.hpp): the arm model and the race detector's clocks --------------

  static std::uint64_t memory_bits(const void* location, std::uint8_t size) noexcept {
    std::uint64_t bits = 0;
    std::memcpy(&bits, location, size);
    return bits;
  }
  /// The newest store reaches memory (every model keeps memory at the newest store in mo).
  void write_memory(void* location, std::uint64_t bits, std::uint8_t size, std::uint64_t old) noexcept {
    std::memcpy(location, &bits, size);
    if (bits != old) memory_changed(location);
  }

  std::uint64_t view_load(const void* location, std::uint8_t size, std::memory_order order) noexcept {
    std::uint64_t bits = 0;
    if (quiet_) return memory_bits(location, size);
    if (tso_ && cpus_[current_].buffer.forward(location, &bits, size)) return bits;
    return views_->load(current_, location, size, memory_bits(location, size), order, memory_rng_);
  }
  void view_store(void* location, std::uint64_t bits, std::uint8_t size, std::memory_order order) noexcept {
    if (tso_ && order != std::memory_order_seq_cst) {
      views_->issue_buffered(current_, order);
      tso_store(location, &bits, size);
      return;
    }
    if (tso_) drain_current();
    const std::uint64_t old = memory_bits(location, size);
    // Under arm a store placed before unseen ones leaves memory at the newest store.
    if (views_->store(current_, location, size, old, bits, order, memory_rng_)) write_memory(location, bits, size, old);
  }
  std::uint64_t view_rmw_read(void* location, std::uint8_t size) noexcept {
    return views_->rmw_read(current_, location, size, memory_bits(location, size));
  }
  /// The Atomic names the location again; the views keep which one was read (no point between).
  void view_rmw_write(void* location, std::uint8_t size, std::uint64_t bits, std::memory_order order) noexcept {
    const std::uint64_t old = memory_bits(location, size);
    views_->rmw_write(current_, bits, order);
    write_memory(location, bits, size, old);
  }
  void view_rmw_fail(std::memory_order order) noexcept { views_->rmw_fail(current_, order); }
  void view_forget(const void* location) noexcept {
    if (views_) views_->forget(location);
  }
  void fence(std::memory_order order) noexcept {
    point(cfg_.costs.atomic_op, "fence", Point::kOther);
    if (order == std::memory_order_seq_cst && tso_) drain_current();
    if (views_) views_->fence(current_, order);
  }

  /// A tracked plain access (hal::Tracked): the first race ends the run, naming both sides.
  void plain_access(const void* location, std::uint8_t size, bool write, const detail::AccessSite& site) noexcept {
    if (quiet_ || !views_ || !cfg_.races) return;
    detail::AccessRecord a;
    a.cpu = current_;
    a.write = write;
    a.step = steps_;
    a.site = site;
    if (cfg_.describe_access != nullptr) cfg_.describe_access(a.context);
    const auto race = views_->plain_access(a, location, size);
    if (!race) return;
    result_.race = detail::format_race(*race);
    stop(RunStatus::kDataRace);
  }

  /// The calling vCPU's atomic operation on `location` changed its value.
  void memory_changed(const void* location) noexcept {
    if (!spin_rule_) return;
    watch_.on_progress(current_);
    watch_.on_change(location);
  }

  void deliver() noexcept {
    for (;;) {
      VCpu& me = cpus_[current_];
      if (!me.hot.irq_enabled) return;
      collect_due(me);
      const std::uint32_t p = me.hot.pending.load(std::memory_order_relaxed);
      if (p == 0) return;
      const Vector v = static_cast<Vector>(31 - __builtin_clz(p));
      me.hot.pending.store(p & ~(1u << v), std::memory_order_relaxed);
      me.hot.irq_enabled = false;
      me.hot.cycles += cfg_.costs.irq_entry;
      log(EngineEvent::kIpiDeliver, me.hot.id, v);
      drain(me);  // Interrupt entry is serializing on x86.
      if (views_) views_->interrupt_entry(me.hot.id);  // The contract: acquire on delivery.
      hal::interrupt_entry(v);
      // The handler may have switched flows; the interrupted flow may now run on another CPU.
      cpus_[current_].hot.irq_enabled = true;
    }
  }

  // --- Engine -----------------------------------------------------------------------------

  std::span<const hal::CpuDescriptor> cpus() const noexcept override { return descriptors_; }

  void wait_for_interrupt() noexcept override {
    VCpu& me = cpus_[current_];
    drain(me);  // A waiting vCPU's stores reach memory (they would, in finite time).
    collect_due(me);
    if (!has_event(me)) {
      me.state = CpuState::kWaiting;
      remove_runnable(me);
      log(EngineEvent::kWait, me.hot.id, 0);
    }
    me.in_wfi = true;
    pos_.set_in_wfi(me.hot.id, true);
    // A waiting vCPU lets others run first (PCT would otherwise run it alone forever).
    point(cfg_.costs.wfi, "wait_for_interrupt", Point::kSpin, &me.hot.pending);
    cpus_[current_].in_wfi = false;
    pos_.set_in_wfi(current_, false);
  }

  /// Calls a hook of the machine's owner with scheduling points off: its atomic reads must not
  /// switch vCPUs (from halt(), the halted vCPU would never get back to act on the answer).
  bool quietly(bool (*hook)()) noexcept {
    quiet_ = true;
    const bool answer = hook();
    quiet_ = false;
    return answer;
  }

  [[noreturn]] void halt() noexcept override {
    VCpu& me = cpus_[current_];
    drain(me);
    me.state = CpuState::kHalted;
    remove_runnable(me);
    me.hot.irq_enabled = false;
    log(EngineEvent::kHalt, me.hot.id, 0);
    if (cfg_.stop_on_halt != nullptr && quietly(cfg_.stop_on_halt)) stop(RunStatus::kHaltStop);
    point(cfg_.costs.hal_call, "halt", Point::kOther);
    std::abort();  // A halted vCPU is never picked again.
  }

  void send_ipi(CpuId target, Vector v) noexcept override {
    point(cfg_.costs.ipi_send, "send_ipi", Point::kSignal, target < n_ ? &cpus_[target].hot.pending : nullptr);
    drain_current();  // The contract: release on send (the handler sees what was stored before).
    if (views_) views_->send_ipi(current_, target);
    raise(target, v);
    if (spin_rule_ && target < n_) watch_.wake(target);
  }

  hal::StartResult start_cpu(CpuId cpu, hal::CpuEntry entry, std::span<std::byte> stack) noexcept override {
    point(cfg_.costs.hal_call, "start_cpu", Point::kSignal, cpu < n_ ? &cpus_[cpu].hot.pending : nullptr);
    drain_current();  // The started CPU sees what was stored before (an INIT-SIPI or CPU_ON does).
    if (cpu >= n_) return hal::StartResult::kNoSuchCpu;
    if (views_) views_->start_cpu(current_, cpu);
    VCpu& v = cpus_[cpu];
    if (v.state == CpuState::kDead) {
      log(EngineEvent::kFault, cpu, 0);
      return hal::StartResult::kStarted;  // Accepted, never arrives: like an AP that stays dark.
    }
    if (v.state != CpuState::kOff) return hal::StartResult::kAlreadyStarted;
    v.entry = entry;
    hal::context_init(v.boot, stack, &DetEngine::cpu_flow, &v);
    v.hot.running = &v.boot;
    v.hot.cycles = cpus_[current_].hot.cycles + cfg_.costs.cpu_start;
    v.state = CpuState::kRunnable;
    add_runnable(cpu);
    log(EngineEvent::kStart, cpu, 0);
    return hal::StartResult::kStarted;
  }

  void timer_set(Cycles deadline, Cycles period) noexcept override {
    VCpu& me = cpus_[current_];
    me.timer_deadline = deadline;
    me.timer_period = period;
    point(cfg_.costs.hal_call, "timer_set", Point::kOther);
  }

  void console_write(const char* text, std::size_t len) noexcept override {
    point(cfg_.costs.hal_call, "console_write", Point::kOther);
    detail::capture_console(result_, cfg_.echo_console, text, len);
  }

  void test_focus(bool on) noexcept override {
    focus_counting_ = on;
    if (!on) return;
    focus_steps_ = 0;
    if (cfg_.strategy == Strategy::kPct) pct_.restart(sched_rng_);
  }

  const CostModel& costs() const noexcept { return cfg_.costs; }

  /// Stops for the debugger (emu/debug_hook.hpp) with the machine as it is now.
  [[gnu::noinline]] void debug_stop(std::uint32_t reason, const char* failure) noexcept {
    debug_vcpus_.resize(n_);
    for (CpuId i = 0; i < n_; ++i) {
      const VCpu& v = cpus_[i];
      lockstep_debug_vcpu& d = debug_vcpus_[i];
      d = {};
      d.id = i;
      d.state = static_cast<std::uint8_t>(v.state);
      d.irq_enabled = v.hot.irq_enabled ? 1 : 0;
      d.in_wfi = v.in_wfi ? 1 : 0;
      d.pending = v.hot.pending.load(std::memory_order_relaxed);
      d.cycles = v.hot.cycles;
      d.steps = v.steps;
      d.state_name = detail::vcpu_state_name(v.state);
      d.last_op = v.last_op;
      d.percpu = v.hot.percpu;
      d.fctx = v.hot.running != nullptr ? v.hot.running->fctx : nullptr;
    }
    lockstep_debug = {steps_, reason, n_, current_, 0, failure, debug_vcpus_.data()};
    lockstep_debug_stop();
    arm_step_check();  // The debugger may have moved the stop.
    lockstep_debug.reason = LOCKSTEP_DEBUG_NONE;
  }

  bool debug_on_failure() const noexcept { return lockstep_debug_stop_on_failure != 0; }

 private:
  /// The one compare a point makes on its count serves both the step limit and the debugger's
  /// stop: step_check_ is the lower of the two (less one for the stop). The debugger writes
  /// lockstep_debug_stop_at before the run starts and while stopped in lockstep_debug_stop(),
  /// after which it is read again.
  void arm_step_check() noexcept {
    const std::uint64_t stop = lockstep_debug_stop_at;
    step_check_ = stop > steps_ && stop - 1 < cfg_.max_steps ? stop - 1 : cfg_.max_steps;
  }

  [[gnu::noinline]] void step_check(const VCpu& me) noexcept {
    if (steps_ == lockstep_debug_stop_at) debug_point(me);
    if (steps_ > cfg_.max_steps) stop(RunStatus::kStepLimit);
    arm_step_check();
  }

  /// steps_ reached lockstep_debug_stop_at: stop, unless a filter wants a later point.
  [[gnu::noinline, gnu::cold]] void debug_point(const VCpu& me) noexcept {
    const bool cpu_ok = lockstep_debug_stop_cpu == kDebugAnyCpu || lockstep_debug_stop_cpu == me.hot.id;
    // The probe sees every point while it watches, so it must be asked even when the CPU is not
    // the one to stop on.
    const bool event_ok = lockstep_debug_watch == 0 || (cfg_.debug_probe != nullptr && cfg_.debug_probe(me.hot.id));
    if (cpu_ok && event_ok) {
      debug_stop(LOCKSTEP_DEBUG_POINT, nullptr);
    } else {
      lockstep_debug_stop_at = steps_ + 1;
    }
  }

  static void boot_flow(void* self_ptr) {
    auto* self = static_cast<DetEngine*>(self_ptr);
    self->boot_(self->boot_arg_);
    self->stop(RunStatus::kFinished);
  }

  static void cpu_flow(void* vcpu_ptr) {
    auto* v = static_cast<VCpu*>(vcpu_ptr);
    v->entry(v->hot.id);
    hal::halt();
  }

  void raise(CpuId target, Vector v) noexcept {
    VCpu& me = cpus_[current_];
    if (target >= n_) return;
    VCpu& t = cpus_[target];
    if (t.state == CpuState::kOff || t.state == CpuState::kHalted || t.state == CpuState::kDead) return;
    const std::uint32_t packed = (target << 8) | v;
    if (fault_rng_.chance(cfg_.faults.lose_ipi_ppm)) {
      ++result_.ipis_lost;
      log(EngineEvent::kFault, me.hot.id, packed);
      return;
    }
    Cycles at = me.hot.cycles + cfg_.costs.ipi_latency;
    if (fault_rng_.chance(cfg_.faults.delay_ipi_ppm)) {
      at += cfg_.faults.delay_ipi_cycles;
      ++result_.ipis_delayed;
    }
    t.future.push_back({at, v});
    if (fault_rng_.chance(cfg_.faults.duplicate_ipi_ppm)) {
      // Far enough behind the original that the two do not merge in the pending mask.
      t.future.push_back({at + 2 * cfg_.costs.ipi_latency + cfg_.costs.irq_entry, v});
      ++result_.ipis_duplicated;
    }
    log(EngineEvent::kIpiSend, me.hot.id, packed);
    wake(t);
  }

  void wake(VCpu& t) noexcept {
    if (t.state == CpuState::kWaiting) {
      t.state = CpuState::kRunnable;
      add_runnable(t.hot.id);
    }
  }

  bool has_event(const VCpu& v) const noexcept {
    return v.hot.pending.load(std::memory_order_relaxed) != 0 || !v.future.empty() || v.timer_deadline != 0;
  }

  /// A waiting vCPU has nothing to do until its next event: its clock jumps there.
  void fast_forward(VCpu& v) noexcept {
    if (v.hot.pending.load(std::memory_order_relaxed) != 0) return;
    Cycles next = ~Cycles{0};
    for (const auto& d : v.future) next = std::min(next, d.at);
    if (v.timer_deadline != 0) next = std::min(next, v.timer_deadline);
    if (next != ~Cycles{0} && next > v.hot.cycles) v.hot.cycles = next;
    collect_due(v);
  }

  /// Moves everything due by the vCPU's clock into its pending mask.
  void collect_due(VCpu& v) noexcept {
    std::uint32_t bits = 0;
    if (v.timer_deadline != 0 && v.hot.cycles >= v.timer_deadline) {
      bits |= 1u << hal::kTimerVector;
      log(EngineEvent::kTimerFire, v.hot.id, hal::kTimerVector);
      if (v.timer_period != 0) {
        const Cycles missed = (v.hot.cycles - v.timer_deadline) / v.timer_period;
        v.timer_deadline += (missed + 1) * v.timer_period;
      } else {
        v.timer_deadline = 0;
      }
    }
    if (!v.future.empty()) {
      auto due = [&](const Delivery& d) { return d.at <= v.hot.cycles; };
      for (const auto& d : v.future)
        if (due(d)) bits |= 1u << d.vector;
      std::erase_if(v.future, due);
    }
    if (bits) v.hot.pending.store(v.hot.pending.load(std::memory_order_relaxed) | bits, std::memory_order_relaxed);
  }

  // --- strategies ---------------------------------------------------------------------------

  CpuId pick(VCpu& me, bool spinning) noexcept {
    if (runnable_.empty()) stop(all_halted() ? RunStatus::kFinished : RunStatus::kDeadlock);
    const CpuId chosen = strategy_pick(me, spinning);
    const bool could_go_on = me.state == CpuState::kRunnable && !spinning;
    if (chosen != me.hot.id && could_go_on) ++preemptions_;
    if (cfg_.record_decisions && chosen != default_next(me, spinning))
      result_.decisions.push_back({steps_, chosen, could_go_on, me.hot.id, me.hot.cycles});
    return chosen;
  }

  /// spin_wait.hpp: a vCPU that spun and has seen no change of what it watches since. One
  /// waiting for an interrupt that is due by the running vCPU's clock (its timer) is not.
  struct Waiting {
    const DetEngine* engine;
    bool operator()(CpuId c) const noexcept {
      if (!engine->watch_.waiting(c)) return false;
      const VCpu& v = engine->cpus_[c];
      return !(v.in_wfi && engine->event_due(v, engine->cpus_[engine->current_].hot.cycles));
    }
  };

  bool event_due(const VCpu& v, Cycles now) const noexcept {
    if (v.hot.pending.load(std::memory_order_relaxed) != 0) return true;
    if (v.timer_deadline != 0 && v.timer_deadline <= now) return true;
    for (const auto& d : v.future)
      if (d.at <= now) return true;
    return false;
  }
  Waiting waiting() const noexcept { return {this}; }

  CpuId strategy_pick(VCpu& me, bool spinning) noexcept {
    switch (cfg_.strategy) {
      case Strategy::kRandom:
        return runnable_[sched_rng_.below(runnable_.size())];
      case Strategy::kRoundRobin: {
        if (me.state == CpuState::kRunnable && !spinning && ++quantum_used_ < cfg_.rr_quantum) return me.hot.id;
        quantum_used_ = 0;
        return next_runnable_after(me.hot.id);
      }
      case Strategy::kPct:
        if (!spinning && focus_counting_) pct_.on_progress(me.hot.id);
        return pct_.pick(runnable_, waiting(), me.hot.id);
      case Strategy::kPos:
        return pos_.pick(runnable_, waiting(), me.hot.id, sched_rng_);
      case Strategy::kSchedule:
        return scheduled_next(me, spinning);
    }
    return me.hot.id;
  }


  /// The default schedule (Decision): the current vCPU goes on unless it spins or cannot.
  CpuId default_next(VCpu& me, bool spinning) const noexcept {
    if (me.state == CpuState::kRunnable && !spinning) return me.hot.id;
    return next_runnable_after(me.hot.id);
  }

  CpuId next_runnable_after(CpuId id) const noexcept {
    for (CpuId k = 1, c = id; k <= n_; ++k) {
      c = c + 1 == n_ ? 0 : c + 1;  // No division on this hot path.
      if (cpus_[c].state == CpuState::kRunnable) return c;
    }
    return id;
  }

  /// Strategy::kSchedule: the listed decision for this step if its vCPU can run, else the default.
  CpuId scheduled_next(VCpu& me, bool spinning) noexcept {
    const auto& list = cfg_.schedule;
    while (schedule_next_ < list.size() && list[schedule_next_].step < steps_) ++schedule_next_;
    if (schedule_next_ < list.size() && list[schedule_next_].step == steps_) {
      const CpuId c = list[schedule_next_++].cpu;
      if (c < n_ && cpus_[c].state == CpuState::kRunnable) return c;
    }
    return default_next(me, spinning);
  }

  bool all_halted() const noexcept {
    for (CpuId i = 0; i < n_; ++i)
      if (cpus_[i].state == CpuState::kWaiting) return false;
    return true;
  }

  void add_runnable(CpuId c) noexcept {
    cpus_[c].runnable_pos = static_cast<std::uint32_t>(runnable_.size());
    runnable_.push_back(c);
    pos_.enter(c);  // POS mirrors the runnable list (nothing under the other strategies).
  }

  void remove_runnable(VCpu& v) noexcept {
    const std::uint32_t pos = v.runnable_pos;
    if (pos >= runnable_.size() || runnable_[pos] != v.hot.id) return;
    const CpuId last = runnable_.back();
    runnable_[pos] = last;
    cpus_[last].runnable_pos = pos;
    runnable_.pop_back();
    pos_.leave(v.hot.id);
  }

  void switch_to(VCpu& from, CpuId next) noexcept {
    log(EngineEvent::kSwitch, from.hot.id, next);
    current_ = next;
    detail::tl_cpu = &cpus_[next].hot;
    hal::context_switch(*from.hot.running, *cpus_[next].hot.running);
  }

  [[noreturn]] void stop(RunStatus status) noexcept {
    status_ = status;
    // A panic (kHaltStop) was reported through debug_failure() by the driver's stop_on_halt.
    if (status != RunStatus::kFinished && status != RunStatus::kHaltStop && debug_on_failure()) [[unlikely]]
      debug_stop(LOCKSTEP_DEBUG_FAILURE, to_string(status).data());
    VCpu& me = cpus_[current_];
    hal::context_switch(*me.hot.running, main_);
    std::abort();  // main_ never switches back.
  }

  void log(EngineEvent::Kind kind, CpuId cpu, std::uint32_t arg) noexcept {
    const Cycles cycles = cpus_[cpu].hot.cycles;
    hash_ = (hash_ ^ (static_cast<std::uint64_t>(kind) << 56 ^ static_cast<std::uint64_t>(cpu) << 32 ^ arg)) * kHashPrime;
    hash_ = (hash_ ^ cycles ^ (steps_ << 20)) * kHashPrime;
    if (cfg_.record_events) {
      EngineEvent e{};
      e.step = steps_;
      e.cycles = cycles;
      e.cpu = cpu;
      e.arg = arg;
      e.kind = kind;
      result_.events.push_back(e);
    }
  }

  void finish_result() {
    result_.status = status_;
    result_.steps = steps_;
    result_.progress_steps = progress_steps_;
    result_.focus_steps = focus_steps_;
    result_.preemptions = preemptions_;
    result_.event_hash = hash_;
    result_.cpus.resize(n_);
    std::string text = fmt::format("{} after {} scheduling points ({}, seed {})\n", to_string(status_), steps_,
                                   to_string(cfg_.strategy), cfg_.seed);
    constexpr CpuId kReportLines = 64;
    for (CpuId i = 0; i < n_; ++i) {
      const VCpu& v = cpus_[i];
      CpuReport& r = result_.cpus[i];
      r.state = (i == current_ && v.state == CpuState::kRunnable) ? "running (stopped here)"
                                                                  : detail::vcpu_state_name(v.state);
      r.cycles = v.hot.cycles;
      r.steps = v.steps;
      r.last_op = v.last_op;
      r.irq_enabled = v.hot.irq_enabled;
      r.pending = v.hot.pending.load(std::memory_order_relaxed);
      result_.max_cycles = std::max(result_.max_cycles, v.hot.cycles);
      if (i < kReportLines)
        text += fmt::format("  cpu {:>4}: {:<24} cycles {:>12} steps {:>10} irq {} pending {:#x} last {}\n", i, r.state,
                            r.cycles, r.steps, r.irq_enabled ? "on " : "off", r.pending, r.last_op);
    }
    if (n_ > kReportLines) text += fmt::format("  ... {} more vCPUs\n", n_ - kReportLines);
    result_.report = std::move(text);
  }

  MachineConfig cfg_;
  RunResult& result_;
  Prng sched_rng_;
  Prng fault_rng_;
  Prng memory_rng_;  // The tso model's drains, the arm model's reads: apart, so the schedule's draws stay.
  bool tso_ = false;
  std::unique_ptr<detail::WeakMemory> views_;  ///< The arm model or the race detector; else null.
  CpuId n_ = 0;
  std::unique_ptr<VCpu[]> cpus_;
  std::vector<hal::CpuDescriptor> descriptors_;
  std::vector<CpuId> runnable_;
  Pct pct_;
  Pos pos_;
  std::size_t schedule_next_ = 0;
  bool spin_rule_ = false;  ///< The strategy passes over waiting vCPUs (PCT, POS).
  detail::SpinWatch watch_;
  std::uint64_t progress_steps_ = 0;
  bool quiet_ = false;  ///< No scheduling points (quietly()).
  bool focus_counting_ = true;  ///< Inside the test's focus (hal/search.hpp); the whole run until one begins.
  std::uint64_t focus_steps_ = 0;
  std::uint64_t preemptions_ = 0;
  std::uint32_t quantum_used_ = 0;
  CpuId current_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t step_check_ = 0;  ///< Points beyond this take step_check() (arm_step_check).
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  RunStatus status_ = RunStatus::kFinished;
  hal::Context main_;
  BootMain boot_ = nullptr;
  void* boot_arg_ = nullptr;
  std::vector<lockstep_debug_vcpu> debug_vcpus_;  ///< What lockstep_debug.vcpus points to.
};

DetEngine& det() noexcept { return *static_cast<DetEngine*>(detail::tl_engine); }

}  // namespace

void debug_failure(const char* reason) noexcept {
  if (!detail::tl_det || lockstep_debug_stop_on_failure == 0) return;
  det().debug_stop(LOCKSTEP_DEBUG_FAILURE, reason);
}

namespace detail {
// The two hottest entries: flattened, so a point is one call from the inline HAL, not three.
[[gnu::flatten]] void det_atomic_point(const void* location, Access access) noexcept {
  DetEngine& e = det();
  e.point(e.costs().atomic_op, "atomic", access == Access::kWrite ? Point::kWrite : Point::kRead, location);
}
void det_memory_changed(const void* location) noexcept { det().memory_changed(location); }
void det_tso_store(void* location, const void* value, std::uint8_t size) noexcept {
  det().tso_store(location, value, size);
}
bool det_tso_forward(const void* location, void* out, std::uint8_t size) noexcept {
  return det().tso_forward(location, out, size);
}
void det_tso_drain() noexcept { det().drain_current(); }
void det_fence(std::memory_order order) noexcept { det().fence(order); }
std::uint64_t det_view_load(const void* location, std::uint8_t size, std::memory_order order) noexcept {
  return det().view_load(location, size, order);
}
void det_view_store(void* location, std::uint64_t bits, std::uint8_t size, std::memory_order order) noexcept {
  det().view_store(location, bits, size, order);
}
std::uint64_t det_view_rmw_read(void* location, std::uint8_t size) noexcept {
  return det().view_rmw_read(location, size);
}
void det_view_rmw_write(void* location, std::uint8_t size, std::uint64_t bits, std::memory_order order) noexcept {
  det().view_rmw_write(location, size, bits, order);
}
void det_view_rmw_fail(std::memory_order order) noexcept { det().view_rmw_fail(order); }
void det_view_forget(const void* location) noexcept { det().view_forget(location); }
void det_plain_access(const void* location, std::uint8_t size, bool write, const char* file, unsigned line,
                      const char* function) noexcept {
  det().plain_access(location, size, write, {file, line, function});
}
[[gnu::flatten]] void det_relax() noexcept {
  DetEngine& e = det();
  e.point(e.costs().relax, "relax", Point::kSpin);
}
void det_irq_enabled() noexcept {
  DetEngine& e = det();
  e.point(e.costs().hal_call, "irq_enable", Point::kOther);
}
}  // namespace detail

RunResult run_deterministic(const MachineConfig& config, BootMain boot, void* arg) {
  RunResult result;
  DetEngine engine(config, result);
  engine.run(boot, arg);
  return result;
}

std::size_t det_bytes_per_idle_cpu(const MachineConfig& config) noexcept {
  return sizeof(VCpu) + sizeof(hal::CpuDescriptor) + sizeof(CpuId) + config.boot_stack_size;
}

}  // namespace lockstep::emu
