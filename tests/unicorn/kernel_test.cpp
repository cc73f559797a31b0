// The ARM64 kernel image that boots in QEMU, on the Unicorn machine: its self-test passes on
// 1-8 CPUs, a seed fixes the run (trace and console byte for byte), and seeds differ.

#include <gtest/gtest.h>

#include <cstring>
#include <lockstep/emu/unicorn/kernel_trace.hpp>
#include <lockstep/emu/unicorn/machine.hpp>
#include <string>

namespace lockstep::emu::unicorn {
namespace {

struct KernelRun {
  Result result;
  KernelTrace trace;
  std::string trace_error;
};

KernelRun boot(std::uint32_t cpus, std::uint64_t seed, Strategy s = Strategy::kRandom) {
  MachineConfig c;
  c.image = LOCKSTEP_ARM64_KERNEL_IMAGE;
  c.cpus = cpus;
  c.seed = seed;
  c.strategy = s;
  KernelRun out;
  out.result = run(c, [&](const GuestView& g) {
    if (auto t = read_kernel_trace(g, out.trace_error)) out.trace = std::move(*t);
  });
  return out;
}

std::string repro(std::uint32_t cpus, std::uint64_t seed) {
  return "lockstep boot --machine unicorn --arch arm64 --cpus " + std::to_string(cpus) + " --seed " + std::to_string(seed);
}

void expect_self_test_passed(const KernelRun& r, std::uint32_t cpus, std::uint64_t seed) {
  ASSERT_EQ(r.result.status, Status::kPoweredOff) << repro(cpus, seed) << "\n" << r.result.report;
  EXPECT_EQ(r.result.exit_code, 33) << repro(cpus, seed) << "\n" << r.result.console;  // 33: every workload passed.
  EXPECT_EQ(r.result.console.find("FAIL"), std::string::npos) << repro(cpus, seed) << "\n" << r.result.console;
  EXPECT_NE(r.result.console.find("LOCKSTEP RESULT mixed PASS"), std::string::npos) << repro(cpus, seed);
  ASSERT_EQ(r.trace.per_cpu.size(), cpus) << r.trace_error;
  for (const auto& cpu : r.trace.per_cpu) EXPECT_FALSE(cpu.empty());
}

TEST(UnicornKernel, SelfTestPassesOnOneToEightCpus) {
  for (std::uint32_t cpus : {1u, 2u, 4u, 8u}) {
    KernelRun r = boot(cpus, 1);
    expect_self_test_passed(r, cpus, 1);
  }
}

TEST(UnicornKernel, SameSeedGivesByteIdenticalTraceAndConsole) {
  KernelRun a = boot(4, 7);
  KernelRun b = boot(4, 7);
  expect_self_test_passed(a, 4, 7);
  EXPECT_EQ(a.result.console, b.result.console);
  EXPECT_EQ(a.result.schedule_hash, b.result.schedule_hash);
  ASSERT_EQ(a.trace.per_cpu.size(), b.trace.per_cpu.size());
  for (std::size_t c = 0; c < a.trace.per_cpu.size(); ++c) {
    ASSERT_EQ(a.trace.per_cpu[c].size(), b.trace.per_cpu[c].size()) << "cpu " << c;
    EXPECT_EQ(0, std::memcmp(a.trace.per_cpu[c].data(), b.trace.per_cpu[c].data(),
                             a.trace.per_cpu[c].size() * sizeof(core::TraceRecord)))
        << "cpu " << c;
  }
}

TEST(UnicornKernel, DifferentSeedsInterleaveDifferently) {
  KernelRun a = boot(4, 1);
  KernelRun b = boot(4, 2);
  expect_self_test_passed(b, 4, 2);
  EXPECT_NE(a.result.schedule_hash, b.result.schedule_hash);
  // The interleaving shows in the trace: the same records in another order or at other times.
  bool differs = a.trace.per_cpu.size() != b.trace.per_cpu.size();
  for (std::size_t c = 0; !differs && c < a.trace.per_cpu.size(); ++c)
    differs = a.trace.per_cpu[c].size() != b.trace.per_cpu[c].size() ||
              std::memcmp(a.trace.per_cpu[c].data(), b.trace.per_cpu[c].data(),
                          a.trace.per_cpu[c].size() * sizeof(core::TraceRecord)) != 0;
  EXPECT_TRUE(differs);
}

TEST(UnicornKernel, PctAndRoundRobinAlsoPass) {
  expect_self_test_passed(boot(4, 3, Strategy::kPct), 4, 3);
  expect_self_test_passed(boot(2, 3, Strategy::kRoundRobin), 2, 3);
}

}  // namespace
}  // namespace lockstep::emu::unicorn
