// COM1 (16550 UART at I/O port 0x3F8), polled, as the HAL console.

#include <lockstep/baremetal/console_lock.hpp>
#include <lockstep/hal/hal.hpp>

#include "arch.hpp"

namespace lockstep::x86 {
namespace {

constexpr std::uint16_t kCom1 = 0x3F8;
// 16550 registers (offsets from the base port) and bits.
constexpr std::uint16_t kData = 0, kIer = 1, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5;
constexpr std::uint8_t kLsrThrEmpty = 0x20;
constexpr std::uint8_t kLcrDlab = 0x80, kLcr8N1 = 0x03;

baremetal::ConsoleLock g_console_lock;

void put(char c) noexcept {
  for (int spins = 0; spins < 100000 && (inb(kCom1 + kLsr) & kLsrThrEmpty) == 0; ++spins) hal::relax();
  outb(kCom1 + kData, static_cast<std::uint8_t>(c));
}

std::uint32_t my_token() noexcept {
  // Before this CPU has a GS base (early boot) only the boot CPU runs.
  return rdmsr(kMsrGsBase) == 0 ? 0u : hal::current_cpu_id();
}

}  // namespace

void serial_init() noexcept {
  outb(kCom1 + kIer, 0);          // no UART interrupts
  outb(kCom1 + kLcr, kLcrDlab);
  outb(kCom1 + kData, 1);          // divisor 1: 115200 baud
  outb(kCom1 + kIer, 0);
  outb(kCom1 + kLcr, kLcr8N1);
  outb(kCom1 + kFcr, 0xC7);        // FIFO on, cleared, 14-byte threshold
  outb(kCom1 + kMcr, 0x03);        // DTR, RTS
}

void serial_write_raw(const char* text, std::size_t len) noexcept {
  for (std::size_t i = 0; i < len; ++i) put(text[i]);
}

}  // namespace lockstep::x86

void lockstep::hal::console_write(const char* text, std::size_t len) noexcept {
  x86::g_console_lock.write_locked(x86::my_token(), [&] { x86::serial_write_raw(text, len); });
}
