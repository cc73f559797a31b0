// The Unicorn machine. One uc_engine per CPU, all mapping one host buffer as RAM, driven from
// one host thread (engines on several threads break guest spinlocks; FACTS). Time slices end by
// a block hook (never a per-instruction hook) or at a wfi/wfe/yield, which the machine finds by
// scanning the image and hooking exactly those addresses.

#include <lockstep/arm64/architecture.hpp>
#include <lockstep/emu/unicorn/machine.hpp>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <lockstep/emu/pct.hpp>
#include <lockstep/emu/prng.hpp>
#include <memory>

#include "device_tree.hpp"
#include "elf_image.hpp"
#include "gic_v2.hpp"

namespace lockstep::emu::unicorn {
namespace {

// --- Architecture facts ---------------------------------------------------------------------
constexpr std::uint32_t kInsnWfi = 0xd503207f;    // Arm ARM C6.2.393 (WFI).
constexpr std::uint32_t kInsnWfe = 0xd503205f;    // C6.2.392 (WFE).
constexpr std::uint32_t kInsnClrex = 0xd503305f;  // C6.2.54 (CLREX).
constexpr std::uint32_t kInsnSemihost = 0xd45e0000;  // HLT #0xf000: A64 semihosting trap.
constexpr std::uint64_t kPstateIrqMask = 1u << 7;   // PSTATE.I.
constexpr std::uint64_t kPstateSpSel = 1u << 0;     // PSTATE.SP (EL1h when set).
constexpr std::uint64_t kPstateEl1hMasked = 0x3c5;  // EL1h, D, A, I, F set: exception entry state.
constexpr std::uint64_t kScrEl3RwHce = 0x500;       // SCR_EL3.RW | HCE (FACTS: needed by Unicorn 2.0.1).
constexpr std::uint64_t kVectorIrqCurrentSpx = 0x280, kVectorIrqCurrentSp0 = 0x080;  // Arm ARM D1.10.2.
constexpr std::uint64_t kVectorSyncCurrentSpx = 0x200, kVectorSyncCurrentSp0 = 0x000;
// ESR classes, PSCI function ids and return codes, semihosting: the kernel's definitions.
namespace a64 = lockstep::arm64;
// Unicorn/QEMU exception numbers seen by UC_HOOK_INTR (FACTS).
constexpr std::uint32_t kExcpUdef = 1, kExcpSwi = 2, kExcpBkpt = 7, kExcpHvc = 11, kExcpSmc = 13;
// The counter frequency the machine reports; one tick per instruction retired.
constexpr std::uint64_t kCounterHz = a64::kVirtCounterHz;
// PL011 registers (PrimeCell UART PL011 TRM 3.2).
constexpr std::uint64_t kUartDr = 0x000, kUartFr = 0x018;

constexpr std::uint64_t kStubBase = 0x3ffff000;   // Exception-entry stubs: clrex; b vector.
constexpr std::uint64_t kStopAddress = 0x3fffe800; // Never mapped, never executed (FACTS: leak/retranslate).
constexpr std::size_t kConsoleCapture = 4u << 20;
constexpr std::uint64_t kHashPrime = 0x100000001b3ULL;
constexpr std::uint32_t kPctRunLimit = 8;

uc_arm64_cp_reg cp(std::uint32_t op0, std::uint32_t op1, std::uint32_t crn, std::uint32_t crm, std::uint32_t op2) {
  return uc_arm64_cp_reg{crn, crm, op0, op1, op2, 0};
}
bool same(const uc_arm64_cp_reg& a, const uc_arm64_cp_reg& b) {
  return a.op0 == b.op0 && a.op1 == b.op1 && a.crn == b.crn && a.crm == b.crm && a.op2 == b.op2;
}
// System registers (Arm ARM D17).
const uc_arm64_cp_reg kCntfrq = cp(3, 3, 14, 0, 0), kCntpct = cp(3, 3, 14, 0, 1), kCntvct = cp(3, 3, 14, 0, 2);
const uc_arm64_cp_reg kCntpTval = cp(3, 3, 14, 2, 0), kCntpCtl = cp(3, 3, 14, 2, 1), kCntpCval = cp(3, 3, 14, 2, 2);
const uc_arm64_cp_reg kCntvTval = cp(3, 3, 14, 3, 0), kCntvCtl = cp(3, 3, 14, 3, 1), kCntvCval = cp(3, 3, 14, 3, 2);
const uc_arm64_cp_reg kMpidr = cp(3, 0, 0, 0, 5);
const uc_arm64_cp_reg kScrEl3 = cp(3, 6, 1, 1, 0), kElrEl1 = cp(3, 0, 4, 0, 1), kSpsrEl1 = cp(3, 0, 4, 0, 0);
const uc_arm64_cp_reg kEsrEl1 = cp(3, 0, 5, 2, 0), kVbarEl1 = cp(3, 0, 12, 0, 0);

enum class CpuState : std::uint8_t { kOff, kRunnable, kParked, kStopped };

struct Timer {
  std::uint64_t ctl = 0;   ///< ENABLE (bit 0), IMASK (bit 1); ISTATUS computed.
  std::uint64_t cval = 0;
  bool firing(std::uint64_t now) const { return (ctl & 1) && now >= cval; }
  bool asserted(std::uint64_t now) const { return firing(now) && !(ctl & 2); }
};

class Machine;

struct Cpu {
  Machine* machine = nullptr;
  std::uint32_t id = 0;
  uc_engine* uc = nullptr;
  CpuState state = CpuState::kOff;
  std::uint64_t clock = 0;       ///< Instructions retired (virtual time) at the slice start.
  std::uint64_t in_slice = 0;    ///< Instructions counted in the current slice.
  std::uint64_t budget = 0;
  bool spun = false;             ///< Ended its slice at yield/wfe/wfi.
  bool pct_waiting = false;      ///< PCT passes over it until the round ends (see run_slice).
  std::uint32_t round_slices = 0;  ///< Slices it ran in PCT's current round.
  Timer vtimer, ptimer;
  std::uint64_t timer_due = 0;   ///< When the cached IRQ line must be recomputed (0: now).
  bool irq_cached = false;
  std::uint64_t now() const { return clock + in_slice; }
};

struct GuestFault {
  bool set = false;
  std::string what;
};

class Machine final : public GuestView {
 public:
  Machine(const MachineConfig& cfg, Result& result) : cfg_(cfg), result_(result), rng_(cfg.seed), gic_(1) {}

  ~Machine() override {
    for (auto& c : cpus_)
      if (c.uc != nullptr) uc_close(c.uc);
  }

  bool read(std::uint64_t addr, std::span<std::byte> out) const override {
    if (addr < kRamBase || addr - kRamBase > ram_.size() || ram_.size() - (addr - kRamBase) < out.size()) return false;
    std::memcpy(out.data(), ram_.data() + (addr - kRamBase), out.size());
    return true;
  }
  std::uint64_t symbol(const std::string& name) const override {
    auto it = image_.symbols.find(name);
    return it == image_.symbols.end() ? 0 : it->second;
  }

  bool setup() {
    const std::uint32_t n = cfg_.cpus;
    if (n == 0 || n > kGicMaxCpus) return bad(fmt::format("the Unicorn machine has 1 to {} CPUs (GICv2), not {}", kGicMaxCpus, n));
    if (cfg_.slice_min == 0 || cfg_.slice_min > cfg_.slice_max) return bad("slice lengths must satisfy 0 < min <= max");
    std::string error;
    auto img = load_elf(cfg_.image, error);
    if (!img) return bad(error);
    image_ = std::move(*img);
    ram_.assign(cfg_.ram_bytes, 0);
    stubs_.assign(4096, 0);
    for (const auto& s : image_.segments) {
      if (s.addr < kRamBase || s.addr - kRamBase > ram_.size() || ram_.size() - (s.addr - kRamBase) < s.mem_size)
        return bad(fmt::format("segment at {:#x} (+{:#x}) lies outside RAM [{:#x}, {:#x})", s.addr, s.mem_size, kRamBase,
                               kRamBase + ram_.size()));
      std::memcpy(ram_.data() + (s.addr - kRamBase), image_.bytes.data() + s.file_offset, s.file_size);
    }
    // The device tree sits at the base of RAM, as QEMU places it for an ELF image.
    const auto dtb = build_device_tree(n, ram_.size());
    for (const auto& s : image_.segments)
      if (s.addr < kRamBase + dtb.size()) return bad("the image overlaps the device tree at the base of RAM");
    std::memcpy(ram_.data(), dtb.data(), dtb.size());

    gic_ = GicV2(n);
    cpus_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      Cpu& c = cpus_[i];
      c.machine = this;
      c.id = i;
      if (!open_engine(c)) return false;
    }
    if (cfg_.strategy == Strategy::kPos || cfg_.strategy == Strategy::kSchedule)
      return bad(fmt::format("the Unicorn machine has no '{}' strategy (it sees time slices, not the memory "
                             "operations POS and schedules name): use random, pct or rr", to_string(cfg_.strategy)));
    if (cfg_.strategy == Strategy::kPct) pct_ = Pct(n, cfg_.pct_depth, cfg_.pct_horizon, rng_);
    // CPU 0 starts at the entry, EL1h with everything masked, x0 = 0 (ELF: no DTB pointer).
    start_cpu(cpus_[0], image_.entry, 0);
    return true;
  }

  void run() {
    const auto started = std::chrono::steady_clock::now();
    while (!stopped_) {
      if (result_.instructions >= cfg_.max_instructions || result_.slices >= cfg_.max_slices) {
        stop(Status::kInstructionLimit, "liveness guard: instruction or slice limit reached");
        break;
      }
      Cpu* c = pick();
      if (c == nullptr) {
        stop(Status::kDeadlock, "every CPU is parked in wfi and nothing can wake it");
        break;
      }
      run_slice(*c);
    }
    result_.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    finish_report();
  }

  // --- hooks (static trampolines below) -----------------------------------------------------

  /// Called before a translated block runs. Stopping here means the block does not run (its
  /// instructions are not counted); the first block of a slice always runs, so every slice
  /// makes progress.
  void on_block(Cpu& c, std::uint32_t size) {
    const std::uint64_t n = size / 4;
    if (c.in_slice != 0 && c.in_slice + n > c.budget) {
      uc_emu_stop(c.uc);
      return;
    }
    // An interrupt signalled while the guest had IRQs masked is taken as soon as it unmasks:
    // QEMU ends a block after every DAIF write, so checking at block starts is enough.
    if (c.in_slice != 0 && irq_line(c)) {
      std::uint64_t pstate = 0;
      uc_reg_read(c.uc, UC_ARM64_REG_PSTATE, &pstate);
      if (!(pstate & kPstateIrqMask)) {
        uc_emu_stop(c.uc);
        return;
      }
    }
    c.in_slice += n;
  }

  /// Whether the CPU's IRQ line is asserted now (GIC state, or a timer that has come due).
  bool irq_line(Cpu& c) {
    if (c.timer_due <= c.now()) {
      update_timers(c);
      c.timer_due = ~std::uint64_t{0};
      for (const Timer* t : {&c.vtimer, &c.ptimer})
        if ((t->ctl & 3) == 1 && t->cval > c.now()) c.timer_due = std::min(c.timer_due, t->cval);
      c.irq_cached = gic_.irq_asserted(c.id);
    }
    return c.irq_cached;
  }

  /// GIC or timer state changed: recompute the cached line of every CPU at its next check.
  void irq_state_changed() {
    for (auto& t : cpus_) t.timer_due = 0;
  }

  /// Unicorn returns from uc_emu_start right after a wfi (QEMU halts the vCPU): park it unless
  /// an interrupt is already signalled. (Code hooks are avoided on purpose: with any
  /// UC_HOOK_CODE installed, a stop from the block hook in 2.0.1 can rewind PC over executed
  /// stores, which re-runs a store-exclusive and deadlocks a guest spinlock.)
  void after_slice(Cpu& c) {
    if (stopped_ || c.state != CpuState::kRunnable) return;
    std::uint64_t pc = 0;
    std::uint32_t insn = 0;
    uc_reg_read(c.uc, UC_ARM64_REG_PC, &pc);
    if (uc_mem_read(c.uc, pc - 4, &insn, sizeof insn) != UC_ERR_OK) return;
    if (insn != kInsnWfi && insn != kInsnWfe) return;
    if (c.in_slice >= c.budget) return;  // Stopped by the budget, not by the wait.
    c.spun = true;
    update_timers(c);
    if (insn == kInsnWfi && !gic_.irq_asserted(c.id)) c.state = CpuState::kParked;
  }

  void on_interrupt(Cpu& c, std::uint32_t intno) {
    std::uint64_t pc = 0;
    uc_reg_read(c.uc, UC_ARM64_REG_PC, &pc);
    if (intno == kExcpHvc || intno == kExcpSmc) {
      psci(c);
      return;
    }
    std::uint32_t insn = 0;
    uc_mem_read(c.uc, pc, &insn, sizeof insn);
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

  std::uint32_t on_mrs(Cpu& c, uc_arm64_reg reg, const uc_arm64_cp_reg& r) {
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

  std::uint32_t on_msr(Cpu& c, uc_arm64_reg reg, const uc_arm64_cp_reg& r) {
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

  std::uint64_t mmio_read(Cpu& c, std::uint64_t base, std::uint64_t offset, unsigned size) {
    if (base == kUartBase) return offset == kUartFr ? 0 : 0;  // TX never full, RX always empty.
    if (base == kGicDistBase) return gic_.dist_read(c.id, offset, size);
    irq_state_changed();  // Acknowledge changes what is pending.
    return gic_.cpu_read(c.id, offset, size);
  }

  void mmio_write(Cpu& c, std::uint64_t base, std::uint64_t offset, unsigned size, std::uint64_t value) {
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

  void unmapped(Cpu& c, std::uint64_t addr, bool fetch) {
    fault(c, fmt::format("{} of unmapped address {:#x}", fetch ? "instruction fetch" : "access", addr));
  }

 private:
  bool bad(std::string why) {
    result_.status = Status::kBadImage;
    result_.report = std::move(why);
    return false;
  }

  bool open_engine(Cpu& c) {
    auto check = [&](uc_err e, const char* what) {
      if (e != UC_ERR_OK) bad(fmt::format("unicorn: {}: {}", what, uc_strerror(e)));
      return e == UC_ERR_OK;
    };
    if (!check(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &c.uc), "uc_open")) return false;
    if (!check(uc_ctl_set_cpu_model(c.uc, UC_CPU_ARM64_A72), "cpu model")) return false;
    uc_arm64_cp_reg scr = kScrEl3;
    scr.val = kScrEl3RwHce;
    if (!check(uc_reg_write(c.uc, UC_ARM64_REG_CP_REG, &scr), "SCR_EL3")) return false;
    if (!check(uc_mem_map_ptr(c.uc, kRamBase, ram_.size(), UC_PROT_ALL, ram_.data()), "map RAM")) return false;
    if (!check(uc_mem_map_ptr(c.uc, kStubBase, stubs_.size(), UC_PROT_READ | UC_PROT_EXEC, stubs_.data()), "map stubs"))
      return false;
    if (!check(uc_mmio_map(c.uc, kUartBase, 0x1000, &Machine::uart_read, &c, &Machine::uart_write, &c), "map PL011") ||
        !check(uc_mmio_map(c.uc, kGicDistBase, kGicRegionSize, &Machine::gicd_read, &c, &Machine::gicd_write, &c), "map GICD") ||
        !check(uc_mmio_map(c.uc, kGicCpuBase, kGicRegionSize, &Machine::gicc_read, &c, &Machine::gicc_write, &c), "map GICC"))
      return false;
    uc_hook h;
    if (!check(uc_hook_add(c.uc, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&Machine::block_hook), &c, 1, 0), "block hook") ||
        !check(uc_hook_add(c.uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&Machine::intr_hook), &c, 1, 0), "intr hook") ||
        !check(uc_hook_add(c.uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&Machine::mrs_hook), &c, 1, 0, UC_ARM64_INS_MRS), "mrs hook") ||
        !check(uc_hook_add(c.uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&Machine::msr_hook), &c, 1, 0, UC_ARM64_INS_MSR), "msr hook") ||
        !check(uc_hook_add(c.uc, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&Machine::unmapped_hook), &c, 1, 0), "unmapped hook"))
      return false;
    return true;
  }

  void start_cpu(Cpu& c, std::uint64_t entry, std::uint64_t context) {
    const std::uint64_t pstate = kPstateEl1hMasked;
    uc_reg_write(c.uc, UC_ARM64_REG_PC, &entry);
    uc_reg_write(c.uc, UC_ARM64_REG_X0, &context);
    uc_reg_write(c.uc, UC_ARM64_REG_PSTATE, &pstate);
    c.state = CpuState::kRunnable;
    log_decision(0x5ull << 60 | c.id);
  }

  void psci(Cpu& c) {
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

  void semihost(Cpu& c) {
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

  Cpu* by_mpidr(std::uint64_t mpidr) {
    for (auto& c : cpus_)
      if (mpidr_affinity(c.id) == (mpidr & 0xff00ffffffULL)) return &c;
    return nullptr;
  }

  void update_timers(Cpu& c) {
    const std::uint64_t now = c.now();
    gic_.set_ppi_level(c.id, kVirtualTimerPpi, c.vtimer.asserted(now));
    gic_.set_ppi_level(c.id, kPhysicalTimerPpi, c.ptimer.asserted(now));
  }

  /// Instructions until this CPU's next timer interrupt (or "forever").
  std::uint64_t until_timer(const Cpu& c) const {
    std::uint64_t best = ~std::uint64_t{0};
    const std::uint64_t now = c.now();
    for (const Timer* t : {&c.vtimer, &c.ptimer})
      if ((t->ctl & 3) == 1) best = std::min(best, t->cval > now ? t->cval - now : 1);
    return best;
  }

  /// Enters the kernel's vector at `spx_offset` (or `sp0_offset` from EL1t) as the CPU would,
  /// through a stub that clears the exclusive monitor first (architecturally, exception entry
  /// clears it; Unicorn's host-made entry does not; FACTS).
  void take_exception(Cpu& c, std::uint64_t elr, std::uint64_t spx_offset, std::uint64_t sp0_offset, std::uint64_t esr) {
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

  /// The address of a stub "clrex; b target", made once per target.
  std::uint64_t stub_for(std::uint64_t target) {
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

  void deliver_irq(Cpu& c) {
    update_timers(c);
    if (!gic_.irq_asserted(c.id)) return;
    std::uint64_t pstate = 0;
    uc_reg_read(c.uc, UC_ARM64_REG_PSTATE, &pstate);
    if (pstate & kPstateIrqMask) return;
    std::uint64_t pc = 0;
    uc_reg_read(c.uc, UC_ARM64_REG_PC, &pc);
    take_exception(c, pc, kVectorIrqCurrentSpx, kVectorIrqCurrentSp0, 0);
  }

  // --- scheduling -----------------------------------------------------------------------------

  Cpu* pick() {
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
      case Strategy::kRandom: chosen = ready[rng_.below(ready.size())]; break;
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
      case Strategy::kSchedule: break;  // Refused by setup().
      case Strategy::kPct: {
        ready_ids_.clear();
        for (Cpu* c : ready) ready_ids_.push_back(c->id);
        if (std::all_of(ready.begin(), ready.end(), [](const Cpu* c) { return c->pct_waiting; })) start_pct_round();
        chosen = &cpus_[pct_.pick(ready_ids_, [this](std::uint32_t id) { return cpus_[id].pct_waiting; }, last_)];
        break;
      }
    }
    return chosen;
  }

  void run_slice(Cpu& c) {
    last_ = c.id;
    const std::uint64_t length = cfg_.strategy == Strategy::kRoundRobin ? cfg_.slice_max
                                                                        : cfg_.slice_min + rng_.below(cfg_.slice_max - cfg_.slice_min + 1);
    c.in_slice = 0;
    c.spun = false;
    deliver_irq(c);
    c.budget = std::max<std::uint64_t>(1, std::min(length, until_timer(c)));
    log_decision((std::uint64_t{c.id} << 40) ^ c.budget);
    std::uint64_t pc = 0;
    uc_reg_read(c.uc, UC_ARM64_REG_PC, &pc);
    const uc_err e = uc_emu_start(c.uc, pc, kStopAddress, 0, 0);
    if (e != UC_ERR_OK && !stopped_) fault(c, fmt::format("unicorn stopped with '{}' at pc {:#x}", uc_strerror(e), pc));
    after_slice(c);
    result_.instructions += c.in_slice;
    c.clock += c.in_slice;
    c.in_slice = 0;
    ++result_.slices;
    if (cfg_.strategy == Strategy::kPct) note_pct_slice(c);
  }

  // PCT passes over a waiting CPU (pct.hpp). The machine cannot see which slices wrote memory,
  // so it cannot tell a yield-based spin from progress: a slice ending at wfi/wfe is a wait, and
  // a CPU that ran kPctRunLimit slices in the current round is treated as waiting too. The round
  // ends, and every CPU may run again, when all ready CPUs wait. (Ending it whenever any CPU
  // takes a slice let two spinning CPUs take turns for ever, starving the lock holder.)
  void note_pct_slice(Cpu& c) {
    if (c.spun) {
      c.pct_waiting = true;
      return;
    }
    pct_.on_progress(c.id);
    if (++c.round_slices >= kPctRunLimit) c.pct_waiting = true;
  }

  void start_pct_round() {
    for (Cpu& c : cpus_) {
      c.pct_waiting = false;
      c.round_slices = 0;
    }
  }

  void log_decision(std::uint64_t v) { result_.schedule_hash = (result_.schedule_hash ^ v) * kHashPrime; }

  void console_put(char ch) {
    if (cfg_.echo_console) std::fputc(ch, stderr);
    if (result_.console.size() < kConsoleCapture) {
      result_.console.push_back(ch);
    } else {
      ++result_.console_dropped;
    }
  }

  void fault(Cpu& c, std::string what) {
    stop(Status::kGuestError, fmt::format("cpu {}: {}", c.id, what));
    uc_emu_stop(c.uc);
  }

  void stop(Status s, std::string why) {
    if (stopped_) return;
    stopped_ = true;
    result_.status = s;
    result_.report = std::move(why);
  }

  void finish_report() {
    static constexpr const char* kStates[] = {"off", "runnable", "parked in wfi", "stopped (CPU_OFF)"};
    std::string text = fmt::format("{}: {}\n{} instructions in {} slices ({}, seed {})\n", to_string(result_.status),
                                   result_.report, result_.instructions, result_.slices, to_string(cfg_.strategy), cfg_.seed);
    for (auto& c : cpus_) {
      CpuReport r;
      r.state = kStates[static_cast<int>(c.state)];
      r.instructions = c.clock;
      uc_reg_read(c.uc, UC_ARM64_REG_PC, &r.pc);
      text += fmt::format("  cpu {}: {:<18} instructions {:>12} pc {:#x}\n", c.id, r.state, r.instructions, r.pc);
      result_.cpus.push_back(std::move(r));
    }
    result_.report = std::move(text);
  }

  // --- C trampolines --------------------------------------------------------------------------
  static void block_hook(uc_engine*, std::uint64_t, std::uint32_t size, void* user) {
    auto* c = static_cast<Cpu*>(user);
    c->machine->on_block(*c, size);
  }
  static void intr_hook(uc_engine*, std::uint32_t intno, void* user) {
    auto* c = static_cast<Cpu*>(user);
    c->machine->on_interrupt(*c, intno);
  }
  static std::uint32_t mrs_hook(uc_engine*, uc_arm64_reg reg, const uc_arm64_cp_reg* r, void* user) {
    auto* c = static_cast<Cpu*>(user);
    return c->machine->on_mrs(*c, reg, *r);
  }
  static std::uint32_t msr_hook(uc_engine*, uc_arm64_reg reg, const uc_arm64_cp_reg* r, void* user) {
    auto* c = static_cast<Cpu*>(user);
    return c->machine->on_msr(*c, reg, *r);
  }
  static bool unmapped_hook(uc_engine*, uc_mem_type type, std::uint64_t addr, int, std::int64_t, void* user) {
    auto* c = static_cast<Cpu*>(user);
    c->machine->unmapped(*c, addr, type == UC_MEM_FETCH_UNMAPPED);
    return false;
  }
  static std::uint64_t uart_read(uc_engine*, std::uint64_t off, unsigned size, void* user) {
    auto* c = static_cast<Cpu*>(user);
    return c->machine->mmio_read(*c, kUartBase, off, size);
  }
  static void uart_write(uc_engine*, std::uint64_t off, unsigned size, std::uint64_t v, void* user) {
    auto* c = static_cast<Cpu*>(user);
    c->machine->mmio_write(*c, kUartBase, off, size, v);
  }
  static std::uint64_t gicd_read(uc_engine*, std::uint64_t off, unsigned size, void* user) {
    auto* c = static_cast<Cpu*>(user);
    return c->machine->mmio_read(*c, kGicDistBase, off, size);
  }
  static void gicd_write(uc_engine*, std::uint64_t off, unsigned size, std::uint64_t v, void* user) {
    auto* c = static_cast<Cpu*>(user);
    c->machine->mmio_write(*c, kGicDistBase, off, size, v);
  }
  static std::uint64_t gicc_read(uc_engine*, std::uint64_t off, unsigned size, void* user) {
    auto* c = static_cast<Cpu*>(user);
    return c->machine->mmio_read(*c, kGicCpuBase, off, size);
  }
  static void gicc_write(uc_engine*, std::uint64_t off, unsigned size, std::uint64_t v, void* user) {
    auto* c = static_cast<Cpu*>(user);
    c->machine->mmio_write(*c, kGicCpuBase, off, size, v);
  }

  MachineConfig cfg_;
  Result& result_;
  Prng rng_;
  GicV2 gic_;
  ElfImage image_;
  std::vector<std::uint8_t> ram_;
  std::vector<std::uint8_t> stubs_;
  std::vector<std::uint64_t> stub_targets_;
  std::vector<Cpu> cpus_;
  Pct pct_;
  std::vector<Cpu*> ready_;                 // Scratch of pick(), kept to avoid a heap allocation per slice.
  std::vector<std::uint32_t> ready_ids_;
  std::uint32_t last_ = 0;
  bool stopped_ = false;
};

}  // namespace

std::string_view to_string(Status s) noexcept {
  switch (s) {
    case Status::kPoweredOff: return "powered off";
    case Status::kDeadlock: return "deadlock";
    case Status::kInstructionLimit: return "instruction limit";
    case Status::kGuestError: return "guest error";
    case Status::kBadImage: return "bad image";
  }
  return "?";
}

Result run(const MachineConfig& config, const std::function<void(const GuestView&)>& on_finish) {
  Result result;
  result.schedule_hash = 0xcbf29ce484222325ULL;
  auto machine = std::make_unique<Machine>(config, result);
  if (!machine->setup()) return result;
  machine->run();
  if (on_finish) on_finish(*machine);
  return result;
}

}  // namespace lockstep::emu::unicorn
