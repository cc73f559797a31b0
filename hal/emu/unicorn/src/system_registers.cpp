// The system registers the machine provides (the generic timers, Arm ARM D11, and MPIDR), as
// Unicorn hands their accesses over, and the CPU's IRQ line the timers and the GIC drive.

#include <algorithm>

#include "machine_state.hpp"

namespace lockstep::emu::unicorn {
namespace {

// The counter frequency the machine reports; one tick per instruction retired.
constexpr std::uint64_t kCounterHz = a64::kVirtCounterHz;
// System registers (Arm ARM D17).
const uc_arm64_cp_reg kCntfrq = cp(3, 3, 14, 0, 0), kCntpct = cp(3, 3, 14, 0, 1), kCntvct = cp(3, 3, 14, 0, 2);
const uc_arm64_cp_reg kCntpTval = cp(3, 3, 14, 2, 0), kCntpCtl = cp(3, 3, 14, 2, 1), kCntpCval = cp(3, 3, 14, 2, 2);
const uc_arm64_cp_reg kCntvTval = cp(3, 3, 14, 3, 0), kCntvCtl = cp(3, 3, 14, 3, 1), kCntvCval = cp(3, 3, 14, 3, 2);
const uc_arm64_cp_reg kMpidr = cp(3, 0, 0, 0, 5);

}  // namespace

std::uint32_t Machine::on_mrs(Cpu& c, uc_arm64_reg reg, const uc_arm64_cp_reg& r) {
  std::uint64_t v = 0;
  const std::uint64_t now = c.now();
  if (same(r, kCntvct) || same(r, kCntpct)) {
    v = now;
  } else if (same(r, kCntfrq)) {
    v = kCounterHz;
  } else if (same(r, kCntvCtl) || same(r, kCntpCtl)) {
    const Timer& t = same(r, kCntvCtl) ? c.vtimer : c.ptimer;
    v = (t.ctl & 3) | (t.firing(now) ? 4 : 0);
  } else if (same(r, kCntvCval) || same(r, kCntpCval)) {
    v = same(r, kCntvCval) ? c.vtimer.cval : c.ptimer.cval;
  } else if (same(r, kCntvTval) || same(r, kCntpTval)) {
    const Timer& t = same(r, kCntvTval) ? c.vtimer : c.ptimer;
    v = static_cast<std::uint32_t>(t.cval - now);
  } else if (same(r, kMpidr)) {
    v = 0x80000000u | mpidr_affinity(c.id);  // Bit 31 is RES1.
  } else {
    return 0;  // Not ours: Unicorn reads the register itself.
  }
  uc_reg_write(c.uc, reg, &v);
  return 1;
}

std::uint32_t Machine::on_msr(Cpu& c, uc_arm64_reg reg, const uc_arm64_cp_reg& r) {
  std::uint64_t v = 0;
  uc_reg_read(c.uc, reg, &v);
  const std::uint64_t now = c.now();
  if (same(r, kCntvCtl)) {
    c.vtimer.ctl = v & 3;
  } else if (same(r, kCntpCtl)) {
    c.ptimer.ctl = v & 3;
  } else if (same(r, kCntvCval)) {
    c.vtimer.cval = v;
  } else if (same(r, kCntpCval)) {
    c.ptimer.cval = v;
  } else if (same(r, kCntvTval)) {
    c.vtimer.cval = now + static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(v)));
  } else if (same(r, kCntpTval)) {
    c.ptimer.cval = now + static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(v)));
  } else {
    return 0;
  }
  update_timers(c);
  irq_state_changed();
  // A timer armed mid-slice must be able to end the slice on time.
  c.budget = std::min(c.budget, c.in_slice + until_timer(c));
  return 1;
}

void Machine::update_timers(Cpu& c) {
  const std::uint64_t now = c.now();
  gic_.set_ppi_level(c.id, kVirtualTimerPpi, c.vtimer.asserted(now));
  gic_.set_ppi_level(c.id, kPhysicalTimerPpi, c.ptimer.asserted(now));
}

std::uint64_t Machine::until_timer(const Cpu& c) const {
  std::uint64_t best = ~std::uint64_t{0};
  const std::uint64_t now = c.now();
  // A timer already due is no deadline: its interrupt is taken through the IRQ line (at the next
  // block once unmasked). Counting it as "1 instruction away" cut every slice to one block while
  // the guest ran with the interrupt masked or not routed (99% of the self-test's slices).
  for (const Timer* t : {&c.vtimer, &c.ptimer})
    if ((t->ctl & 3) == 1 && t->cval > now) best = std::min(best, t->cval - now);
  return best;
}

bool Machine::irq_line(Cpu& c) {
  if (c.timer_due <= c.now()) {
    update_timers(c);
    c.timer_due = ~std::uint64_t{0};
    for (const Timer* t : {&c.vtimer, &c.ptimer})
      if ((t->ctl & 3) == 1 && t->cval > c.now()) c.timer_due = std::min(c.timer_due, t->cval);
    c.irq_cached = gic_.irq_asserted(c.id);
  }
  return c.irq_cached;
}

void Machine::irq_state_changed() {
  for (auto& t : cpus_) {
    t.timer_due = 0;
    t.quiet_until = 0;
  }
}

}  // namespace lockstep::emu::unicorn
