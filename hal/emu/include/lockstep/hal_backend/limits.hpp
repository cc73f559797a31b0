#pragma once
// The emulated machines' limits (hal/types.hpp reads them).

#include <cstdint>

namespace lockstep::hal::backend {

/// The largest emulated machine: the core sizes its static per-CPU tables by it.
inline constexpr std::uint32_t kMaxCpus = 1024;

}  // namespace lockstep::hal::backend
