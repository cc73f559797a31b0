// The memory-mapped devices (PL011 console, GICv2 distributor and CPU interface) and the C
// trampolines Unicorn calls, which find the machine through their CPU.

#include <fmt/format.h>

#include <algorithm>

#include "machine_state.hpp"

namespace lockstep::emu::unicorn {
namespace {

// PL011 registers (PrimeCell UART PL011 TRM 3.2).
constexpr std::uint64_t kUartDr = 0x000, kUartFr = 0x018;

}  // namespace

std::uint64_t Machine::mmio_read(Cpu& c, std::uint64_t base, std::uint64_t offset, unsigned size) {
  if (base == kUartBase) return offset == kUartFr ? 0 : 0;  // TX never full, RX always empty.
  if (base == kGicDistBase) return gic_.dist_read(c.id, offset, size);
  irq_state_changed();  // Acknowledge changes what is pending.
  return gic_.cpu_read(c.id, offset, size);
}

void Machine::mmio_write(Cpu& c, std::uint64_t base, std::uint64_t offset, unsigned size, std::uint64_t value) {
  if (base == kUartBase) {
    if (offset == kUartDr) console_put(static_cast<char>(value & 0xff));
    return;
  }
  irq_state_changed();
  if (base == kGicDistBase) {
    gic_.dist_write(c.id, offset, size, value);
    // A CPU parked in wfi wakes when an SGI reaches it; its clock catches up with the sender's.
    for (auto& t : cpus_)
      if (t.state == CpuState::kParked && gic_.irq_asserted(t.id)) {
        t.state = CpuState::kRunnable;
        t.clock = std::max(t.clock, c.now());
      }
    return;
  }
  gic_.cpu_write(c.id, offset, size, value);
}

void Machine::unmapped(Cpu& c, std::uint64_t addr, bool fetch) {
  fault(c, fmt::format("{} of unmapped address {:#x}", fetch ? "instruction fetch" : "access", addr));
}

void Machine::block_hook(uc_engine*, std::uint64_t addr, std::uint32_t size, void* user) {
  auto* c = static_cast<Cpu*>(user);
  c->machine->on_block(*c, addr, size);
}

void Machine::code_hook(uc_engine*, std::uint64_t addr, std::uint32_t, void* user) {
  auto* c = static_cast<Cpu*>(user);
  c->machine->on_code(*c, addr);
}

void Machine::intr_hook(uc_engine*, std::uint32_t intno, void* user) {
  auto* c = static_cast<Cpu*>(user);
  c->machine->on_interrupt(*c, intno);
}

std::uint32_t Machine::mrs_hook(uc_engine*, uc_arm64_reg reg, const uc_arm64_cp_reg* r, void* user) {
  auto* c = static_cast<Cpu*>(user);
  return c->machine->on_mrs(*c, reg, *r);
}

std::uint32_t Machine::msr_hook(uc_engine*, uc_arm64_reg reg, const uc_arm64_cp_reg* r, void* user) {
  auto* c = static_cast<Cpu*>(user);
  return c->machine->on_msr(*c, reg, *r);
}

bool Machine::unmapped_hook(uc_engine*, uc_mem_type type, std::uint64_t addr, int, std::int64_t, void* user) {
  auto* c = static_cast<Cpu*>(user);
  c->machine->unmapped(*c, addr, type == UC_MEM_FETCH_UNMAPPED);
  return false;
}

}  // namespace lockstep::emu::unicorn
