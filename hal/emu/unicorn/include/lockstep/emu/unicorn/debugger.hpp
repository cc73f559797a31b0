#pragma once
// The Unicorn machine under a debugger: stop at breakpoints, step one vCPU by one instruction while
// the others run by the seed's schedule, and step backward by re-executing the seed from the start
// to an earlier moment. A debugged run takes exactly the schedule of an ordinary run of the same
// seed (the failing seed `explore` printed fails the same way), whatever stops are made in it.
//
// A moment is "vCPU c is about to execute its n-th instruction" (mid-slice) or "slice s just
// ended"; both recur identically in every re-execution, which is what makes reverse execution
// re-execution. Writes the debugger makes to registers or memory are not part of the seed's
// history: a reverse step re-runs the seed without them.

#include <array>
#include <cstdint>
#include <functional>
#include <lockstep/emu/unicorn/machine.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lockstep::emu::unicorn {

class Machine;
struct DebugControl;

/// The AArch64 core registers in gdb's order (org.gnu.gdb.aarch64.core): x0..x30, sp, pc, cpsr.
inline constexpr std::size_t kCoreRegisters = 34;
inline constexpr std::size_t kRegSp = 31, kRegPc = 32, kRegCpsr = 33;

enum class StopKind : std::uint8_t {
  kBreakpoint,   ///< A vCPU is about to execute an instruction with a breakpoint.
  kStep,         ///< The stepped vCPU executed its instruction.
  kInterrupted,  ///< The caller's poll asked to stop (gdb's Ctrl-C).
  kBeginning,    ///< Reverse execution reached the start of the run.
  kEnded,        ///< The machine stopped (powered off, deadlock, limit, guest error): see result().
};

struct DebugStop {
  StopKind kind = StopKind::kInterrupted;
  std::uint32_t cpu = 0;  ///< The vCPU the stop concerns (the one that ran last otherwise).
};

/// Polled between slices while the machine runs forward; true stops the run.
using StopPoll = std::function<bool()>;

class Debugger {
 public:
  /// Sets the machine up at its first instruction; error() says why if it could not.
  explicit Debugger(const MachineConfig& config);
  ~Debugger();
  Debugger(const Debugger&) = delete;
  Debugger& operator=(const Debugger&) = delete;

  const std::string& error() const noexcept { return error_; }
  std::uint32_t cpus() const noexcept { return config_.cpus; }
  /// "off", "runnable", "parked in wfi", "stopped (CPU_OFF)".
  std::string_view cpu_state(std::uint32_t cpu) const;
  /// Instructions vCPU `cpu` has executed so far.
  std::uint64_t executed(std::uint32_t cpu) const;
  bool ended() const noexcept;
  /// The machine's result once ended() (status, console, report).
  const Result& result() const noexcept { return *result_; }
  /// The guest's console output since the previous call.
  std::string take_console();

  std::array<std::uint64_t, kCoreRegisters> registers(std::uint32_t cpu) const;
  bool set_register(std::uint32_t cpu, std::size_t reg, std::uint64_t value);
  /// Guest memory (RAM; the kernels map it 1:1); false outside it.
  bool read_memory(std::uint64_t addr, std::span<std::byte> out) const;
  bool write_memory(std::uint64_t addr, std::span<const std::byte> bytes);
  /// The address of an ELF symbol of the image, or 0.
  std::uint64_t symbol(const std::string& name) const;

  void set_breakpoint(std::uint64_t addr, bool on);

  /// Runs the seed's schedule until a breakpoint, the end of the machine, or `poll`.
  DebugStop resume(const StopPoll& poll);
  /// Runs the schedule until vCPU `cpu` has executed one more instruction.
  DebugStop step(std::uint32_t cpu, const StopPoll& poll);
  /// Back to the moment before vCPU `cpu` executed its latest instruction.
  DebugStop reverse_step(std::uint32_t cpu);
  /// Back to the latest breakpoint hit before now, or to the start of the run.
  DebugStop reverse_resume();

  /// How many times the seed was re-executed (for the docs' figures and the tests).
  std::uint64_t reexecutions() const noexcept { return reexecutions_; }

 private:
  bool restart();
  DebugStop run(const StopPoll& poll);
  DebugStop rerun_to(std::uint32_t cpu, std::uint64_t executed);

  MachineConfig config_;
  std::string error_;
  std::unique_ptr<Result> result_;
  std::unique_ptr<DebugControl> control_;
  std::unique_ptr<Machine> machine_;  // Last: it refers to the two above.
  std::vector<std::uint64_t> breakpoints_;
  std::size_t console_taken_ = 0;
  std::uint64_t reexecutions_ = 0;
};

}  // namespace lockstep::emu::unicorn
