// The Unicorn machine's time slices (issue 14, item 5), in one run:
//  - a compute-bound guest (bench/unicorn/compute.S: ALU only) run free on one bare engine with
//    one long uc_emu_start, the same with the machine's kind of block hook (counting, never
//    stopping), and on the machine at its default slice lengths with 1 and 4 CPUs: guest
//    instructions per second of each. The ratios say what slicing costs on code that never waits.
//  - the ARM64 kernel's self-test on the machine (instructions/s, slices/s) and, where QEMU is
//    installed, on QEMU TCG (start to exit; wall time against wall time).
//
// The images: the build tree's (LOCKSTEP_BENCH_* definitions, bench/CMakeLists.txt), or the
// paths in the environment variables of the same names.

#include <unicorn/unicorn.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <lockstep/emu/unicorn/machine.hpp>
#include <lockstep/sim/boot.hpp>
#include <string>
#include <vector>

#include "ratio.hpp"

namespace lockstep::bench {
namespace {

namespace uni = emu::unicorn;

std::string image(const char* env, const char* built) {
  const char* p = std::getenv(env);
  return p != nullptr && *p != '\0' ? p : built;
}

std::string compute_elf() { return image("LOCKSTEP_BENCH_UNICORN_COMPUTE_ELF", LOCKSTEP_BENCH_UNICORN_COMPUTE_ELF); }
std::string kernel_elf() { return image("LOCKSTEP_BENCH_ARM64_KERNEL", LOCKSTEP_BENCH_ARM64_KERNEL); }

// compute.S: `work` at the link address, ten instructions per iteration, two before the loop and
// one after it; every CPU runs kIterations of it.
constexpr std::uint64_t kLinkAddress = 0x40200000;
constexpr std::uint64_t kIterations = 2'000'000;
constexpr std::uint64_t kWorkInstructions = 10 * kIterations + 3;
constexpr std::uint64_t kRamBase = 0x40000000, kRamBytes = 4u << 20;
// `work` returns here: RAM the guest never executes, so it is a safe `until` (FACTS).
constexpr std::uint64_t kReturnAddress = 0x40100000;

/// Per second of the time measured (Google Benchmark's own rates divide by CPU time).
double rate(std::uint64_t count, double seconds) { return seconds > 0 ? static_cast<double>(count) / seconds : 0; }

void count_block(uc_engine*, std::uint64_t, std::uint32_t size, void* user) {
  *static_cast<std::uint64_t*>(user) += size / 4;
}

/// `work` on one bare engine, one uc_emu_start; with `hooked`, a block hook counts instructions
/// as the machine's does (but never stops).
void BM_FreeEngine(benchmark::State& state, bool hooked) {
  std::ifstream f(image("LOCKSTEP_BENCH_UNICORN_COMPUTE_BIN", LOCKSTEP_BENCH_UNICORN_COMPUTE_BIN), std::ios::binary);
  const std::vector<char> text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (text.empty() || text.size() > kRamBytes / 2) {
    state.SkipWithError("no flat binary of compute.S");
    return;
  }
  uc_engine* uc = nullptr;
  if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc) != UC_ERR_OK) {
    state.SkipWithError("uc_open failed");
    return;
  }
  uc_ctl_set_cpu_model(uc, UC_CPU_ARM64_A72);
  uc_mem_map(uc, kRamBase, kRamBytes, UC_PROT_ALL);
  uc_mem_write(uc, kLinkAddress, text.data(), text.size());
  std::uint64_t counted = 0;
  uc_hook h;
  if (hooked) uc_hook_add(uc, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&count_block), &counted, 1, 0);
  std::uint64_t done = 0;
  double seconds = 0;
  for (auto _ : state) {
    const std::uint64_t n = kIterations, ret = kReturnAddress;
    uc_reg_write(uc, UC_ARM64_REG_X0, &n);
    uc_reg_write(uc, UC_ARM64_REG_X30, &ret);
    const auto t0 = std::chrono::steady_clock::now();
    const uc_err e = uc_emu_start(uc, kLinkAddress, kReturnAddress, 0, 0);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(dt);
    seconds += dt;
    if (e != UC_ERR_OK) {
      state.SkipWithError(uc_strerror(e));
      break;
    }
    done += kWorkInstructions;
  }
  uc_close(uc);
  state.counters["insns_per_s"] = rate(done, seconds);
}
BENCHMARK_CAPTURE(BM_FreeEngine, bare, false)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FreeEngine, block_hook, true)->UseManualTime()->Unit(benchmark::kMillisecond);

/// One machine run per iteration, timed by the machine (its run loop, without set-up).
void machine_run(benchmark::State& state, const uni::MachineConfig& config) {
  std::uint64_t instructions = 0, slices = 0;
  double seconds = 0;
  for (auto _ : state) {
    const uni::Result r = uni::run(config);
    if (r.status != uni::Status::kPoweredOff) {
      state.SkipWithError(("the machine did not power off: " + r.report).c_str());
      return;
    }
    state.SetIterationTime(r.host_seconds);
    seconds += r.host_seconds;
    instructions += r.instructions;
    slices += r.slices;
  }
  state.counters["insns_per_s"] = rate(instructions, seconds);
  state.counters["slices_per_s"] = rate(slices, seconds);
  state.counters["insns_per_slice"] = static_cast<double>(instructions) / static_cast<double>(slices ? slices : 1);
}

/// compute.S on the machine at the default slice lengths (MachineConfig's).
void BM_MachineCompute(benchmark::State& state) {
  uni::MachineConfig c;
  c.image = compute_elf();
  c.cpus = static_cast<std::uint32_t>(state.range(0));
  c.seed = 3;
  machine_run(state, c);
}
BENCHMARK(BM_MachineCompute)->ArgName("cpus")->Arg(1)->Arg(4)->UseManualTime()->Unit(benchmark::kMillisecond);

/// The kernel's self-test, 4 CPUs, seed 3 (`lockstep boot --machine unicorn --arch arm64 --cpus 4 --seed 3`).
void BM_MachineSelfTest(benchmark::State& state) {
  uni::MachineConfig c;
  c.image = kernel_elf();
  c.cpus = 4;
  c.seed = 3;
  machine_run(state, c);
}
BENCHMARK(BM_MachineSelfTest)->UseManualTime()->Unit(benchmark::kMillisecond);

/// The same self-test on QEMU TCG (`lockstep boot --machine qemu --arch arm64 --cpus 4`): QEMU
/// start to exit, its own start-up included.
void BM_QemuSelfTest(benchmark::State& state) {
  sim::BootOptions o;
  o.arch = "arm64";
  o.cpus = 4;
  o.kernel = kernel_elf();
  o.timeout = std::chrono::seconds(60);
  for (auto _ : state) {
    const sim::BootResult r = sim::run_boot(o);
    if (!r.passed()) {
      state.SkipWithError(("QEMU boot failed: " + r.reason).c_str());
      return;
    }
    state.SetIterationTime(r.seconds);
  }
}
BENCHMARK(BM_QemuSelfTest)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);

LOCKSTEP_RATIO({.name = "machine_vs_free/cpus:1",
                .subject = "BM_MachineCompute/cpus:1/manual_time",
                .baseline = "BM_FreeEngine/bare/manual_time",
                .metric = Metric::kCounterHigher,
                .counter = "insns_per_s",
                .goal = Goal::kAtLeast,
                .target = 0.5,
                .note = "compute-bound guest: machine at the default slices / one free uc_emu_start (instructions/s)"});
LOCKSTEP_RATIO({.name = "machine_vs_free/cpus:4",
                .subject = "BM_MachineCompute/cpus:4/manual_time",
                .baseline = "BM_FreeEngine/bare/manual_time",
                .metric = Metric::kCounterHigher,
                .counter = "insns_per_s",
                .goal = Goal::kAtLeast,
                .target = 0.5,
                .note = "the same with 4 CPUs taking turns"});
LOCKSTEP_RATIO({.name = "block_hook_vs_free",
                .subject = "BM_FreeEngine/block_hook/manual_time",
                .baseline = "BM_FreeEngine/bare/manual_time",
                .metric = Metric::kCounterHigher,
                .counter = "insns_per_s",
                .note = "a counting block hook alone (no slices) / no hook"});
LOCKSTEP_RATIO(
    {.name = "selftest_vs_free",
     .subject = "BM_MachineSelfTest/manual_time",
     .baseline = "BM_FreeEngine/bare/manual_time",
     .metric = Metric::kCounterHigher,
     .counter = "insns_per_s",
     .note = "the kernel self-test's instructions/s / the free engine's on compute.S (other code: context only)"});
LOCKSTEP_RATIO({.name = "unicorn_vs_qemu_selftest",
                .subject = "BM_MachineSelfTest/manual_time",
                .baseline = "BM_QemuSelfTest/iterations:1/manual_time",
                .goal = Goal::kAtMost,
                .target = 1.5,
                .note = "4-CPU self-test: the machine's run loop / QEMU TCG start to exit (wall time each)"});

}  // namespace
}  // namespace lockstep::bench
