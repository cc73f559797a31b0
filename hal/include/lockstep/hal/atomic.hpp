#pragma once
// The atomic type the core uses for every variable shared between CPUs.
//
// The back end defines `template <class T> class Atomic` with std::atomic's interface (load,
// store, exchange, compare_exchange_weak/strong, fetch_add/sub/or/and, explicit memory_order)
// in <lockstep/hal_backend/atomic.hpp>. On bare metal it is std::atomic; on the deterministic
// engine every operation is also a scheduling point. Never use `volatile` for shared flags.

#include <atomic>
#include <concepts>
#include <cstdint>
#include <lockstep/hal_backend/atomic.hpp>
#include <type_traits>

namespace lockstep::hal {

/// What the core does with any atomic: load, store, exchange, compare-and-exchange, each with
/// an explicit order, and a constant initialiser (the core's atomics are static or members).
template <class A>
concept AtomicFlag = std::is_constructible_v<A, typename A::value_type> && requires(A a, typename A::value_type v) {
  { a.load(std::memory_order_acquire) } -> std::same_as<typename A::value_type>;
  a.store(v, std::memory_order_release);
  { a.exchange(v, std::memory_order_acq_rel) } -> std::same_as<typename A::value_type>;
  { a.compare_exchange_strong(v, v, std::memory_order_acq_rel, std::memory_order_acquire) } -> std::same_as<bool>;
  { a.compare_exchange_weak(v, v, std::memory_order_acq_rel, std::memory_order_acquire) } -> std::same_as<bool>;
};

/// And with an integer: the arithmetic and bit operations (ipi.cpp sets and clears pending bits).
template <class A>
concept AtomicWord = AtomicFlag<A> && requires(A a, typename A::value_type v) {
  { a.fetch_add(v, std::memory_order_relaxed) } -> std::same_as<typename A::value_type>;
  { a.fetch_sub(v, std::memory_order_relaxed) } -> std::same_as<typename A::value_type>;
  { a.fetch_or(v, std::memory_order_acq_rel) } -> std::same_as<typename A::value_type>;
  { a.fetch_and(v, std::memory_order_acq_rel) } -> std::same_as<typename A::value_type>;
};

// Every width the core instantiates (a back end missing one fails here, naming the type).
static_assert(AtomicFlag<Atomic<bool>>, "hal_backend Atomic<bool> lacks part of the contract");
static_assert(AtomicWord<Atomic<std::uint8_t>>, "hal_backend Atomic<uint8_t> lacks part of the contract");
static_assert(AtomicWord<Atomic<std::uint32_t>>, "hal_backend Atomic<uint32_t> lacks part of the contract");
static_assert(AtomicWord<Atomic<std::uint64_t>>, "hal_backend Atomic<uint64_t> lacks part of the contract");
static_assert(AtomicWord<Atomic<std::uintptr_t>>, "hal_backend Atomic<uintptr_t> lacks part of the contract");

}  // namespace lockstep::hal
