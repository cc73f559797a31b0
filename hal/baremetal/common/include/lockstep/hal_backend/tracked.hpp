#pragma once
// Bare metal: a tracked datum is a plain one (the race detector is the deterministic engine's).

#include <cstddef>

namespace lockstep::hal::backend {

inline void note_access(const void*, std::size_t, bool, const char*, unsigned, const char*) noexcept {}

}  // namespace lockstep::hal::backend
