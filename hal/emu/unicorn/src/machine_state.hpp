#pragma once
// The Unicorn machine's state, shared by its files (one per purpose: machine.cpp sets it up and
// runs it, scheduling.cpp picks the CPU and runs slices, system_registers.cpp the
// generic timers, MPIDR and the IRQ line, exceptions.cpp exception entry, firmware_calls.cpp PSCI and semihosting,
// devices.cpp the MMIO devices and Unicorn's hook trampolines). Internal to lockstep_unicorn.

#include <sys/mman.h>
#include <unicorn/unicorn.h>

#include <chrono>
#include <cstdint>
#include <lockstep/arm64/architecture.hpp>
#include <lockstep/emu/pct.hpp>
#include <lockstep/emu/prng.hpp>
#include <lockstep/emu/unicorn/debugger.hpp>
#include <lockstep/emu/unicorn/machine.hpp>
#include <string>
#include <vector>

#include "device_tree.hpp"
#include "elf_image.hpp"
#include "gic_v2.hpp"

namespace lockstep::emu::unicorn {

// ESR classes, PSCI function ids and return codes, semihosting: the kernel's definitions.
namespace a64 = lockstep::arm64;

inline constexpr std::uint64_t kPstateIrqMask = 1u << 7;   // PSTATE.I.
inline constexpr std::uint64_t kPstateEl1hMasked = 0x3c5;  // EL1h, D, A, I, F set: exception entry state.
inline constexpr std::uint64_t kStubBase = 0x3ffff000;     // Exception-entry stubs: clrex; b vector.

/// A system register as Unicorn names it (Arm ARM D17 encodings).
inline uc_arm64_cp_reg cp(std::uint32_t op0, std::uint32_t op1, std::uint32_t crn, std::uint32_t crm,
                          std::uint32_t op2) {
  return uc_arm64_cp_reg{crn, crm, op0, op1, op2, 0};
}
inline bool same(const uc_arm64_cp_reg& a, const uc_arm64_cp_reg& b) {
  return a.op0 == b.op0 && a.op1 == b.op1 && a.crn == b.crn && a.crm == b.crm && a.op2 == b.op2;
}

enum class CpuState : std::uint8_t { kOff, kRunnable, kParked, kStopped };

struct Timer {
  std::uint64_t ctl = 0;  ///< ENABLE (bit 0), IMASK (bit 1); ISTATUS computed.
  std::uint64_t cval = 0;
  bool firing(std::uint64_t now) const { return (ctl & 1) && now >= cval; }
  bool asserted(std::uint64_t now) const { return firing(now) && !(ctl & 2); }
};

/// Guest RAM: anonymous memory the kernel zero-fills on first touch, so a machine pays for the
/// pages its guest uses and not for the whole size (a zero-filled vector of 256 MiB cost more
/// page faults than the self-test's whole run).
class GuestRam {
 public:
  GuestRam() = default;
  ~GuestRam() { release(); }
  GuestRam(const GuestRam&) = delete;
  GuestRam& operator=(const GuestRam&) = delete;
  bool allocate(std::size_t bytes) {
    release();
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    data_ = static_cast<std::uint8_t*>(p);
    size_ = bytes;
    return true;
  }
  std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void release() {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
  }
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Why the block hook ended a slice early (or, under a debugger, asked the code hook to).
enum class BlockAction : std::uint8_t { kNone, kEnd, kDeliverIrq };

class Machine;

struct Cpu {
  Machine* machine = nullptr;
  std::uint32_t id = 0;
  uc_engine* uc = nullptr;
  CpuState state = CpuState::kOff;
  std::uint64_t clock = 0;     ///< Instructions retired (virtual time) at the slice start.
  std::uint64_t in_slice = 0;  ///< Instructions counted in the current slice.
  std::uint64_t budget = 0;
  bool stop_next_block = false;  ///< A wfi/wfe ends the slice: stop before the block after it.
  /// Blocks that end at or before this in_slice need no check (no budget end, no timer due, IRQ
  /// line low): the block hook only counts them. 0 whenever something changed (see on_block).
  std::uint64_t quiet_until = 0;
  bool spun = false;               ///< Ended its slice at yield/wfe/wfi.
  bool pct_waiting = false;        ///< PCT passes over it until the round ends (see run_slice).
  std::uint32_t round_slices = 0;  ///< Slices it ran in PCT's current round.
  Timer vtimer, ptimer;
  std::uint64_t timer_due = 0;  ///< When the cached IRQ line must be recomputed (0: now).
  bool irq_cached = false;
  // Under a debugger only (the code hook counts instructions there):
  std::uint64_t executed = 0;                ///< Instructions executed.
  BlockAction pending = BlockAction::kNone;  ///< What the block hook asked the code hook to do.
  bool resume_mid_block = false;             ///< Resumed inside a block the block hook has counted.
  std::uint64_t block_end = 0;               ///< End address of the block the block hook counted last.
  std::uint64_t now() const { return clock + in_slice; }
};

/// What a debugger asks of the machine and what stopped it (debugger.cpp). Ordinary runs have
/// none and install no code hook. With one, every stop is made from the code hook, before an
/// instruction runs: a stop from the block hook while a code hook exists can rewind PC over
/// executed stores in Unicorn 2.0.1, so there the block hook only marks the slice's end.
struct DebugControl {
  static constexpr std::int64_t kNone = -1;
  std::vector<std::uint64_t> breakpoints;  ///< Sorted.
  std::int64_t skip_cpu = kNone;           ///< Resuming at a breakpoint: not a hit again.
  std::int64_t step_cpu = kNone;           ///< Stop once it has executed step_until instructions.
  std::uint64_t step_until = 0;
  std::int64_t moment_cpu = kNone;                ///< Stop when it is about to execute instruction number
  std::uint64_t moment_executed = 0;              ///<   moment_executed (0-based).
  std::uint64_t total_limit = ~std::uint64_t{0};  ///< Stop before the machine's instruction number this.
  struct Hit {
    std::uint32_t cpu;
    std::uint64_t executed;  ///< The moment of the hit: the CPU's instruction number.
  };
  bool record_hits = false;  ///< Breakpoint hits are recorded instead of stopped at.
  std::vector<Hit> hits;
  bool stopped = false;  ///< Set by a stop; cleared by the debugger before it resumes.
  StopKind why = StopKind::kBreakpoint;
  std::uint32_t cpu = 0;
};

class Machine final : public GuestView {
 public:
  Machine(const MachineConfig& cfg, Result& result) : cfg_(cfg), result_(result), rng_(cfg.seed), gic_(1) {}
  ~Machine() override;
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // machine.cpp
  bool read(std::uint64_t addr, std::span<std::byte> out) const override;
  std::uint64_t symbol(const std::string& name) const override;
  bool setup();
  void run();
  /// Before setup(): run under this debugger (debugger.cpp drives the machine with advance()).
  void attach(DebugControl* debug) { debug_ = debug; }
  /// One scheduling decision and its slice (or the rest of a slice a debugger stopped). False
  /// once the machine has stopped; then the report is written.
  bool advance();
  bool ended() const { return stopped_; }

 private:
  bool bad(std::string why);
  bool open_engine(Cpu& c);
  void console_put(char ch);
  void fault(Cpu& c, std::string what);
  void stop(Status s, std::string why);
  void finish_report();
  static constexpr std::uint64_t kHashPrime = 0x100000001b3ULL;
  void log_decision(std::uint64_t v) { result_.schedule_hash = (result_.schedule_hash ^ v) * kHashPrime; }

  // scheduling.cpp
  friend class Debugger;
  Cpu* pick();
  void run_slice(Cpu& c);
  /// uc_emu_start from the CPU's PC; false if a debugger stopped it inside the slice.
  bool execute(Cpu& c);
  void end_slice(Cpu& c);
  /// Ends the slice before the block about to run (its instructions are not counted).
  void stop_before_block(Cpu& c) {
    if (debug_ == nullptr) {
      uc_emu_stop(c.uc);
    } else {
      c.pending = BlockAction::kEnd;
    }
  }
  /// Takes the IRQ before the block about to run, in the same slice: from the block hook itself
  /// (writing PC there makes Unicorn leave the block unrun and go on at the new PC), or, under a
  /// debugger, from the code hook at the block's first instruction.
  void irq_before_block(Cpu& c, std::uint64_t addr) {
    if (debug_ == nullptr) {
      take_irq(c, addr);
    } else {
      c.pending = BlockAction::kDeliverIrq;
    }
  }
  /// Called before a translated block runs. Stopping here means the block does not run (its
  /// instructions are not counted); the first block of a slice always runs, so every slice
  /// makes progress.
  void on_block(Cpu& c, std::uint64_t addr, std::uint32_t size) {
    const std::uint64_t n = size / 4;
    if (c.in_slice + n <= c.quiet_until) [[likely]] {
      c.in_slice += n;
      c.block_end = addr + size;
      return;
    }
    on_block_checked(c, addr, size);
  }
  /// on_block when the block may end the slice or take an interrupt; sets quiet_until.
  void on_block_checked(Cpu& c, std::uint64_t addr, std::uint32_t size);
  /// Under a debugger: before each instruction (breakpoints, steps, moments; debugger.cpp).
  void on_code(Cpu& c, std::uint64_t addr);
  bool debug_wants_stop(Cpu& c, std::uint64_t addr);
  /// A wfi or wfe, trapped (SCR_EL3.TWI/TWE) before it runs, PC at it. A wfi with an interrupt
  /// signalled does not wait and the slice goes on; otherwise the slice ends there (a wfi parks
  /// the CPU until an interrupt is signalled) and the next one starts after the instruction.
  /// (Code hooks are avoided on purpose: with any UC_HOOK_CODE installed, a stop from the block
  /// hook in 2.0.1 can rewind PC over executed stores, which re-runs a store-exclusive and
  /// deadlocks a guest spinlock.)
  void on_wait(Cpu& c, std::uint64_t pc, bool wfi);
  // PCT passes over a waiting CPU (pct.hpp). The machine cannot see which slices wrote memory,
  // so it cannot tell a yield-based spin from progress: a slice ending at wfi/wfe is a wait, and
  // a CPU that ran kPctRunLimit slices in the current round is treated as waiting too. The round
  // ends, and every CPU may run again, when all ready CPUs wait. (Ending it whenever any CPU
  // takes a slice let two spinning CPUs take turns for ever, starving the lock holder.)
  void note_pct_slice(Cpu& c);
  void start_pct_round();
  // system_registers.cpp
  std::uint32_t on_mrs(Cpu& c, uc_arm64_reg reg, const uc_arm64_cp_reg& r);
  std::uint32_t on_msr(Cpu& c, uc_arm64_reg reg, const uc_arm64_cp_reg& r);
  void update_timers(Cpu& c);
  /// Instructions until this CPU's next timer interrupt (or "forever").
  std::uint64_t until_timer(const Cpu& c) const;
  /// Whether the CPU's IRQ line is asserted now (GIC state, or a timer that has come due).
  bool irq_line(Cpu& c);
  /// GIC or timer state changed: recompute the cached line of every CPU at its next check.
  void irq_state_changed();
  // exceptions.cpp
  void on_interrupt(Cpu& c, std::uint32_t intno);
  /// Enters the kernel's vector at `spx_offset` (or `sp0_offset` from EL1t) as the CPU would,
  /// through a stub that clears the exclusive monitor first (architecturally, exception entry
  /// clears it; Unicorn's host-made entry does not; FACTS).
  void take_exception(Cpu& c, std::uint64_t elr, std::uint64_t spx_offset, std::uint64_t sp0_offset, std::uint64_t esr);
  /// The address of a stub "clrex; b target", made once per target.
  std::uint64_t stub_for(std::uint64_t target);
  void deliver_irq(Cpu& c);
  /// Enters the IRQ vector with ELR = pc (PSTATE.I clear, the line asserted: checked by the caller).
  void take_irq(Cpu& c, std::uint64_t pc);
  // firmware_calls.cpp
  void psci(Cpu& c);
  void semihost(Cpu& c);
  void start_cpu(Cpu& c, std::uint64_t entry, std::uint64_t context);
  Cpu* by_mpidr(std::uint64_t mpidr);
  // devices.cpp
  std::uint64_t mmio_read(Cpu& c, std::uint64_t base, std::uint64_t offset, unsigned size);
  void mmio_write(Cpu& c, std::uint64_t base, std::uint64_t offset, unsigned size, std::uint64_t value);
  void unmapped(Cpu& c, std::uint64_t addr, bool fetch);
  static void block_hook(uc_engine*, std::uint64_t addr, std::uint32_t size, void* user);
  static void code_hook(uc_engine*, std::uint64_t addr, std::uint32_t size, void* user);
  static void intr_hook(uc_engine*, std::uint32_t intno, void* user);
  static std::uint32_t mrs_hook(uc_engine*, uc_arm64_reg reg, const uc_arm64_cp_reg* r, void* user);
  static std::uint32_t msr_hook(uc_engine*, uc_arm64_reg reg, const uc_arm64_cp_reg* r, void* user);
  static bool unmapped_hook(uc_engine*, uc_mem_type type, std::uint64_t addr, int, std::int64_t, void* user);
  /// Unicorn's MMIO callbacks for the device at `kBase`.
  template <std::uint64_t kBase>
  static std::uint64_t device_read(uc_engine*, std::uint64_t off, unsigned size, void* user) {
    auto* c = static_cast<Cpu*>(user);
    return c->machine->mmio_read(*c, kBase, off, size);
  }
  template <std::uint64_t kBase>
  static void device_write(uc_engine*, std::uint64_t off, unsigned size, std::uint64_t v, void* user) {
    auto* c = static_cast<Cpu*>(user);
    c->machine->mmio_write(*c, kBase, off, size, v);
  }

  MachineConfig cfg_;
  Result& result_;
  Prng rng_;
  GicV2 gic_;
  ElfImage image_;
  GuestRam ram_;
  std::vector<std::uint8_t> stubs_;
  std::vector<std::uint64_t> stub_targets_;
  std::vector<Cpu> cpus_;
  Pct pct_;
  std::vector<Cpu*> ready_;  // Scratch of pick(), kept to avoid a heap allocation per slice.
  std::vector<std::uint32_t> ready_ids_;
  std::uint32_t last_ = 0;
  bool stopped_ = false;
  DebugControl* debug_ = nullptr;
  Cpu* open_slice_ = nullptr;         ///< A slice a debugger stopped inside.
  std::uint64_t executed_total_ = 0;  ///< Under a debugger: instructions executed, all CPUs.
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace lockstep::emu::unicorn
