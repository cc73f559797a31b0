#pragma once
// The bare-metal back ends' own per-CPU block, reached through the architecture's per-CPU
// register (GS base on x86_64, TPIDR_EL1 on arm64). It holds what the inline HAL functions read
// in one instruction; the core's per-CPU record hangs off it.

#include <cstddef>
#include <lockstep/hal/types.hpp>

namespace lockstep::hal::baremetal {

struct CpuLocal {
  CpuLocal* self;      ///< Offset 0: lets x86_64 turn %gs:0 into a pointer.
  void* core_percpu;   ///< hal::set_percpu_base() / percpu_base().
  CpuId id;
  HwId hw_id;
};

inline constexpr std::size_t kCpuLocalPercpuOffset = offsetof(CpuLocal, core_percpu);
inline constexpr std::size_t kCpuLocalIdOffset = offsetof(CpuLocal, id);

}  // namespace lockstep::hal::baremetal
