#pragma once
// x86_64: a suspended kernel context is its stack pointer; the callee-saved registers
// (rbx, rbp, r12-r15; System V AMD64 ABI 3.2.1) are pushed on that stack by context_switch.

#include <cstdint>

namespace lockstep::hal {

struct Context {
  std::uintptr_t sp = 0;
};

}  // namespace lockstep::hal
