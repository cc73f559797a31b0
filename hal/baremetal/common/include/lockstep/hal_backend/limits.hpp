#pragma once
// The kernels' limits (hal/types.hpp reads them). A kernel carries a per-CPU record for every
// CPU it could start, in static storage: sized for the machines we boot, not for 1,024.

#include <cstdint>

namespace lockstep::hal::backend {

/// CPUs a kernel starts at most (more in the firmware's tables are reported and ignored).
inline constexpr std::uint32_t kMaxCpus = 64;

}  // namespace lockstep::hal::backend
