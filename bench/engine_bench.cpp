// Benchmarks of the deterministic engine (issue 2): a scheduling point with a vCPU switch
// against a raw Boost.Context switch and against a host-thread hand-off, a deterministic atomic
// against std::atomic, and the set-up and tear-down of a 4-CPU machine.
//
// This binary does not link the core: it brings its own interrupt entry (no interrupt is ever
// raised here).

#include <boost/context/detail/fcontext.hpp>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <lockstep/emu/host_cpu.hpp>
#include <lockstep/emu/machine.hpp>
#include <lockstep/hal/hal.hpp>
#include <mutex>
#include <thread>

#include "ratio.hpp"

void lockstep::hal::interrupt_entry(Vector) noexcept {}

namespace lockstep::bench {
namespace {

namespace fc = boost::context::detail;
using hal::CpuId;

/// Scheduling points (or switches) per benchmark iteration: large enough that the benchmark
/// loop's own cost is noise, small enough that one iteration is far below a microsecond.
constexpr int kBatch = 64;
constexpr std::size_t kStackSize = 64 * 1024;

std::span<std::byte> map_stack(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  return {static_cast<std::byte*>(p), bytes};
}

/// Stacks of the secondary vCPUs, reused by every machine of this process.
std::span<std::byte> ap_stack(CpuId cpu) {
  static std::array<std::span<std::byte>, 8> stacks{};
  if (stacks[cpu].empty()) stacks[cpu] = map_stack(kStackSize);
  return stacks[cpu];
}

emu::MachineConfig machine(CpuId cpus, emu::Strategy strategy) {
  emu::MachineConfig c;
  c.cpus = cpus;
  c.seed = 1;
  c.strategy = strategy;
  c.rr_quantum = 1;
  c.max_steps = ~std::uint64_t{0};
  c.max_cycles = ~hal::Cycles{0};
  return c;
}

void check_finished(benchmark::State& state, const emu::RunResult& r) {
  if (r.status != emu::RunStatus::kFinished) state.SkipWithError(r.report.c_str());
}

// --- (a) a scheduling point that switches vCPUs, against a raw fcontext switch --------------

hal::Atomic<std::uint32_t> g_stop{0};
hal::Atomic<std::uint64_t> g_counter{0};

/// Spins as kernel code spins: a load and a relax() per round (the relax lets PCT, which runs
/// its highest-priority vCPU until a change point, step aside to vCPU 0).
void spin_partner(CpuId) {
  while (g_stop.load(std::memory_order_relaxed) == 0) hal::relax();
  hal::halt();
}

/// Two vCPUs that do nothing but scheduling points: with round-robin and a quantum of 1 the
/// engine switches to the other vCPU at every point. One iteration is kBatch increments on
/// vCPU 0 and kBatch points (loads and relaxes) on vCPU 1: 2 * kBatch points, 2 * kBatch
/// switches. Under random about half the points switch; under PCT almost none do.
void BM_DetSwitch(benchmark::State& state) {
  const auto strategy = static_cast<emu::Strategy>(state.range(0));
  g_stop.store(0);
  auto boot = [](void* arg) {
    auto& st = *static_cast<benchmark::State*>(arg);
    hal::start_cpu(1, spin_partner, ap_stack(1));
    for (auto _ : st)
      for (int i = 0; i < kBatch; ++i) g_counter.fetch_add(1, std::memory_order_relaxed);
    g_stop.store(1);
  };
  const emu::RunResult r = emu::run_deterministic(machine(2, strategy), boot, &state);
  check_finished(state, r);
  set_ops_per_iteration(state, 2 * kBatch);
  state.SetItemsProcessed(state.iterations() * 2 * kBatch);
}
BENCHMARK(BM_DetSwitch)
    ->ArgName("strategy")
    ->Arg(static_cast<int>(emu::Strategy::kRoundRobin))
    ->Arg(static_cast<int>(emu::Strategy::kRandom))
    ->Arg(static_cast<int>(emu::Strategy::kPct));

/// The raw switch: two fcontexts jumping to each other. One iteration is kBatch round trips,
/// 2 * kBatch switches.
void BM_FcontextSwitch(benchmark::State& state) {
  static const std::span<std::byte> stack = map_stack(kStackSize);
  fc::fcontext_t partner = fc::make_fcontext(stack.data() + stack.size(), stack.size(), [](fc::transfer_t t) {
    for (;;) t = fc::jump_fcontext(t.fctx, nullptr);
  });
  for (auto _ : state)
    for (int i = 0; i < kBatch; ++i) partner = fc::jump_fcontext(partner, nullptr).fctx;
  set_ops_per_iteration(state, 2 * kBatch);
  state.SetItemsProcessed(state.iterations() * 2 * kBatch);
}
BENCHMARK(BM_FcontextSwitch);

// --- (b) the same hand-off between two host threads ----------------------------------------

/// Two host threads passing a turn back and forth with a mutex and two condition variables.
/// One iteration is two hand-offs.
void BM_CondvarHandoff(benchmark::State& state) {
  struct Shared {
    std::mutex m;
    std::condition_variable to_partner, to_main;
    int turn = 0;  // 0: main's, 1: partner's.
    bool stop = false;
  } s;
  std::thread partner([&s] {
    std::unique_lock lock(s.m);
    for (;;) {
      s.to_partner.wait(lock, [&] { return s.turn == 1 || s.stop; });
      if (s.stop) return;
      s.turn = 0;
      s.to_main.notify_one();
    }
  });
  {
    std::unique_lock lock(s.m);
    for (auto _ : state) {
      s.turn = 1;
      s.to_partner.notify_one();
      s.to_main.wait(lock, [&] { return s.turn == 0; });
    }
    s.stop = true;
    s.to_partner.notify_one();
  }
  partner.join();
  set_ops_per_iteration(state, 2);
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_CondvarHandoff)->UseRealTime();

/// The same with a futex (C++20 atomic wait/notify, a futex in libstdc++, which spins briefly
/// before it sleeps). One iteration is two hand-offs.
void BM_FutexHandoff(benchmark::State& state) {
  std::atomic<int> turn{0};  // 0: main's, 1: partner's, 2: stop.
  std::thread partner([&turn] {
    for (;;) {
      turn.wait(0, std::memory_order_acquire);
      if (turn.load(std::memory_order_acquire) == 2) return;
      turn.store(0, std::memory_order_release);
      turn.notify_one();
    }
  });
  for (auto _ : state) {
    turn.store(1, std::memory_order_release);
    turn.notify_one();
    while (turn.load(std::memory_order_acquire) != 0) turn.wait(1, std::memory_order_acquire);
  }
  turn.store(2, std::memory_order_release);
  turn.notify_one();
  partner.join();
  set_ops_per_iteration(state, 2);
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_FutexHandoff)->UseRealTime();

// --- (c) a deterministic atomic increment against std::atomic ------------------------------

/// One vCPU: every increment is a scheduling point at which the strategy picks the same vCPU
/// again (the engine's bookkeeping, no switch).
void BM_DetAtomicIncrement(benchmark::State& state) {
  auto boot = [](void* arg) {
    auto& st = *static_cast<benchmark::State*>(arg);
    for (auto _ : st)
      for (int i = 0; i < kBatch; ++i) g_counter.fetch_add(1, std::memory_order_relaxed);
  };
  const emu::RunResult r = emu::run_deterministic(machine(1, emu::Strategy::kRoundRobin), boot, &state);
  check_finished(state, r);
  set_ops_per_iteration(state, kBatch);
}
BENCHMARK(BM_DetAtomicIncrement);

/// hal::Atomic outside the deterministic engine (a host thread acting as a vCPU, as under the
/// parallel engine): std::atomic plus one predictable branch.
void BM_HostAtomicIncrement(benchmark::State& state) {
  emu::HostCpuScope cpu(0);
  for (auto _ : state)
    for (int i = 0; i < kBatch; ++i) g_counter.fetch_add(1, std::memory_order_relaxed);
  set_ops_per_iteration(state, kBatch);
}
BENCHMARK(BM_HostAtomicIncrement);

std::atomic<std::uint64_t> g_std_counter{0};

void BM_StdAtomicIncrement(benchmark::State& state) {
  for (auto _ : state)
    for (int i = 0; i < kBatch; ++i) g_std_counter.fetch_add(1, std::memory_order_relaxed);
  set_ops_per_iteration(state, kBatch);
}
BENCHMARK(BM_StdAtomicIncrement);

// --- (d) setting up and tearing down a 4-CPU machine ---------------------------------------

hal::Atomic<std::uint32_t> g_halted{0};

/// The boot CPU starts three CPUs, each of which reports and halts at once; the machine ends
/// when the boot CPU has seen all three. What every explored run pays before its workload.
void BM_MachineSetup4(benchmark::State& state) {
  const auto strategy = static_cast<emu::Strategy>(state.range(0));
  auto boot = [](void*) {
    for (CpuId c = 1; c < 4; ++c)
      hal::start_cpu(c, [](CpuId) {
        g_halted.fetch_add(1);
        hal::halt();
      }, ap_stack(c));
    while (g_halted.load() != 3) hal::relax();
  };
  const emu::MachineConfig config = machine(4, strategy);
  for (auto _ : state) {
    g_halted.store(0);
    const emu::RunResult r = emu::run_deterministic(config, boot, nullptr);
    if (r.status != emu::RunStatus::kFinished) {
      state.SkipWithError(r.report.c_str());
      break;
    }
  }
}
BENCHMARK(BM_MachineSetup4)
    ->ArgName("strategy")
    ->Arg(static_cast<int>(emu::Strategy::kRoundRobin))
    ->Arg(static_cast<int>(emu::Strategy::kRandom))
    ->Arg(static_cast<int>(emu::Strategy::kPct));

/// The irreducible part: four fresh fibers on ready stacks, each entered once and switched back
/// from.
void BM_RawFibers4(benchmark::State& state) {
  static std::array<std::span<std::byte>, 4> stacks{};
  for (auto& s : stacks)
    if (s.empty()) s = map_stack(kStackSize);
  for (auto _ : state) {
    for (auto& s : stacks) {
      fc::fcontext_t f = fc::make_fcontext(s.data() + s.size(), s.size(), [](fc::transfer_t t) {
        fc::jump_fcontext(t.fctx, nullptr);
        std::abort();
      });
      f = fc::jump_fcontext(f, nullptr).fctx;
      benchmark::DoNotOptimize(f);
    }
  }
}
BENCHMARK(BM_RawFibers4);

/// The same machine on the parallel engine (one host thread per vCPU), for scale.
void BM_ParallelMachineSetup4(benchmark::State& state) {
  auto boot = [](void*) {
    for (CpuId c = 1; c < 4; ++c)
      hal::start_cpu(c, [](CpuId) {
        g_halted.fetch_add(1);
        hal::halt();
      }, ap_stack(c));
    while (g_halted.load() != 3) hal::relax();
  };
  const emu::MachineConfig config = machine(4, emu::Strategy::kRoundRobin);
  for (auto _ : state) {
    g_halted.store(0);
    const emu::RunResult r = emu::run_parallel(config, boot, nullptr);
    if (r.status != emu::RunStatus::kFinished) {
      state.SkipWithError(r.report.c_str());
      break;
    }
  }
}
BENCHMARK(BM_ParallelMachineSetup4)->UseRealTime();

// --- the figures -------------------------------------------------------------------------

LOCKSTEP_RATIO({.name = "det_switch_vs_fcontext",
                .subject = "BM_DetSwitch/strategy:0",
                .baseline = "BM_FcontextSwitch",
                .goal = Goal::kAtMost,
                .target = 3,
                .note = "a round-robin scheduling point that switches vCPUs / one jump_fcontext"});
LOCKSTEP_RATIO({.name = "det_switch_points_per_s",
                .subject = "BM_DetSwitch/strategy:0",
                .metric = Metric::kCounterHigher,
                .counter = "items_per_second",
                .goal = Goal::kAtLeast,
                .target = 50e6,
                .note = "scheduling points per second, round-robin, switching at every point"});
LOCKSTEP_RATIO({.name = "det_switch_random_vs_fcontext",
                .subject = "BM_DetSwitch/strategy:1",
                .baseline = "BM_FcontextSwitch",
                .note = "seeded random strategy (switches at about half of the points)"});
LOCKSTEP_RATIO({.name = "det_switch_pct_vs_fcontext",
                .subject = "BM_DetSwitch/strategy:2",
                .baseline = "BM_FcontextSwitch",
                .note = "PCT strategy (switches only at its change points)"});
LOCKSTEP_RATIO({.name = "condvar_handoff_vs_det_switch",
                .subject = "BM_DetSwitch/strategy:0",
                .baseline = "BM_CondvarHandoff/real_time",
                .inverted = true,
                .goal = Goal::kAtLeast,
                .target = 100,
                .note = "how many times faster a vCPU hand-off is than a host-thread hand-off (mutex + condvar)"});
LOCKSTEP_RATIO({.name = "futex_handoff_vs_det_switch",
                .subject = "BM_DetSwitch/strategy:0",
                .baseline = "BM_FutexHandoff/real_time",
                .inverted = true,
                .goal = Goal::kAtLeast,
                .target = 100,
                .note = "the same against atomic wait/notify (futex; libstdc++ spins briefly first)"});
LOCKSTEP_RATIO({.name = "det_atomic_vs_std_atomic",
                .subject = "BM_DetAtomicIncrement",
                .baseline = "BM_StdAtomicIncrement",
                .note = "hal::Atomic fetch_add under the deterministic engine (1 vCPU, no switch) / std::atomic"});
LOCKSTEP_RATIO({.name = "host_atomic_vs_std_atomic",
                .subject = "BM_HostAtomicIncrement",
                .baseline = "BM_StdAtomicIncrement",
                .note = "hal::Atomic fetch_add outside the deterministic engine / std::atomic"});
LOCKSTEP_RATIO({.name = "machine_setup4_random",
                .subject = "BM_MachineSetup4/strategy:1",
                .goal = Goal::kAtMost,
                .target = 20e-6,
                .note = "run_deterministic of a 4-CPU machine whose 3 secondaries halt at once (random strategy)"});
LOCKSTEP_RATIO({.name = "machine_setup4_rr",
                .subject = "BM_MachineSetup4/strategy:0",
                .goal = Goal::kAtMost,
                .target = 20e-6});
LOCKSTEP_RATIO({.name = "machine_setup4_pct",
                .subject = "BM_MachineSetup4/strategy:2",
                .goal = Goal::kAtMost,
                .target = 20e-6});
LOCKSTEP_RATIO({.name = "machine_setup4_vs_raw_fibers",
                .subject = "BM_MachineSetup4/strategy:1",
                .baseline = "BM_RawFibers4",
                .note = "the whole machine / creating and entering 4 bare fibers"});
LOCKSTEP_RATIO({.name = "parallel_setup4_vs_det_setup4",
                .subject = "BM_MachineSetup4/strategy:1",
                .baseline = "BM_ParallelMachineSetup4/real_time",
                .inverted = true,
                .note = "how many times cheaper a deterministic 4-CPU machine is than a parallel one"});

}  // namespace
}  // namespace lockstep::bench
