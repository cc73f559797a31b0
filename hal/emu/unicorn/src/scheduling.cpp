// Which CPU runs next (random, round-robin, PCT) and one time slice on it.

#include <fmt/format.h>

#include <algorithm>

#include "machine_state.hpp"

namespace lockstep::emu::unicorn {
namespace {

constexpr std::uint64_t kStopAddress = 0x3fffe800;  // Never mapped, never executed (FACTS: leak/retranslate).
constexpr std::uint32_t kPctRunLimit = 8;

}  // namespace

Cpu* Machine::pick() {
  ready_.clear();
  auto& ready = ready_;
  for (auto& c : cpus_) {
    if (c.state == CpuState::kParked) {
      update_timers(c);
      if (gic_.irq_asserted(c.id)) {
        c.state = CpuState::kRunnable;
        c.pct_waiting = false;  // Woken: it has work now.
      }
    }
    if (c.state == CpuState::kRunnable) ready.push_back(&c);
  }
  if (ready.empty()) {
    // Fast-forward the parked CPU whose timer fires first.
    Cpu* next = nullptr;
    std::uint64_t best = ~std::uint64_t{0};
    for (auto& c : cpus_) {
      if (c.state != CpuState::kParked) continue;
      for (const Timer* t : {&c.vtimer, &c.ptimer})
        if ((t->ctl & 3) == 1 && t->cval < best) {
          best = t->cval;
          next = &c;
        }
    }
    if (next == nullptr) return nullptr;
    next->clock = std::max(next->clock, best);
    next->state = CpuState::kRunnable;
    ready.push_back(next);
  }
  Cpu* chosen = ready.front();
  switch (cfg_.strategy) {
    case Strategy::kRandom:
      chosen = ready[rng_.below(ready.size())];
      break;
    case Strategy::kRoundRobin: {
      for (std::size_t k = 1; k <= cpus_.size(); ++k) {
        Cpu& c = cpus_[(last_ + k) % cpus_.size()];
        if (c.state == CpuState::kRunnable) {
          chosen = &c;
          break;
        }
      }
      break;
    }
    case Strategy::kPos:
    case Strategy::kSchedule:
      break;  // Refused by setup().
    case Strategy::kPct: {
      ready_ids_.clear();
      for (Cpu* c : ready) ready_ids_.push_back(c->id);
      if (std::all_of(ready.begin(), ready.end(), [](const Cpu* c) { return c->pct_waiting; })) start_pct_round();
      chosen = &cpus_[pct_.pick(
          ready_ids_, [this](std::uint32_t id) { return cpus_[id].pct_waiting; }, last_)];
      break;
    }
  }
  return chosen;
}

void Machine::run_slice(Cpu& c) {
  last_ = c.id;
  const std::uint64_t length = cfg_.strategy == Strategy::kRoundRobin
                                   ? cfg_.slice_max
                                   : cfg_.slice_min + rng_.below(cfg_.slice_max - cfg_.slice_min + 1);
  c.in_slice = 0;
  c.quiet_until = 0;
  c.spun = false;
  deliver_irq(c);
  c.budget = std::max<std::uint64_t>(1, std::min(length, until_timer(c)));
  log_decision((std::uint64_t{c.id} << 40) ^ c.budget);
  if (execute(c)) end_slice(c);
}

bool Machine::execute(Cpu& c) {
  std::uint64_t pc = 0;
  uc_reg_read(c.uc, UC_ARM64_REG_PC, &pc);
  const uc_err e = uc_emu_start(c.uc, pc, kStopAddress, 0, 0);
  if (debug_ != nullptr && debug_->stopped && !stopped_) {
    open_slice_ = &c;
    return false;
  }
  if (e != UC_ERR_OK && !stopped_) fault(c, fmt::format("unicorn stopped with '{}' at pc {:#x}", uc_strerror(e), pc));
  return true;
}

void Machine::end_slice(Cpu& c) {
  c.pending = BlockAction::kNone;
  result_.instructions += c.in_slice;
  c.clock += c.in_slice;
  c.in_slice = 0;
  ++result_.slices;
  if (cfg_.strategy == Strategy::kPct) note_pct_slice(c);
  // A step that ended with the slice stops between slices.
  if (debug_ != nullptr && debug_->step_cpu == c.id && c.executed >= debug_->step_until) {
    debug_->stopped = true;
    debug_->why = StopKind::kStep;
    debug_->cpu = c.id;
  }
}

void Machine::on_block_checked(Cpu& c, std::uint64_t addr, std::uint32_t size) {
  if (c.stop_next_block) {  // The wfi/wfe that ended the slice ran; PC is past it.
    c.stop_next_block = false;
    stop_before_block(c);
    return;
  }
  if (c.resume_mid_block) {
    // The rest of a block counted before a debugger stopped inside it; only a translation that
    // reaches past that block's end brings new instructions.
    c.resume_mid_block = false;
    if (addr + size > c.block_end) {
      c.in_slice += (addr + size - c.block_end) / 4;
      c.block_end = addr + size;
    }
    return;
  }
  const std::uint64_t n = size / 4;
  if (c.in_slice != 0 && c.in_slice + n > c.budget) {
    stop_before_block(c);
    return;
  }
  // An interrupt signalled while the guest had IRQs masked is taken as soon as it unmasks:
  // QEMU ends a block after every DAIF write, so checking at block starts is enough. It is taken
  // in the same slice (the slice's length is the seed's, not the interrupt's).
  if (c.in_slice != 0 && irq_line(c)) {
    std::uint64_t pstate = 0;
    uc_reg_read(c.uc, UC_ARM64_REG_PSTATE, &pstate);
    if (!(pstate & kPstateIrqMask)) {
      irq_before_block(c, addr);
      return;
    }
  }
  c.in_slice += n;
  c.block_end = addr + size;
  // Until the budget ends or a timer comes due, with the line low, no block needs the checks
  // above: the same blocks pass them, so the schedule does not depend on this shortcut.
  const bool line = irq_line(c);
  c.quiet_until = line || c.stop_next_block ? 0 : std::min(c.budget, c.timer_due - c.clock);
}

void Machine::on_wait(Cpu& c, std::uint64_t pc, bool wfi) {
  const std::uint64_t next = pc + 4;
  update_timers(c);
  if (wfi && gic_.irq_asserted(c.id)) {  // Arm ARM D1.16.2: a wfi with an interrupt pending does not wait.
    std::uint64_t pstate = 0;
    uc_reg_read(c.uc, UC_ARM64_REG_PSTATE, &pstate);
    if (pstate & kPstateIrqMask) {
      uc_reg_write(c.uc, UC_ARM64_REG_PC, &next);
    } else {
      take_irq(c, next);
    }
    return;
  }
  // The slice ends after the instruction. A PC write in a hook makes Unicorn go on (a stop made
  // with it is dropped), so the stop is made before the next block, in both modes alike.
  c.spun = true;
  if (wfi) c.state = CpuState::kParked;
  c.stop_next_block = true;
  c.quiet_until = 0;
  uc_reg_write(c.uc, UC_ARM64_REG_PC, &next);
}

void Machine::note_pct_slice(Cpu& c) {
  if (c.spun) {
    c.pct_waiting = true;
    return;
  }
  pct_.on_progress(c.id);
  if (++c.round_slices >= kPctRunLimit) c.pct_waiting = true;
}

void Machine::start_pct_round() {
  for (Cpu& c : cpus_) {
    c.pct_waiting = false;
    c.round_slices = 0;
  }
}

}  // namespace lockstep::emu::unicorn
