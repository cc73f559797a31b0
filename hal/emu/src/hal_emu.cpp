// The out-of-line HAL contract for the emulated machines: forwards to the running engine.

#include <lockstep/hal/hal.hpp>

#include "engine.hpp"

namespace lockstep::emu::detail {
thread_local constinit CpuHot* tl_cpu = nullptr;
thread_local constinit bool tl_det = false;
thread_local constinit bool tl_watch_changes = false;
thread_local constinit bool tl_tso = false;
thread_local constinit bool tl_views = false;
thread_local constinit bool tl_races = false;
thread_local Engine* tl_engine = nullptr;
}  // namespace lockstep::emu::detail

namespace lockstep::hal {

using emu::detail::tl_engine;

std::span<const CpuDescriptor> platform_cpus() noexcept { return tl_engine->cpus(); }
void wait_for_interrupt() noexcept { tl_engine->wait_for_interrupt(); }
void halt() noexcept {
  tl_engine->halt();
  __builtin_unreachable();
}
void send_ipi(CpuId target, Vector v) noexcept { tl_engine->send_ipi(target, v); }
StartResult start_cpu(CpuId cpu, CpuEntry entry, std::span<std::byte> stack) noexcept {
  return tl_engine->start_cpu(cpu, entry, stack);
}
void set_percpu_base(void* base) noexcept { emu::detail::tl_cpu->percpu = base; }
void timer_set_periodic(Cycles period) noexcept { tl_engine->timer_set(cycle_counter() + period, period); }
void timer_stop() noexcept { tl_engine->timer_set(0, 0); }
void console_write(const char* text, std::size_t len) noexcept { tl_engine->console_write(text, len); }
void test_focus(bool on) noexcept { tl_engine->test_focus(on); }

}  // namespace lockstep::hal
