// The generic timer (Arm ARM D11): CNTVCT_EL0 is the cycle counter (it counts at CNTFRQ_EL0,
// the timer frequency, not CPU cycles); the EL1 virtual timer (or, with lockstep.timer=phys,
// the EL1 physical timer) raises kTimerVector through its PPI. Level-triggered: the handler
// re-arms (periodic) or disarms (one-shot) before the EOI so the line drops.

#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

namespace lockstep::arm64 {
namespace {

constexpr std::uint64_t kCtlEnable = 1u << 0;  // CNTV_CTL_EL0 / CNTP_CTL_EL0 (D17.11.x): ENABLE.
constexpr std::uint32_t kPhysicalTimerIntid = 30;  // PPI 14 (SBSA; QEMU virt).

bool g_physical = false;
std::uint32_t g_intid = kVirtualTimerIntid;
hal::Cycles g_hz = 0;
/// Period of this CPU's periodic timer (0: one-shot or stopped). Written by its own CPU only.
hal::Cycles g_period[hal::kMaxCpus];

void write_cval(std::uint64_t v) noexcept {
  if (g_physical) LOCKSTEP_WRITE_SYSREG(cntp_cval_el0, v);
  else LOCKSTEP_WRITE_SYSREG(cntv_cval_el0, v);
}
std::uint64_t read_cval() noexcept { return g_physical ? LOCKSTEP_READ_SYSREG(cntp_cval_el0) : LOCKSTEP_READ_SYSREG(cntv_cval_el0); }
void write_ctl(std::uint64_t v) noexcept {
  if (g_physical) LOCKSTEP_WRITE_SYSREG(cntp_ctl_el0, v);
  else LOCKSTEP_WRITE_SYSREG(cntv_ctl_el0, v);
  isb();
}
/// The counter the armed timer compares against (CNTPCT for the physical timer).
std::uint64_t now() noexcept {
  isb();
  return g_physical ? LOCKSTEP_READ_SYSREG(cntpct_el0) : LOCKSTEP_READ_SYSREG(cntvct_el0);
}

}  // namespace

void timer_init(const firmware::FdtArmPlatform& p, const Options& o) noexcept {
  g_physical = o.physical_timer;
  const std::uint32_t from_tree = p.timer_intid[g_physical ? 1 : 2];
  g_intid = from_tree != 0 ? from_tree : g_physical ? kPhysicalTimerIntid : kVirtualTimerIntid;
  g_hz = LOCKSTEP_READ_SYSREG(cntfrq_el0) & 0xffffffffu;
  if (g_hz == 0) g_hz = p.timer_frequency;
  if (g_hz == 0) {
    baremetal::warning("timer: CNTFRQ_EL0 is 0 and the tree gives no clock-frequency; assuming 62.5 MHz");
    g_hz = kVirtCounterHz;
  }
  if (o.verbose)
    core::print("timer: {} timer, INTID {} ({}), counter frequency {} Hz (CNTFRQ_EL0{}), tick 1 ms = {} counts\n",
                g_physical ? "EL1 physical" : "EL1 virtual", g_intid, from_tree != 0 ? "device tree" : "default", g_hz,
                p.timer_frequency != 0 ? ", tree clock-frequency set" : "", g_hz / 1000);
}

void timer_init_this_cpu() noexcept {
  write_ctl(0);
  g_period[hal::current_cpu_id()] = 0;
  gic_enable_ppi(g_intid);
}

std::uint32_t timer_intid() noexcept { return g_intid; }
hal::Cycles timer_hz() noexcept { return g_hz; }

void timer_on_interrupt() noexcept {
  const hal::Cycles period = g_period[hal::current_cpu_id()];
  if (period == 0) {
    write_ctl(0);
    return;
  }
  std::uint64_t next = read_cval() + period;
  const std::uint64_t t = now();
  if (next <= t) next = t + period;  // Missed ticks are dropped, not replayed in a burst.
  write_cval(next);
}

}  // namespace lockstep::arm64

namespace lockstep::hal {

void timer_set_periodic(Cycles period) noexcept {
  using namespace ::lockstep::arm64;
  if (period == 0) period = 1;
  g_period[current_cpu_id()] = period;
  write_cval(now() + period);
  write_ctl(kCtlEnable);
}

void timer_stop() noexcept {
  ::lockstep::arm64::g_period[current_cpu_id()] = 0;
  ::lockstep::arm64::write_ctl(0);
}

}  // namespace lockstep::hal
