// Exceptions as the CPU takes them: Unicorn's interrupt hook sorts out PSCI and semihosting
// calls, and everything else (and IRQs) enters the kernel's own vectors.

#include <fmt/format.h>

#include <cstring>

#include "machine_state.hpp"

namespace lockstep::emu::unicorn {
namespace {

constexpr std::uint32_t kInsnClrex = 0xd503305f;     // Arm ARM C6.2.54 (CLREX).
constexpr std::uint32_t kInsnWfi = 0xd503207f;       // C6.2.393 (WFI).
constexpr std::uint32_t kInsnWfe = 0xd503205f;       // C6.2.392 (WFE).
constexpr std::uint32_t kInsnSemihost = 0xd45e0000;  // HLT #0xf000: A64 semihosting trap.
constexpr std::uint64_t kPstateSpSel = 1u << 0;      // PSTATE.SP (EL1h when set).
constexpr std::uint64_t kVectorIrqCurrentSpx = 0x280, kVectorIrqCurrentSp0 = 0x080;  // Arm ARM D1.10.2.
constexpr std::uint64_t kVectorSyncCurrentSpx = 0x200, kVectorSyncCurrentSp0 = 0x000;
// Unicorn/QEMU exception numbers seen by UC_HOOK_INTR (FACTS).
constexpr std::uint32_t kExcpUdef = 1, kExcpSwi = 2, kExcpBkpt = 7, kExcpHvc = 11, kExcpSmc = 13;
const uc_arm64_cp_reg kElrEl1 = cp(3, 0, 4, 0, 1), kSpsrEl1 = cp(3, 0, 4, 0, 0);
const uc_arm64_cp_reg kEsrEl1 = cp(3, 0, 5, 2, 0), kVbarEl1 = cp(3, 0, 12, 0, 0);

}  // namespace

void Machine::on_interrupt(Cpu& c, std::uint32_t intno) {
  std::uint64_t pc = 0;
  uc_reg_read(c.uc, UC_ARM64_REG_PC, &pc);
  if (intno == kExcpHvc || intno == kExcpSmc) {
    psci(c);
    return;
  }
  std::uint32_t insn = 0;
  uc_mem_read(c.uc, pc, &insn, sizeof insn);
  if (intno == kExcpUdef && (insn == kInsnWfi || insn == kInsnWfe)) {  // Trapped by SCR_EL3.TWI/TWE.
    on_wait(c, pc, insn == kInsnWfi);
    return;
  }
  if (insn == kInsnSemihost) {
    semihost(c);
    const std::uint64_t next = pc + 4;
    uc_reg_write(c.uc, UC_ARM64_REG_PC, &next);
    return;
  }
  // Everything else goes architecturally into the kernel's own vectors.
  std::uint32_t ec = a64::kEcUnknown, iss = 0;
  std::uint64_t elr = pc;
  if (intno == kExcpSwi) {
    std::uint32_t svc = 0;
    uc_mem_read(c.uc, pc - 4, &svc, sizeof svc);
    ec = a64::kEcSvc64;
    iss = (svc >> 5) & 0xffff;
  } else if (intno == kExcpBkpt) {
    ec = a64::kEcBrk;
    iss = (insn >> 5) & 0xffff;
  } else if (intno != kExcpUdef) {
    fault(c, fmt::format("unhandled exception {} at pc {:#x}", intno, pc));
    return;
  }
  take_exception(c, elr, kVectorSyncCurrentSpx, kVectorSyncCurrentSp0, (std::uint64_t{ec} << 26) | (1u << 25) | iss);
}

void Machine::take_exception(Cpu& c, std::uint64_t elr, std::uint64_t spx_offset, std::uint64_t sp0_offset,
                             std::uint64_t esr) {
  std::uint64_t pstate = 0, vbar = 0;
  uc_reg_read(c.uc, UC_ARM64_REG_PSTATE, &pstate);
  uc_arm64_cp_reg r = kVbarEl1;
  uc_reg_read(c.uc, UC_ARM64_REG_CP_REG, &r);
  vbar = r.val;
  if (vbar == 0) {
    fault(c, fmt::format("exception (ESR {:#x}) at {:#x} before the kernel installed its vectors", esr, elr));
    return;
  }
  r = kElrEl1;
  r.val = elr;
  uc_reg_write(c.uc, UC_ARM64_REG_CP_REG, &r);
  r = kSpsrEl1;
  r.val = pstate & 0xffffffffu;
  uc_reg_write(c.uc, UC_ARM64_REG_CP_REG, &r);
  if (esr != 0) {
    r = kEsrEl1;
    r.val = esr;
    uc_reg_write(c.uc, UC_ARM64_REG_CP_REG, &r);
  }
  const std::uint64_t target = vbar + ((pstate & kPstateSpSel) ? spx_offset : sp0_offset);
  const std::uint64_t entry = stub_for(target);
  const std::uint64_t masked = kPstateEl1hMasked;
  uc_reg_write(c.uc, UC_ARM64_REG_PSTATE, &masked);
  uc_reg_write(c.uc, UC_ARM64_REG_PC, &entry);
}

std::uint64_t Machine::stub_for(std::uint64_t target) {
  for (std::size_t i = 0; i < stub_targets_.size(); ++i)
    if (stub_targets_[i] == target) return kStubBase + 8 * i;
  const std::uint64_t at = kStubBase + 8 * stub_targets_.size();
  const std::int64_t delta = static_cast<std::int64_t>(target) - static_cast<std::int64_t>(at + 4);
  if (stub_targets_.size() == stubs_.size() / 8 || delta < -(1ll << 27) || delta >= (1ll << 27)) return target;
  const std::uint32_t code[2] = {kInsnClrex, 0x14000000u | (static_cast<std::uint32_t>(delta >> 2) & 0x03ffffffu)};
  std::memcpy(stubs_.data() + (at - kStubBase), code, sizeof code);
  stub_targets_.push_back(target);
  for (auto& c : cpus_) uc_ctl_remove_cache(c.uc, kStubBase, kStubBase + stubs_.size());
  return at;
}

void Machine::deliver_irq(Cpu& c) {
  update_timers(c);
  if (!gic_.irq_asserted(c.id)) return;
  std::uint64_t pstate = 0;
  uc_reg_read(c.uc, UC_ARM64_REG_PSTATE, &pstate);
  if (pstate & kPstateIrqMask) return;
  std::uint64_t pc = 0;
  uc_reg_read(c.uc, UC_ARM64_REG_PC, &pc);
  take_irq(c, pc);
}

void Machine::take_irq(Cpu& c, std::uint64_t pc) {
  take_exception(c, pc, kVectorIrqCurrentSpx, kVectorIrqCurrentSp0, 0);
}

}  // namespace lockstep::emu::unicorn
