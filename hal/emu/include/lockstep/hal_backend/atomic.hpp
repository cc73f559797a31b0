#pragma once
// Emulated machines: std::atomic, with a scheduling point before every operation while the
// deterministic engine runs. The point comes first so that the operation sees the memory of
// the moment this vCPU is scheduled again: every interleaving of whole operations can arise.
// Memory is sequentially consistent under the deterministic engine (weaker orders are not
// explored); under the parallel engine the requested orders are the host's.

#include <atomic>
#include <lockstep/hal_backend/cpu_state.hpp>

namespace lockstep::hal {

template <class T>
class Atomic {
 public:
  using value_type = T;
  constexpr Atomic() noexcept : v_() {}
  constexpr Atomic(T v) noexcept : v_(v) {}  // NOLINT(google-explicit-constructor): as std::atomic.
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order o = std::memory_order_seq_cst) const noexcept {
    if (emu::detail::tl_det) [[unlikely]]
      emu::detail::det_atomic_point(&v_, emu::detail::Access::kRead);
    return v_.load(o);
  }
  void store(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    modify([&] { v_.store(v, o); });
  }
  T exchange(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    return modify([&] { return v_.exchange(v, o); });
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s = std::memory_order_seq_cst,
                               std::memory_order f = std::memory_order_seq_cst) noexcept {
    return modify([&] { return v_.compare_exchange_strong(expected, desired, s, f); });
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s = std::memory_order_seq_cst,
                             std::memory_order f = std::memory_order_seq_cst) noexcept {
    return modify([&] { return v_.compare_exchange_weak(expected, desired, s, f); });
  }
  T fetch_add(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    return modify([&] { return v_.fetch_add(v, o); });
  }
  T fetch_sub(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    return modify([&] { return v_.fetch_sub(v, o); });
  }
  T fetch_or(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    return modify([&] { return v_.fetch_or(v, o); });
  }
  T fetch_and(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    return modify([&] { return v_.fetch_and(v, o); });
  }

 private:
  /// Runs a writing operation. On the deterministic engine: a scheduling point first, and
  /// afterwards a note to the engine if the value changed (not a failed compare-exchange, not
  /// a store of the value already there), since only then can a spinner see something new
  /// (emu/spin_wait.hpp). Nothing else runs in between: the engine has one host thread.
  template <class Op>
  auto modify(Op op) noexcept {
    if (!emu::detail::tl_det) [[likely]]
      return op();
    emu::detail::det_atomic_point(&v_, emu::detail::Access::kWrite);
    const T before = v_.load(std::memory_order_relaxed);
    struct Changed {
      const std::atomic<T>& v;
      T before;
      ~Changed() {
        if (v.load(std::memory_order_relaxed) != before) emu::detail::det_memory_changed(&v);
      }
    } note{v_, before};
    return op();
  }

  std::atomic<T> v_;
};

}  // namespace lockstep::hal
