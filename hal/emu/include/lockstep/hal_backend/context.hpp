#pragma once
// Emulated machines: a kernel context is a Boost.Context fcontext fiber.

#include <cstddef>

namespace lockstep::hal {

/// One suspended flow of control on the emulated machines. Owned by whoever embeds it (a core
/// task, an engine vCPU); the stack it runs on belongs to that owner too.
struct Context {
  void* fctx = nullptr;            ///< boost::context fcontext_t of the suspended flow.
  void* stack_base = nullptr;      ///< Lowest address of the flow's stack (sanitizer annotations).
  std::size_t stack_size = 0;
  void* tsan_fiber = nullptr;      ///< ThreadSanitizer fiber handle, when built with TSan.
  void (*entry)(void*) = nullptr;  ///< Start function until the first switch-in.
  void* arg = nullptr;
};

}  // namespace lockstep::hal
