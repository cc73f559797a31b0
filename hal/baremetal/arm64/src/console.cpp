// The PL011 UART (PrimeCell UART PL011 TRM, 3.2), polled, as the HAL console. The firmware
// (QEMU) leaves it enabled at its default rate, so the kernel only writes data.

#include <lockstep/baremetal/console_lock.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

namespace lockstep::arm64 {
namespace {

constexpr std::uintptr_t kUartDr = 0x000, kUartFr = 0x018;
constexpr std::uint32_t kUartFrTxff = 1u << 5;  // Transmit FIFO full.

std::uintptr_t g_uart = kDefaultUart;

baremetal::ConsoleLock g_console_lock;

void put(char c) noexcept {
  for (int spins = 0; spins < 100000 && (mmio_read32(g_uart + kUartFr) & kUartFrTxff) != 0; ++spins) hal::relax();
  mmio_write32(g_uart + kUartDr, static_cast<std::uint8_t>(c));
}

std::uint32_t my_token() noexcept {
  // Before this CPU has its CpuLocal (early boot) only the boot CPU runs.
  return LOCKSTEP_READ_SYSREG(tpidr_el1) == 0 ? 0u : hal::current_cpu_id();
}

}  // namespace

void uart_init(std::uintptr_t base) noexcept {
  if (base != 0) g_uart = base;
}

}  // namespace lockstep::arm64

void lockstep::hal::console_write(const char* text, std::size_t len) noexcept {
  ::lockstep::arm64::g_console_lock.write_locked(::lockstep::arm64::my_token(), [&] {
    for (std::size_t i = 0; i < len; ++i) ::lockstep::arm64::put(text[i]);
  });
}
