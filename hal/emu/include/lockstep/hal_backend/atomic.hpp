#pragma once
// Emulated machines: std::atomic, with a scheduling point before every operation while the
// deterministic engine runs. The point comes first so that the operation sees the memory of
// the moment this vCPU is scheduled again: every interleaving of whole operations can arise.
// Under the deterministic engine memory is sequentially consistent by default; with the tso
// model (emu::MemoryModel) a store that is not seq_cst waits in the vCPU's store buffer, its own
// loads see it first, and read-modify-writes and seq_cst stores drain the buffer first, as on
// x86 (hal/emu/src/store_buffer.hpp). Under the parallel engine the orders are the host's.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <lockstep/hal_backend/cpu_state.hpp>
#include <type_traits>

namespace lockstep::hal {

template <class T>
class Atomic {
 public:
  using value_type = T;
  constexpr Atomic() noexcept : v_() { forget_history(); }
  constexpr Atomic(T v) noexcept : v_(v) { forget_history(); }  // NOLINT(google-explicit-constructor): as std::atomic.
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order o = std::memory_order_seq_cst) const noexcept {
    if (emu::detail::tl_det) [[unlikely]] {
      emu::detail::det_atomic_point(&v_, emu::detail::Access::kRead);
      if (emu::detail::tl_views) return from_bits(emu::detail::det_view_load(&v_, sizeof(T), o));
      T buffered;
      if (emu::detail::tl_tso && emu::detail::det_tso_forward(&v_, &buffered, sizeof(T))) return buffered;
    }
    return v_.load(o);
  }
  /// Always inlined: with the engine's path beside it GCC kept it out of line, a call per store
  /// on the parallel engine and on the host (4-9 % of a contended lock's time).
  [[gnu::always_inline]] void store(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    if (!emu::detail::tl_det) [[likely]]
      return v_.store(v, o);
    det_store(v, o);
  }
  T exchange(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    if (!emu::detail::tl_det) [[likely]]
      return v_.exchange(v, o);
    return det_write(o, [v](T) { return v; });
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s = std::memory_order_seq_cst,
                               std::memory_order f = std::memory_order_seq_cst) noexcept {
    if (!emu::detail::tl_det) [[likely]]
      return v_.compare_exchange_strong(expected, desired, s, f);
    return det_compare_exchange(expected, desired, s, f);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s = std::memory_order_seq_cst,
                             std::memory_order f = std::memory_order_seq_cst) noexcept {
    if (!emu::detail::tl_det) [[likely]]
      return v_.compare_exchange_weak(expected, desired, s, f);
    return det_compare_exchange(expected, desired, s, f);  // Never fails spuriously here.
  }
  T fetch_add(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    if (!emu::detail::tl_det) [[likely]]
      return v_.fetch_add(v, o);
    return det_write(o, [v](T old) { return static_cast<T>(old + v); });
  }
  T fetch_sub(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    if (!emu::detail::tl_det) [[likely]]
      return v_.fetch_sub(v, o);
    return det_write(o, [v](T old) { return static_cast<T>(old - v); });
  }
  T fetch_or(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    if (!emu::detail::tl_det) [[likely]]
      return v_.fetch_or(v, o);
    return det_write(o, [v](T old) { return static_cast<T>(old | v); });
  }
  T fetch_and(T v, std::memory_order o = std::memory_order_seq_cst) noexcept
    requires std::is_integral_v<T>
  {
    if (!emu::detail::tl_det) [[likely]]
      return v_.fetch_and(v, o);
    return det_write(o, [v](T old) { return static_cast<T>(old & v); });
  }

 private:
  // The deterministic engine runs every vCPU on one host thread, so an operation there is a
  // scheduling point followed by a plain read and write: nothing can come between them, and a
  // locked instruction (a full barrier on x86) would only cost time. Afterwards the engine
  // hears whether the value changed (not for a failed compare-exchange or a store of the value
  // already there), since only then can a spinner see something new (emu/spin_wait.hpp).

  [[gnu::noinline]] void det_store(T v, std::memory_order o) noexcept {
    if (emu::detail::tl_views) {
      emu::detail::det_atomic_point(&v_, emu::detail::Access::kWrite);
      return emu::detail::det_view_store(&v_, to_bits(v), sizeof(T), o);
    }
    if (emu::detail::tl_tso && o != std::memory_order_seq_cst) {
      emu::detail::det_atomic_point(&v_, emu::detail::Access::kWrite);
      emu::detail::det_tso_store(&v_, &v, sizeof(T));
      return;
    }
    det_write(o, [v](T) { return v; });
  }

  /// Replaces the value by `next(old)`; returns the old one.
  template <class Next>
  T det_write(std::memory_order o, Next next) noexcept {
    emu::detail::det_atomic_point(&v_, emu::detail::Access::kWrite);
    if (emu::detail::tl_tso) emu::detail::det_tso_drain();  // A locked instruction drains it.
    if (emu::detail::tl_views) [[unlikely]] {
      const T old = from_bits(emu::detail::det_view_rmw_read(&v_, sizeof(T)));
      emu::detail::det_view_rmw_write(&v_, sizeof(T), to_bits(next(old)), o);
      return old;
    }
    const T old = v_.load(std::memory_order_relaxed);
    const T now = next(old);
    v_.store(now, std::memory_order_relaxed);
    if (now != old && emu::detail::tl_watch_changes) emu::detail::det_memory_changed(&v_);
    return old;
  }

  bool det_compare_exchange(T& expected, T desired, std::memory_order s, std::memory_order f) noexcept {
    emu::detail::det_atomic_point(&v_, emu::detail::Access::kWrite);
    if (emu::detail::tl_tso) emu::detail::det_tso_drain();
    const T old = emu::detail::tl_views ? from_bits(emu::detail::det_view_rmw_read(&v_, sizeof(T)))
                                        : v_.load(std::memory_order_relaxed);
    if (old != expected) {
      if (emu::detail::tl_views) emu::detail::det_view_rmw_fail(f);
      expected = old;
      return false;
    }
    if (emu::detail::tl_views) {
      emu::detail::det_view_rmw_write(&v_, sizeof(T), to_bits(desired), s);
      return true;
    }
    v_.store(desired, std::memory_order_relaxed);
    if (desired != old && emu::detail::tl_watch_changes) emu::detail::det_memory_changed(&v_);
    return true;
  }

  // The views see values as their bits (every T here is 1-8 bytes, trivially copyable).
  static std::uint64_t to_bits(T v) noexcept {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    return bits;
  }
  static T from_bits(std::uint64_t bits) noexcept {
    T v;
    std::memcpy(&v, &bits, sizeof(T));
    return v;
  }
  /// A new Atomic where an old one was: under the views, the old one's stores are not its own.
  constexpr void forget_history() noexcept {
    if (!std::is_constant_evaluated() && emu::detail::tl_views) [[unlikely]]
      emu::detail::det_view_forget(&v_);
  }
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "hal::Atomic holds 1-8 byte values");

  std::atomic<T> v_;
};

}  // namespace lockstep::hal
