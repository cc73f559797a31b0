#pragma once
// Bare metal: the core's atomic type is std::atomic itself (lock-free, no library calls; the
// arm64 build uses -mno-outline-atomics so nothing calls into libgcc).

#include <atomic>

namespace lockstep::hal {

template <class T>
using Atomic = std::atomic<T>;

static_assert(std::atomic<unsigned long>::is_always_lock_free, "the kernels need lock-free 64-bit atomics");

}  // namespace lockstep::hal
