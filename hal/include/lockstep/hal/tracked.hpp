#pragma once
// Plain (non-atomic) data shared between CPUs, which locks or other synchronisation must order:
// the fields a lock guards, a mailbox handed over by an IPI. On bare metal and the parallel
// engine a Tracked<T> is exactly a T. On the deterministic engine with the race detector on
// (docs/ARCHITECTURE.md, "Race detector"), every access is checked against the vector clocks
// the engine keeps from the atomics' memory orders and the HAL's synchronisation points: two
// accesses from different vCPUs, at least one a write, that happen-before does not order end
// the run with a report naming both (the call sites come from the default arguments).
//
// After Loom's UnsafeCell: the access is explicit, `read()` or `write()`, so every use says
// what it does and none escapes the check.

#include <lockstep/hal_backend/tracked.hpp>

namespace lockstep::hal {

template <class T>
class Tracked {
 public:
  constexpr Tracked() noexcept = default;
  constexpr explicit Tracked(const T& v) noexcept : v_(v) {}
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;

  /// The value, checked as a read.
  const T& read(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                const char* function = __builtin_FUNCTION()) const noexcept {
    backend::note_access(&v_, sizeof(T), false, file, line, function);
    return v_;
  }
  /// The value to change, checked as a write (a read-modify-write counts as one).
  T& write(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
           const char* function = __builtin_FUNCTION()) noexcept {
    backend::note_access(&v_, sizeof(T), true, file, line, function);
    return v_;
  }

 private:
  T v_{};
};

static_assert(sizeof(Tracked<unsigned long>) == sizeof(unsigned long), "a Tracked<T> is exactly a T");

}  // namespace lockstep::hal
