// The one way up from the HAL into the kernel program besides kernel_main(): the stop hook.

#include <lockstep/baremetal/entry.hpp>

namespace lockstep::baremetal {
namespace {

StopHook g_stop_hook = nullptr;

}  // namespace

void set_stop_hook(StopHook hook) noexcept { g_stop_hook = hook; }

void cpu_halting(hal::CpuId cpu) noexcept {
  if (g_stop_hook != nullptr) g_stop_hook(Stop::kCpuHalt, cpu);
}

void fatal_fault(hal::CpuId cpu) noexcept {
  if (g_stop_hook != nullptr) g_stop_hook(Stop::kFault, cpu);
  platform_exit(false);
}

}  // namespace lockstep::baremetal
