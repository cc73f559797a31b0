#pragma once
// Emulated machines: std::atomic, with a scheduling point before every operation while the
// deterministic engine runs. The point comes first so that the operation sees the memory of
// the moment this vCPU is scheduled again: every interleaving of whole operations can arise.
// Memory is sequentially consistent under the deterministic engine (weaker orders are not
// explored); under the parallel engine the requested orders are the host's.

#include <atomic>
#include <lockstep/hal_backend/cpu_state.hpp>

namespace lockstep::hal {

namespace detail {
inline void atomic_point() noexcept {
  if (emu::detail::tl_det) [[unlikely]]
    emu::detail::det_atomic_point();
}
}  // namespace detail

template <class T>
class Atomic {
 public:
  using value_type = T;
  constexpr Atomic() noexcept : v_() {}
  constexpr Atomic(T v) noexcept : v_(v) {}  // NOLINT(google-explicit-constructor): as std::atomic.
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order o = std::memory_order_seq_cst) const noexcept {
    detail::atomic_point();
    return v_.load(o);
  }
  void store(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    detail::atomic_point();
    v_.store(v, o);
  }
  T exchange(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    detail::atomic_point();
    return v_.exchange(v, o);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s = std::memory_order_seq_cst,
                               std::memory_order f = std::memory_order_seq_cst) noexcept {
    detail::atomic_point();
    return v_.compare_exchange_strong(expected, desired, s, f);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s = std::memory_order_seq_cst,
                             std::memory_order f = std::memory_order_seq_cst) noexcept {
    detail::atomic_point();
    return v_.compare_exchange_weak(expected, desired, s, f);
  }
  T fetch_add(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    detail::atomic_point();
    return v_.fetch_add(v, o);
  }
  T fetch_sub(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    detail::atomic_point();
    return v_.fetch_sub(v, o);
  }
  T fetch_or(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    detail::atomic_point();
    return v_.fetch_or(v, o);
  }
  T fetch_and(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    detail::atomic_point();
    return v_.fetch_and(v, o);
  }

 private:
  std::atomic<T> v_;
};

}  // namespace lockstep::hal
