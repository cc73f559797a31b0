// Re-implementations of SCTBench programs (Thomson, Donaldson, Betts, TOPC 2016; sources in
// mc-imperial/sctbench, benchmarks/concurrent-software-benchmarks and chess) as scenarios:
// same threads, same shared variables, same assertion. Thread counts follow SCTBench (where
// PERIOD's copies, which RFF and SURW ran, differ, the comment says so).

#include "harness.hpp"

namespace lockstep::bugs {
namespace {

// --- reorder_N: setters write a = 1, b = -1; checkers see (a, b) half-written ----------------

hal::Atomic<int> g_a{0}, g_b{0};
std::uint32_t g_setters = 0;

void reorder_thread(std::uint32_t i) {
  if (i < g_setters) {
    g_a.store(1);
    g_b.store(-1);
  } else {
    const int a = g_a.load();
    if (a == 0 && g_b.load() == 0) return;  // C's short-circuit evaluation, as the original.
    if (a == 1 && g_b.load() == -1) return;
    bug("reorder: the checker saw a half-written pair");
  }
}

void reorder(core::WorkloadResult& result, std::uint32_t setters, std::uint32_t checkers) {
  g_a.store(0);
  g_b.store(0);
  g_setters = setters;
  run_threads(result, setters + checkers, reorder_thread);
}

// --- twostage: stage 1 and stage 2 under different locks, checked in between ----------------

Mutex g_data1_lock{"twostage.data1"}, g_data2_lock{"twostage.data2"};
hal::Atomic<int> g_data1{0}, g_data2{0};
std::uint32_t g_writers = 0;

void twostage_thread(std::uint32_t i) {
  if (i < g_writers) {
    {
      core::SpinlockGuard g(g_data1_lock);
      g_data1.store(1);
    }
    core::SpinlockGuard g(g_data2_lock);
    g_data2.store(g_data1.load() + 1);
    return;
  }
  int t1 = 0;
  {
    core::SpinlockGuard g(g_data1_lock);
    if (g_data1.load() == 0) return;
    t1 = g_data1.load();
  }
  int t2 = 0;
  {
    core::SpinlockGuard g(g_data2_lock);
    t2 = g_data2.load();
  }
  if (t2 != t1 + 1) bug("twostage: the reader ran between the writer's two stages");
}

void twostage(core::WorkloadResult& result, std::uint32_t writers, std::uint32_t readers) {
  g_data1.store(0);
  g_data2.store(0);
  g_writers = writers;
  run_threads(result, writers + readers, twostage_thread);
}

// --- wronglock: one thread checks its increment under dataLock, the others use thisLock -------

Mutex g_data_lock{"wronglock.data"}, g_this_lock{"wronglock.this"};
hal::Atomic<int> g_value{0};

void wronglock_thread(std::uint32_t i) {
  if (i == 0) {
    core::SpinlockGuard g(g_data_lock);
    const int x = g_value.load();
    g_value.store(g_value.load() + 1);
    if (g_value.load() != x + 1) bug("wronglock: an increment under the other lock came in between");
    return;
  }
  core::SpinlockGuard g(g_this_lock);
  g_value.store(g_value.load() + 1);
}

void wronglock(core::WorkloadResult& result, std::uint32_t others) {
  g_value.store(0);
  run_threads(result, 1 + others, wronglock_thread);
}

// --- bluetooth_driver (Qadeer and Wu, KISS, PLDI 2004): stop races with an I/O request -------

Mutex g_atomic{"bluetooth.atomic"};  // The originals' __ESBMC_atomic_begin/end.
hal::Atomic<int> g_pending_io{1};
hal::Atomic<bool> g_stopping_flag{false}, g_stopping_event{false}, g_stopped{false};

void io_decrement() {
  int pending = 0;
  {
    core::SpinlockGuard g(g_atomic);
    g_pending_io.store(g_pending_io.load() - 1);
    pending = g_pending_io.load();
  }
  if (pending == 0) g_stopping_event.store(true);
}

void bluetooth_thread(std::uint32_t i) {
  if (i == 0) {  // BCSP_PnpAdd (the original's main thread).
    int status = 0;
    if (g_stopping_flag.load()) {
      status = -1;
    } else {
      core::SpinlockGuard g(g_atomic);
      g_pending_io.store(g_pending_io.load() + 1);
    }
    if (status == 0 && g_stopped.load()) bug("bluetooth_driver: I/O on a stopped device");
    io_decrement();
    return;
  }
  g_stopping_flag.store(true);  // BCSP_PnpStop.
  io_decrement();
  if (g_stopping_event.load()) g_stopped.store(true);
}

// --- deadlock01: two locks in opposite orders --------------------------------------------

Mutex g_lock_a{"deadlock01.a"}, g_lock_b{"deadlock01.b"};
hal::Atomic<int> g_counter{1};

void deadlock01_thread(std::uint32_t i) {
  Mutex& first = i == 0 ? g_lock_a : g_lock_b;
  Mutex& second = i == 0 ? g_lock_b : g_lock_a;
  core::SpinlockGuard g1(first);
  core::SpinlockGuard g2(second);
  g_counter.store(g_counter.load() + (i == 0 ? 1 : -1));
}

// --- carter01: a lock taken under another and released outside it -----------------------

Mutex g_m{"carter01.m"}, g_l{"carter01.l"};
hal::Atomic<int> g_count[2];

void carter01_thread(std::uint32_t i) {
  if (i >= 2) return;  // t3 and t4 have empty bodies in the original.
  hal::Atomic<int>& c = g_count[i];
  g_m.lock();
  c.store(c.load() + 1);
  if (c.load() == 1) g_l.lock();
  g_m.unlock();
  g_m.lock();
  c.store(c.load() - 1);
  if (c.load() == 0) g_l.unlock();
  g_m.unlock();
}

// --- stack: a pop allowed by a flag that only says "something was pushed once" ---------------

constexpr int kStackSize = 10;
Mutex g_stack_lock{"stack.m"};
hal::Atomic<int> g_top{0};
hal::Atomic<bool> g_pushed{false};

void stack_thread(std::uint32_t i) {
  for (int n = 0; n < kStackSize; ++n) {
    core::SpinlockGuard g(g_stack_lock);
    if (i == 0) {
      if (g_top.load() == kStackSize) bug("stack: overflow");
      g_top.store(g_top.load() + 1);
      g_pushed.store(true);
    } else if (g_pushed.load()) {
      if (g_top.load() == 0) bug("stack: pop of an empty stack");
      g_top.store(g_top.load() - 1);
    }
  }
}

// --- token_ring: three threads pass a token, a fourth checks when all have -------------------

Mutex g_ring_lock{"token_ring.atomic"};
hal::Atomic<int> g_x[3];
hal::Atomic<bool> g_f[3];

void token_ring_thread(std::uint32_t i) {
  core::SpinlockGuard g(g_ring_lock);
  switch (i) {
    case 0: g_x[0].store((g_x[2].load() + 1) % 4); break;
    case 1: g_x[1].store(g_x[0].load()); break;
    case 2: g_x[2].store(g_x[1].load()); break;
    default:
      if (g_f[0].load() && g_f[1].load() && g_f[2].load() && !(g_x[0].load() == g_x[1].load() && g_x[1].load() == g_x[2].load()))
        bug("token_ring: the token was passed out of order");
      return;
  }
  g_f[i].store(true);
}

}  // namespace
}  // namespace lockstep::bugs

namespace bugs = lockstep::bugs;

LOCKSTEP_SCENARIO(reorder_3, "SCTBench reorder_3: 2 setters, 1 checker") { bugs::reorder(result, 2, 1); }
LOCKSTEP_SCENARIO(reorder_4, "SCTBench reorder_4: 3 setters, 1 checker") { bugs::reorder(result, 3, 1); }
LOCKSTEP_SCENARIO(reorder_5, "SCTBench reorder_5: 4 setters, 1 checker") { bugs::reorder(result, 4, 1); }
LOCKSTEP_SCENARIO(reorder_10, "SCTBench reorder_10: 9 setters, 1 checker") { bugs::reorder(result, 9, 1); }
LOCKSTEP_SCENARIO(reorder_20, "SCTBench reorder_20: 10 setters, 10 checkers") { bugs::reorder(result, 10, 10); }
LOCKSTEP_SCENARIO(twostage, "SCTBench twostage: 1 writer, 1 reader") { bugs::twostage(result, 1, 1); }
LOCKSTEP_SCENARIO(twostage_100, "SCTBench twostage_100: 99 writers, 1 reader") { bugs::twostage(result, 99, 1); }
LOCKSTEP_SCENARIO(wronglock, "SCTBench wronglock: 1 checker, 7 threads under the wrong lock") { bugs::wronglock(result, 7); }
LOCKSTEP_SCENARIO(wronglock_3, "SCTBench wronglock_3: 1 checker, 3 threads under the wrong lock") {
  bugs::wronglock(result, 3);
}
LOCKSTEP_SCENARIO(bluetooth_driver, "SCTBench bluetooth_driver: device stop races with an I/O request") {
  bugs::g_pending_io.store(1);
  bugs::g_stopping_flag.store(false);
  bugs::g_stopping_event.store(false);
  bugs::g_stopped.store(false);
  bugs::run_threads(result, 2, bugs::bluetooth_thread);
}
LOCKSTEP_SCENARIO(deadlock01, "SCTBench deadlock01: two locks taken in opposite orders") {
  bugs::g_counter.store(1);
  bugs::run_threads(result, 2, bugs::deadlock01_thread);
}
LOCKSTEP_SCENARIO(carter01, "SCTBench carter01: a lock released outside the lock it was taken under") {
  bugs::g_count[0].store(0);
  bugs::g_count[1].store(0);
  bugs::run_threads(result, 4, bugs::carter01_thread);
}
LOCKSTEP_SCENARIO(stack, "SCTBench stack: pops allowed by a once-pushed flag") {
  bugs::g_top.store(0);
  bugs::g_pushed.store(false);
  bugs::run_threads(result, 2, bugs::stack_thread);
}
LOCKSTEP_SCENARIO(token_ring, "SCTBench token_ring: a token passed around three threads, checked by a fourth") {
  bugs::g_x[0].store(1);
  bugs::g_x[1].store(2);
  bugs::g_x[2].store(1);
  for (auto& f : bugs::g_f) f.store(false);
  bugs::run_threads(result, 4, bugs::token_ring_thread);
}
