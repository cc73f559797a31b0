#pragma once
// The atomic type the core uses for every variable shared between CPUs.
//
// The back end defines `template <class T> class Atomic` with std::atomic's interface (load,
// store, exchange, compare_exchange_weak/strong, fetch_add/sub/or/and, explicit memory_order)
// in <lockstep/hal_backend/atomic.hpp>. On bare metal it is std::atomic; on the deterministic
// engine every operation is also a scheduling point. Never use `volatile` for shared flags.

#include <atomic>
#include <lockstep/hal_backend/atomic.hpp>

namespace lockstep::hal {

template <class A>
concept AtomicWord = requires(A a, typename A::value_type v) {
  { a.load(std::memory_order_acquire) };
  a.store(v, std::memory_order_release);
  { a.exchange(v, std::memory_order_acq_rel) };
  { a.compare_exchange_strong(v, v, std::memory_order_acq_rel, std::memory_order_acquire) };
  { a.compare_exchange_weak(v, v, std::memory_order_acq_rel, std::memory_order_acquire) };
  { a.fetch_add(v, std::memory_order_relaxed) };
  { a.fetch_sub(v, std::memory_order_relaxed) };
};

static_assert(AtomicWord<Atomic<std::uint32_t>>, "hal_backend Atomic<T> lacks part of the contract");
static_assert(AtomicWord<Atomic<std::uint64_t>>, "hal_backend Atomic<T> lacks part of the contract");

}  // namespace lockstep::hal
