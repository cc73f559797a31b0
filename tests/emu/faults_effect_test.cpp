// What each seeded fault does to a machine, seen from a tiny program on two vCPUs.

#include <gtest/gtest.h>

#include <array>
#include <lockstep/emu/machine.hpp>
#include <lockstep/hal/hal.hpp>

namespace lockstep::emu {

// Defined in engine_test.cpp: deliveries per CPU in this binary.
extern std::array<int, hal::kMaxCpus>& delivered_counts();
extern std::array<hal::Cycles, hal::kMaxCpus>& last_delivery_cycles();
extern hal::Cycles& first_delivery(hal::CpuId cpu, hal::Vector v);
extern void reset_first_deliveries();

namespace {

using hal::CpuId;

std::array<std::byte, 64 * 1024> g_ap_stack;
hal::Atomic<std::uint32_t> g_ready{0};
constexpr int kIpis = 20;

/// CPU 1 waits for interrupts; CPU 0 sends it kIpis IPIs (spaced apart), then waits a while.
RunResult ipi_machine(const FaultConfig& faults, CpuId extra_cpus = 0) {
  delivered_counts().fill(0);
  last_delivery_cycles().fill(0);
  reset_first_deliveries();
  g_ready.store(0);
  MachineConfig c;
  c.cpus = 2 + extra_cpus;
  c.seed = 11;
  c.faults = faults;
  c.record_events = true;
  c.max_steps = 2'000'000;
  return run_deterministic(
      c,
      [](void*) {
        hal::start_cpu(1, [](CpuId) {
          hal::irq_enable();
          g_ready.store(1);
          for (;;) hal::wait_for_interrupt();
        }, g_ap_stack);
        while (g_ready.load() == 0) hal::relax();
        for (int i = 0; i < kIpis; ++i) {
          hal::send_ipi(1, 2);
          for (int k = 0; k < 200; ++k) hal::relax();  // 2000 cycles apart: no two merge.
        }
        for (int k = 0; k < 3000; ++k) hal::relax();
      },
      nullptr);
}

TEST(Faults, NoFaultDeliversEveryIpi) {
  RunResult r = ipi_machine({});
  ASSERT_EQ(r.status, RunStatus::kFinished) << r.report;
  EXPECT_EQ(delivered_counts()[1], kIpis);
}

TEST(Faults, LoseIpiDropsThem) {
  FaultConfig f;
  f.lose_ipi_ppm = 500'000;
  RunResult r = ipi_machine(f);
  ASSERT_EQ(r.status, RunStatus::kFinished) << r.report;
  EXPECT_GT(r.ipis_lost, 0u);
  EXPECT_EQ(delivered_counts()[1], kIpis - static_cast<int>(r.ipis_lost));
}

TEST(Faults, DuplicateIpiDeliversTwice) {
  FaultConfig f;
  f.duplicate_ipi_ppm = 1'000'000;
  RunResult r = ipi_machine(f);
  ASSERT_EQ(r.status, RunStatus::kFinished) << r.report;
  EXPECT_EQ(r.ipis_duplicated, static_cast<std::uint64_t>(kIpis));
  // A duplicate that becomes due while the original is still pending merges with it (one
  // pending bit per vector, as in an APIC's IRR), so the target sees between 1x and 2x.
  EXPECT_GT(delivered_counts()[1], kIpis);
  EXPECT_LE(delivered_counts()[1], 2 * kIpis);
}

TEST(Faults, DelayIpiShiftsDeliveryInVirtualTime) {
  RunResult base = ipi_machine({});
  const hal::Cycles on_time = last_delivery_cycles()[1];
  FaultConfig f;
  f.delay_ipi_ppm = 1'000'000;
  f.delay_ipi_cycles = 50'000;
  RunResult late = ipi_machine(f);
  ASSERT_EQ(late.status, RunStatus::kFinished) << late.report;
  EXPECT_EQ(late.ipis_delayed, static_cast<std::uint64_t>(kIpis));
  EXPECT_GE(last_delivery_cycles()[1], on_time + 40'000);
  (void)base;
}

TEST(Faults, FailStartLeavesCpuDark) {
  FaultConfig f;
  f.fail_start.push_back(1);
  RunResult r = ipi_machine(f);
  // CPU 1 never runs: CPU 0 spins on g_ready until the liveness guard stops it.
  EXPECT_EQ(r.status, RunStatus::kStepLimit);
  EXPECT_NE(r.report.find("dead (fail-start fault)"), std::string::npos) << r.report;
  EXPECT_EQ(delivered_counts()[1], 0);
}

TEST(Faults, UnplugRaisesItsVectorAtTheGivenTime) {
  FaultConfig f;
  f.unplug.push_back({1, 30'000});
  f.unplug_vector = 5;
  RunResult r = ipi_machine(f);
  ASSERT_EQ(r.status, RunStatus::kFinished) << r.report;
  EXPECT_EQ(delivered_counts()[1], kIpis + 1);
  // The unplug request reaches CPU 1 at its time (a waiting vCPU's clock jumps to the delivery),
  // not merely at some point of the run.
  const hal::Cycles at = first_delivery(1, 5);
  EXPECT_GE(at, 30'000u) << "delivered before its time";
  EXPECT_LT(at, 30'000u + 5'000u) << "delivered " << at - 30'000 << " cycles late";
  EXPECT_EQ(first_delivery(0, 5), 0u) << "CPU 0 was not unplugged";
}

}  // namespace
}  // namespace lockstep::emu
