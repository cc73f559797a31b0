#pragma once
// Emulated machines: a tracked access is checked by the deterministic engine's race detector
// while it is on (one predictable test otherwise); the parallel engine does not check.

#include <cstddef>
#include <cstdint>
#include <lockstep/hal_backend/cpu_state.hpp>

namespace lockstep::hal::backend {

inline void note_access(const void* location, std::size_t size, bool write, const char* file, unsigned line,
                        const char* function) noexcept {
  if (emu::detail::tl_races) [[unlikely]]
    emu::detail::det_plain_access(location, static_cast<std::uint8_t>(size < 255 ? size : 255), write, file, line,
                                  function);
}

}  // namespace lockstep::hal::backend
