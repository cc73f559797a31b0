#pragma once
// Fatal errors in the core: a message on the console, the failure recorded for whoever runs
// the machine, and this CPU halted.

#include <lockstep/core/print.hpp>

namespace lockstep::core {

/// Records `message` as the machine's failure, prints it with the CPU id, and halts this CPU.
/// Any context.
[[noreturn]] void panic(const char* message, const char* file, int line) noexcept;

/// The first panic message of this machine, or nullptr.
const char* panic_message() noexcept;

}  // namespace lockstep::core

#define LOCKSTEP_ASSERT(cond, message)                              \
  do {                                                              \
    if (!(cond)) [[unlikely]]                                       \
      ::lockstep::core::panic((message), __FILE__, __LINE__);       \
  } while (0)
