#pragma once
// The per-CPU base pointer (GS base on x86_64, TPIDR_EL1 on arm64).

namespace lockstep::hal {

/// Sets this CPU's per-CPU base. Called once per CPU by the core during bring-up.
void set_percpu_base(void* base) noexcept;

/// This CPU's per-CPU base, or nullptr before set_percpu_base(). Any context; not a
/// scheduling point.
inline void* percpu_base() noexcept;

}  // namespace lockstep::hal

// The back end's inline definitions of the functions declared `inline` above.
#include <lockstep/hal_backend/inline.hpp>
