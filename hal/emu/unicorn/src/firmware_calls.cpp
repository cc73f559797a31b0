// What firmware gives the kernel on QEMU virt: PSCI (Arm DEN0022) over hvc/smc and semihosting
// (console output and the exit status).

#include <fmt/format.h>

#include "machine_state.hpp"

namespace lockstep::emu::unicorn {
void Machine::psci(Cpu& c) {
  std::uint64_t fn = 0, a1 = 0, a2 = 0, a3 = 0;
  uc_reg_read(c.uc, UC_ARM64_REG_X0, &fn);
  uc_reg_read(c.uc, UC_ARM64_REG_X1, &a1);
  uc_reg_read(c.uc, UC_ARM64_REG_X2, &a2);
  uc_reg_read(c.uc, UC_ARM64_REG_X3, &a3);
  std::int64_t ret = a64::kPsciNotSupported;
  switch (static_cast<std::uint32_t>(fn)) {
    case a64::kPsciVersion: ret = kPsciVersion; break;
    case a64::kPsciFeatures: ret = a64::kPsciSuccess; break;
    case a64::kPsciCpuOn32:
    case a64::kPsciCpuOn64: {
      Cpu* t = by_mpidr(a1);
      if (t == nullptr) {
        ret = a64::kPsciInvalidParameters;
      } else if (t->state != CpuState::kOff) {
        ret = a64::kPsciAlreadyOn;
      } else {
        t->clock = c.now();
        start_cpu(*t, a2, a3);
        ret = a64::kPsciSuccess;
      }
      break;
    }
    case a64::kPsciAffinityInfo32:
    case a64::kPsciAffinityInfo64: {
      Cpu* t = by_mpidr(a1);
      ret = t == nullptr ? a64::kPsciInvalidParameters
                         : (t->state == CpuState::kOff || t->state == CpuState::kStopped ? 1 : 0);
      break;
    }
    case a64::kPsciCpuOff:
      c.state = CpuState::kStopped;
      uc_emu_stop(c.uc);
      ret = a64::kPsciSuccess;
      break;
    case a64::kPsciSystemOff:
    case a64::kPsciSystemReset:
      stop(Status::kPoweredOff, "the guest powered off (PSCI)");
      uc_emu_stop(c.uc);
      ret = a64::kPsciSuccess;
      break;
    default: break;
  }
  const auto r = static_cast<std::uint64_t>(ret);
  uc_reg_write(c.uc, UC_ARM64_REG_X0, &r);
}

void Machine::semihost(Cpu& c) {
  std::uint64_t op = 0, arg = 0;
  uc_reg_read(c.uc, UC_ARM64_REG_X0, &op);
  uc_reg_read(c.uc, UC_ARM64_REG_X1, &arg);
  if (op == a64::kSysExitOperation) {
    std::uint64_t block[2] = {arg, 0};
    read(arg, std::as_writable_bytes(std::span(block)));  // AArch64: {reason, subcode}.
    result_.exit_code = block[0] == a64::kAdpStoppedApplicationExitValue ? static_cast<int>(block[1]) : 1;
    stop(Status::kPoweredOff, fmt::format("the guest exited through semihosting with status {}", result_.exit_code));
    uc_emu_stop(c.uc);
  } else if (op == a64::kSysWritec) {
    char ch = 0;
    read(arg, std::as_writable_bytes(std::span(&ch, 1)));
    console_put(ch);
  } else if (op == a64::kSysWrite0) {
    for (int i = 0; i < 4096; ++i) {
      char ch = 0;
      if (!read(arg + i, std::as_writable_bytes(std::span(&ch, 1))) || ch == 0) break;
      console_put(ch);
    }
  }
}

void Machine::start_cpu(Cpu& c, std::uint64_t entry, std::uint64_t context) {
  const std::uint64_t pstate = kPstateEl1hMasked;
  uc_reg_write(c.uc, UC_ARM64_REG_PC, &entry);
  uc_reg_write(c.uc, UC_ARM64_REG_X0, &context);
  uc_reg_write(c.uc, UC_ARM64_REG_PSTATE, &pstate);
  c.state = CpuState::kRunnable;
  log_decision(0x5ull << 60 | c.id);
}

Cpu* Machine::by_mpidr(std::uint64_t mpidr) {
  for (auto& c : cpus_)
    if (mpidr_affinity(c.id) == (mpidr & 0xff00ffffffULL)) return &c;
  return nullptr;
}

}  // namespace lockstep::emu::unicorn
