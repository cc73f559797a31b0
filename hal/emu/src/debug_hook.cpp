// The debugger's variables and breakpoint function (emu/debug_hook.hpp).

#include <lockstep/emu/debug_hook.hpp>

extern "C" {

std::uint64_t lockstep_debug_stop_at = 0;
std::uint32_t lockstep_debug_stop_cpu = lockstep::emu::kDebugAnyCpu;
std::uint32_t lockstep_debug_watch = 0;
std::uint32_t lockstep_debug_stop_on_failure = 0;
lockstep_debug_state lockstep_debug = {};

// Out of line and opaque: the breakpoint needs a call to land on, and the memory clobber keeps
// the compiler from assuming the variables above are unchanged across it (gdb writes them here).
[[gnu::noinline, gnu::used]] void lockstep_debug_stop() noexcept { asm volatile("" ::: "memory"); }
}
