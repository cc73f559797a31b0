#pragma once
// arm64: a suspended kernel context is its stack pointer; context_switch saves the
// callee-saved registers x19-x30 on that stack (AAPCS64 6.1.1).

#include <cstdint>

namespace lockstep::hal {

struct Context {
  std::uintptr_t sp = 0;
};

}  // namespace lockstep::hal
