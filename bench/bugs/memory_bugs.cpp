// Weak-memory bugs and a data race: programs that are correct under sequential consistency and
// wrong on real CPUs (a missing release, a missing barrier), or whose shared plain data two
// different locks "guard". Each pairs with the model that must expose it (docs/ARCHITECTURE.md,
// "Memory models"; tests/search/memory_bugs_test.cpp):
//   relaxed_unlock   a spinlock released by a relaxed store: caught under arm, passes sc and tso;
//   release_unlock   the same with a release store: passes everywhere;
//   mp_relaxed_flag  data published by a relaxed flag: caught under arm, passes sc and tso;
//   mp_release_flag  the same with a release flag: passes everywhere;
//   dekker           a Dekker entry without a full fence (store buffering): caught under tso and arm;
//   wrong_lock_race  a plain datum written under one lock and read under another: the race
//                    detector names both accesses under every model.

#include "harness.hpp"

namespace lockstep::bugs {
namespace {

// --- relaxed_unlock / release_unlock ------------------------------------------------------

hal::Atomic<std::uint32_t> g_lock{0};
hal::Atomic<int> g_counter{0};  // Relaxed-atomic data the lock guards (as a statistics field).
constexpr int kLockRounds = 2;
constexpr std::uint32_t kLockThreads = 2;
std::memory_order g_unlock_order = std::memory_order_release;

void take_lock() {
  while (g_lock.exchange(1, std::memory_order_acquire) != 0)
    while (g_lock.load(std::memory_order_relaxed) != 0) hal::relax();
}

void counting_thread(std::uint32_t) {
  for (int k = 0; k < kLockRounds; ++k) {
    take_lock();
    g_counter.store(g_counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    g_lock.store(0, g_unlock_order);  // relaxed_unlock's BUG: the holder's stores may stay behind.
  }
}

void run_lock_program(core::WorkloadResult& result, std::memory_order unlock) {
  g_lock.store(0);
  g_counter.store(0);
  g_unlock_order = unlock;
  run_threads(result, kLockThreads, counting_thread, 0, [] {
    if (g_counter.load() != static_cast<int>(kLockThreads) * kLockRounds)
      bug("relaxed_unlock: an increment made under the lock was lost");
  });
}

// --- mp_relaxed_flag / mp_release_flag -----------------------------------------------------

hal::Atomic<int> g_data{0};
hal::Atomic<int> g_flag{0};
std::memory_order g_flag_order = std::memory_order_release;

void message_thread(std::uint32_t index) {
  if (index == 0) {
    g_data.store(42, std::memory_order_relaxed);
    g_flag.store(1, g_flag_order);  // mp_relaxed_flag's BUG: the data may arrive after the flag.
    return;
  }
  while (g_flag.load(std::memory_order_acquire) == 0) hal::relax();
  if (g_data.load(std::memory_order_relaxed) != 42) bug("mp_relaxed_flag: the flag arrived before the data");
}

void run_message_program(core::WorkloadResult& result, std::memory_order flag) {
  g_data.store(0);
  g_flag.store(0);
  g_flag_order = flag;
  run_threads(result, 2, message_thread);
}

// --- dekker --------------------------------------------------------------------------------

hal::Atomic<int> g_wants[2];
hal::Atomic<int> g_inside{0};

void dekker_thread(std::uint32_t index) {
  g_wants[index].store(1, std::memory_order_release);
  // BUG: no hal::fence(seq_cst) here: the store may wait in the store buffer past the load.
  if (g_wants[1 - index].load(std::memory_order_acquire) != 0) return;  // The other goes first.
  if (g_inside.fetch_add(1) != 0) bug("dekker: two CPUs inside the critical section");
  g_inside.fetch_sub(1);
}

// --- wrong_lock_race -------------------------------------------------------------------------

Mutex g_lock_a{"wrong_lock.a"};
Mutex g_lock_b{"wrong_lock.b"};
hal::Tracked<int> g_balance;

void wrong_lock_thread(std::uint32_t index) {
  if (index == 0) {
    core::SpinlockGuard guard(g_lock_a);
    g_balance.write() += 10;
  } else {
    core::SpinlockGuard guard(g_lock_b);  // BUG: the balance's lock is a.
    if (g_balance.read() < 0) bug("wrong_lock_race: a negative balance");
  }
}

}  // namespace
}  // namespace lockstep::bugs

namespace bugs = lockstep::bugs;

LOCKSTEP_SCENARIO(relaxed_unlock, "weak-memory bug: a spinlock released by a relaxed store (found under arm)") {
  bugs::run_lock_program(result, std::memory_order_relaxed);
}
LOCKSTEP_SCENARIO(release_unlock, "weak-memory check: the same spinlock released by a release store (passes)") {
  bugs::run_lock_program(result, std::memory_order_release);
}
LOCKSTEP_SCENARIO(mp_relaxed_flag, "weak-memory bug: data published by a relaxed flag (found under arm)") {
  bugs::run_message_program(result, std::memory_order_relaxed);
}
LOCKSTEP_SCENARIO(mp_release_flag, "weak-memory check: data published by a release flag (passes)") {
  bugs::run_message_program(result, std::memory_order_release);
}
LOCKSTEP_SCENARIO(dekker, "weak-memory bug: a Dekker entry without a full fence (found under tso and arm)") {
  bugs::g_wants[0].store(0);
  bugs::g_wants[1].store(0);
  bugs::g_inside.store(0);
  bugs::run_threads(result, 2, bugs::dekker_thread);
}
LOCKSTEP_SCENARIO(wrong_lock_race, "data race: a plain datum written under one lock, read under another") {
  bugs::g_balance.write() = 0;
  bugs::run_threads(result, 2, bugs::wrong_lock_thread);
}
