// The Unicorn machine under a debugger. The machine runs exactly as in an ordinary run (the same
// slices, counted by the same block hook); a code hook adds the stops. Reverse execution is
// re-execution: a fresh machine runs the seed again to the moment wanted.

#include <algorithm>
#include <cstring>
#include <lockstep/emu/unicorn/debugger.hpp>
#include <utility>

#include "machine_state.hpp"

namespace lockstep::emu::unicorn {
namespace {

constexpr uc_arm64_reg kCoreRegs[kCoreRegisters] = {
    UC_ARM64_REG_X0,  UC_ARM64_REG_X1,  UC_ARM64_REG_X2,  UC_ARM64_REG_X3,    UC_ARM64_REG_X4,  UC_ARM64_REG_X5,
    UC_ARM64_REG_X6,  UC_ARM64_REG_X7,  UC_ARM64_REG_X8,  UC_ARM64_REG_X9,    UC_ARM64_REG_X10, UC_ARM64_REG_X11,
    UC_ARM64_REG_X12, UC_ARM64_REG_X13, UC_ARM64_REG_X14, UC_ARM64_REG_X15,   UC_ARM64_REG_X16, UC_ARM64_REG_X17,
    UC_ARM64_REG_X18, UC_ARM64_REG_X19, UC_ARM64_REG_X20, UC_ARM64_REG_X21,   UC_ARM64_REG_X22, UC_ARM64_REG_X23,
    UC_ARM64_REG_X24, UC_ARM64_REG_X25, UC_ARM64_REG_X26, UC_ARM64_REG_X27,   UC_ARM64_REG_X28, UC_ARM64_REG_X29,
    UC_ARM64_REG_X30, UC_ARM64_REG_SP,  UC_ARM64_REG_PC,  UC_ARM64_REG_PSTATE};

// Between polls the machine runs this many slices (a few milliseconds at most).
constexpr std::uint64_t kSlicesPerPoll = 256;

}  // namespace

// --- The machine's side: the code hook -------------------------------------------------------

void Machine::on_code(Cpu& c, std::uint64_t addr) {
  // What the block hook asked for before this block: made here, before its first instruction.
  if (c.pending != BlockAction::kNone) {
    const BlockAction a = std::exchange(c.pending, BlockAction::kNone);
    if (a == BlockAction::kEnd) {
      uc_emu_stop(c.uc);
    } else {
      take_irq(c, addr);  // Writes PC: this instruction does not run now (nor count).
    }
    return;
  }
  if (debug_wants_stop(c, addr)) {
    debug_->stopped = true;
    debug_->cpu = c.id;
    uc_emu_stop(c.uc);
    return;
  }
  ++c.executed;
  ++executed_total_;
}

bool Machine::debug_wants_stop(Cpu& c, std::uint64_t addr) {
  DebugControl& d = *debug_;
  if (d.moment_cpu == c.id && d.moment_executed == c.executed) {
    d.why = StopKind::kStep;
    return true;
  }
  if (executed_total_ >= d.total_limit) {
    d.why = StopKind::kInterrupted;
    return true;
  }
  if (d.step_cpu == c.id && c.executed >= d.step_until) {
    d.why = StopKind::kStep;
    return true;
  }
  if (d.skip_cpu == c.id) {
    d.skip_cpu = DebugControl::kNone;
    return false;
  }
  if (!std::binary_search(d.breakpoints.begin(), d.breakpoints.end(), addr)) return false;
  if (d.record_hits) {
    d.hits.push_back({c.id, c.executed});
    return false;
  }
  d.why = StopKind::kBreakpoint;
  return true;
}

// --- The debugger --------------------------------------------------------------------------

Debugger::Debugger(const MachineConfig& config) : config_(config) { restart(); }

Debugger::~Debugger() = default;

bool Debugger::restart() {
  machine_.reset();
  result_ = std::make_unique<Result>();
  result_->schedule_hash = 0xcbf29ce484222325ULL;  // As run() starts it.
  control_ = std::make_unique<DebugControl>();
  control_->breakpoints = breakpoints_;
  machine_ = std::make_unique<Machine>(config_, *result_);
  machine_->attach(control_.get());
  if (!machine_->setup()) {
    error_ = result_->report;
    machine_.reset();
    return false;
  }
  return true;
}

std::string_view Debugger::cpu_state(std::uint32_t cpu) const {
  static constexpr std::string_view kStates[] = {"off", "runnable", "parked in wfi", "stopped (CPU_OFF)"};
  return kStates[static_cast<int>(machine_->cpus_.at(cpu).state)];
}

std::uint64_t Debugger::executed(std::uint32_t cpu) const { return machine_->cpus_.at(cpu).executed; }

bool Debugger::ended() const noexcept { return machine_ == nullptr || machine_->ended(); }

std::string Debugger::take_console() {
  // A re-execution prints the same console again: only what goes past the furthest point shown.
  std::string out = result_->console.substr(std::min(console_taken_, result_->console.size()));
  console_taken_ = result_->console.size();
  return out;
}

std::array<std::uint64_t, kCoreRegisters> Debugger::registers(std::uint32_t cpu) const {
  std::array<std::uint64_t, kCoreRegisters> values{};
  uc_engine* uc = machine_->cpus_.at(cpu).uc;
  for (std::size_t i = 0; i < kCoreRegisters; ++i) uc_reg_read(uc, kCoreRegs[i], &values[i]);
  values[kRegCpsr] &= 0xffffffffu;  // PSTATE is 32 bits wide (FACTS).
  return values;
}

bool Debugger::set_register(std::uint32_t cpu, std::size_t reg, std::uint64_t value) {
  if (reg >= kCoreRegisters || cpu >= config_.cpus) return false;
  return uc_reg_write(machine_->cpus_[cpu].uc, kCoreRegs[reg], &value) == UC_ERR_OK;
}

bool Debugger::read_memory(std::uint64_t addr, std::span<std::byte> out) const { return machine_->read(addr, out); }

bool Debugger::write_memory(std::uint64_t addr, std::span<const std::byte> bytes) {
  GuestRam& ram = machine_->ram_;
  if (addr < kRamBase || addr - kRamBase > ram.size() || ram.size() - (addr - kRamBase) < bytes.size()) return false;
  std::memcpy(ram.data() + (addr - kRamBase), bytes.data(), bytes.size());
  // Code may have changed: drop what the engines translated from those bytes.
  for (Cpu& c : machine_->cpus_) uc_ctl_remove_cache(c.uc, addr, addr + bytes.size());
  return true;
}

std::uint64_t Debugger::symbol(const std::string& name) const { return machine_->symbol(name); }

void Debugger::set_breakpoint(std::uint64_t addr, bool on) {
  auto at = std::lower_bound(breakpoints_.begin(), breakpoints_.end(), addr);
  const bool present = at != breakpoints_.end() && *at == addr;
  if (on && !present) breakpoints_.insert(at, addr);
  if (!on && present) breakpoints_.erase(at);
  control_->breakpoints = breakpoints_;
}

DebugStop Debugger::run(const StopPoll& poll) {
  DebugControl& d = *control_;
  d.stopped = false;
  for (std::uint64_t n = 1;; ++n) {
    if (!machine_->advance()) return {StopKind::kEnded, machine_->last_};
    if (d.stopped) return {d.why, d.cpu};
    if (n % kSlicesPerPoll == 0 && poll && poll()) return {StopKind::kInterrupted, machine_->last_};
  }
}

DebugStop Debugger::resume(const StopPoll& poll) {
  if (ended()) return {StopKind::kEnded, machine_ != nullptr ? machine_->last_ : 0};
  control_->skip_cpu = machine_->open_slice_ != nullptr ? machine_->open_slice_->id : DebugControl::kNone;
  return run(poll);
}

DebugStop Debugger::step(std::uint32_t cpu, const StopPoll& poll) {
  if (ended()) return resume(poll);
  control_->step_cpu = cpu;
  control_->step_until = executed(cpu) + 1;
  DebugStop s = resume(poll);
  control_->step_cpu = DebugControl::kNone;
  return s;
}

DebugStop Debugger::rerun_to(std::uint32_t cpu, std::uint64_t executed) {
  ++reexecutions_;
  if (!restart()) return {StopKind::kEnded, cpu};
  // Only the moment stops this run: the breakpoints it passes on the way are history.
  control_->breakpoints.clear();
  control_->moment_cpu = cpu;
  control_->moment_executed = executed;
  DebugStop s = run({});
  control_->moment_cpu = DebugControl::kNone;
  control_->breakpoints = breakpoints_;
  if (s.kind == StopKind::kStep && std::binary_search(breakpoints_.begin(), breakpoints_.end(), registers(cpu)[kRegPc]))
    s.kind = StopKind::kBreakpoint;
  return s;
}

DebugStop Debugger::reverse_step(std::uint32_t cpu) {
  const std::uint64_t done = machine_ != nullptr ? executed(cpu) : 0;
  if (done == 0) return {StopKind::kBeginning, cpu};  // It has no history: nothing moves.
  return rerun_to(cpu, done - 1);
}

DebugStop Debugger::reverse_resume() {
  // First pass: the breakpoint hits before now; second: back to the latest of them.
  const std::uint64_t now = machine_ != nullptr ? machine_->executed_total_ : 0;
  const std::uint32_t last = machine_ != nullptr ? machine_->last_ : 0;
  ++reexecutions_;
  if (!restart()) return {StopKind::kEnded, last};
  control_->record_hits = true;
  control_->total_limit = now;
  run({});
  const std::vector<DebugControl::Hit> hits = std::move(control_->hits);
  if (hits.empty()) {
    rerun_to(0, 0);
    return {StopKind::kBeginning, 0};
  }
  DebugStop s = rerun_to(hits.back().cpu, hits.back().executed);
  s.kind = StopKind::kBreakpoint;
  return s;
}

}  // namespace lockstep::emu::unicorn
