// QEMU boot baselines (issue 14, item 7): the x86_64 kernel's self-test against a trivial image
// (bench/qemu/trivial_x86_64.S: one serial line, then isa-debug-exit) booted through the same
// runner (sim::run_boot) with the same QEMU command line, in the same run. The trivial image's
// start-to-exit is QEMU's own start-up cost (process, firmware, loader, TCG warm-up): the floor
// under any kernel. Every figure is wall time against wall time (QEMU is another process).
//
// The images: the build tree's (LOCKSTEP_BENCH_* definitions, bench/CMakeLists.txt), or the
// paths in the environment variables LOCKSTEP_BENCH_X86_64_KERNEL and
// LOCKSTEP_BENCH_TRIVIAL_X86_64.

#include <cstdlib>
#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/sim/boot.hpp>
#include <string>

#include "ratio.hpp"

namespace lockstep::bench {
namespace {

std::string image(const char* env, const char* built) {
  const char* p = std::getenv(env);
  return p != nullptr && *p != '\0' ? p : built;
}

enum class Image { kTrivial, kSelfTest };

/// One boot per iteration, timed by the runner (QEMU start to exit). The counter `online_s` is
/// the time to the kernel's ONLINE line (every CPU started); for the trivial image, which starts
/// no CPU, its whole boot: the floor both figures are compared with.
void qemu_boot(benchmark::State& state, Image which, unsigned cpus) {
  sim::BootOptions o;
  o.arch = "x86_64";
  o.cpus = cpus;
  o.timeout = std::chrono::seconds(60);
  o.kernel = which == Image::kTrivial ? image("LOCKSTEP_BENCH_TRIVIAL_X86_64", LOCKSTEP_BENCH_TRIVIAL_X86_64)
                                      : image("LOCKSTEP_BENCH_X86_64_KERNEL", LOCKSTEP_BENCH_X86_64_KERNEL);
  double online = 0;
  for (auto _ : state) {
    const sim::BootResult r = sim::run_boot(o);
    // The trivial image speaks no protocol beyond its exit status; the self-test must pass.
    const bool ok = which == Image::kTrivial ? r.exit_code == baremetal::protocol::kExitPass : r.passed();
    if (!ok) {
      state.SkipWithError(("boot of " + o.kernel + " failed: " + r.reason).c_str());
      return;
    }
    state.SetIterationTime(r.seconds);
    online += which == Image::kTrivial ? r.seconds : r.seconds_to_online;
  }
  state.counters["online_s"] = online / static_cast<double>(state.iterations());
}

constexpr unsigned kCpuCounts[] = {1, 2, 4, 8};

[[maybe_unused]] const bool registered = [] {
  for (unsigned cpus : kCpuCounts) {
    const std::string n = "/cpus:" + std::to_string(cpus);
    // One boot per iteration; --benchmark_repetitions gives the medians.
    benchmark::RegisterBenchmark(("BM_QemuBoot/trivial" + n).c_str(), qemu_boot, Image::kTrivial, cpus)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(1);
    benchmark::RegisterBenchmark(("BM_QemuBoot/selftest" + n).c_str(), qemu_boot, Image::kSelfTest, cpus)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(1);
    declare_ratio({.name = "selftest_vs_trivial_boot" + n,
                   .subject = "BM_QemuBoot/selftest" + n + "/iterations:1/manual_time",
                   .baseline = "BM_QemuBoot/trivial" + n + "/iterations:1/manual_time",
                   .goal = Goal::kAtMost,
                   .target = 1.5,
                   .note = "x86_64 self-test, QEMU start to exit / the trivial image's (old target: within 1.5x)"});
    declare_ratio(
        {.name = "online_vs_trivial_boot" + n,
         .subject = "BM_QemuBoot/selftest" + n + "/iterations:1/manual_time",
         .baseline = "BM_QemuBoot/trivial" + n + "/iterations:1/manual_time",
         .metric = Metric::kCounterLower,
         .counter = "online_s",
         .goal = Goal::kAtMost,
         .target = 1.5,
         .note = "QEMU start to the kernel's ONLINE line (all CPUs started) / the trivial image's whole boot"});
  }
  return true;
}();

}  // namespace
}  // namespace lockstep::bench
