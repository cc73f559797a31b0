#pragma once
// The out-of-line HAL calls, as each emulated engine implements them. The HAL functions in
// hal_emu.cpp forward to the engine that runs the calling host thread.

#include <algorithm>
#include <cstdio>
#include <lockstep/emu/machine.hpp>
#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/smp.hpp>
#include <span>

namespace lockstep::emu::detail {

class Engine {
 public:
  virtual std::span<const hal::CpuDescriptor> cpus() const noexcept = 0;
  virtual void wait_for_interrupt() noexcept = 0;
  [[noreturn]] virtual void halt() noexcept = 0;
  virtual void send_ipi(hal::CpuId target, hal::Vector v) noexcept = 0;
  virtual hal::StartResult start_cpu(hal::CpuId cpu, hal::CpuEntry entry, std::span<std::byte> stack) noexcept = 0;
  virtual void timer_set(hal::Cycles deadline, hal::Cycles period) noexcept = 0;
  virtual void console_write(const char* text, std::size_t len) noexcept = 0;
  virtual void test_focus(bool on) noexcept = 0;

 protected:
  ~Engine() = default;
};

extern thread_local Engine* tl_engine;

/// A vCPU's state, as both engines track it.
enum class VcpuState : std::uint8_t { kOff, kRunnable, kWaiting, kHalted, kDead };

/// Its name in the machine report.
constexpr const char* vcpu_state_name(VcpuState s) noexcept {
  switch (s) {
    case VcpuState::kOff: return "never-started";
    case VcpuState::kRunnable: return "running";
    case VcpuState::kWaiting: return "waiting";
    case VcpuState::kHalted: return "halted";
    case VcpuState::kDead: return "dead (fail-start fault)";
  }
  return "?";
}

/// The guest console both engines keep: the first kConsoleCapture bytes in the result, the rest
/// counted as dropped (a chatty guest cannot exhaust the host), echoed to stderr if asked.
inline constexpr std::size_t kConsoleCapture = 4u << 20;
inline void capture_console(RunResult& result, bool echo, const char* text, std::size_t len) noexcept {
  if (echo) std::fwrite(text, 1, len, stderr);
  const std::size_t room = kConsoleCapture - std::min(kConsoleCapture, result.console.size());
  const std::size_t take = std::min(room, len);
  result.console.append(text, take);
  result.console_dropped += len - take;
}

/// The hardware id the emulated machines give logical CPU `cpu`: MPIDR-like, Aff1 = cpu / 16,
/// Aff0 = cpu % 16, so that code mixing up logical and hardware ids fails on any machine.
constexpr hal::HwId emulated_hw_id(hal::CpuId cpu) noexcept { return (hal::HwId{cpu / 16} << 8) | (cpu % 16); }

}  // namespace lockstep::emu::detail
