#pragma once
// The out-of-line HAL calls, as each emulated engine implements them. The HAL functions in
// hal_emu.cpp forward to the engine that runs the calling host thread.

#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/smp.hpp>
#include <span>

namespace lockstep::emu::detail {

class Engine {
 public:
  virtual hal::HwId hw_id(hal::CpuId cpu) const noexcept = 0;
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

/// The hardware id the emulated machines give logical CPU `cpu`: MPIDR-like, Aff1 = cpu / 16,
/// Aff0 = cpu % 16, so that code mixing up logical and hardware ids fails on any machine.
constexpr hal::HwId emulated_hw_id(hal::CpuId cpu) noexcept { return (hal::HwId{cpu / 16} << 8) | (cpu % 16); }

}  // namespace lockstep::emu::detail
