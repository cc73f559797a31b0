#include <lockstep/core/panic.hpp>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/cpu.hpp>
#include <lockstep/hal/irq.hpp>

#include "state.hpp"

namespace lockstep::core {
namespace {
// 0: no panic; 1: a CPU is writing the message; 2: message published.
hal::Atomic<std::uint32_t> g_panic_state{0};
char g_message[TextBuffer::kCapacity];
}  // namespace

void detail::reset_panic() noexcept {
  g_panic_state.store(0, std::memory_order_relaxed);
  g_message[0] = '\0';
}

void panic(const char* message, const char* file, int line) noexcept {
  (void)hal::irq_save_disable();
  const hal::CpuId cpu = hal::current_cpu_id();
  std::uint32_t expected = 0;
  if (g_panic_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    TextBuffer text;
    text.format("cpu {}: {}", cpu, message);
    text.put('\0');
    copy_string(g_message, sizeof g_message, text.data());
    g_panic_state.store(2, std::memory_order_release);
  }
  print("panic: cpu {}: {} ({}:{})\n", cpu, message, file, line);
  hal::halt();
}

const char* panic_message() noexcept {
  return g_panic_state.load(std::memory_order_acquire) == 2 ? g_message : nullptr;
}

}  // namespace lockstep::core
