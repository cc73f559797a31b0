// The Unicorn machine under a debugger, on the real ARM64 kernel: stops leave the seed's schedule
// untouched (a breakpoint inside a lock's critical section included), and reverse execution by
// re-running the seed arrives at exactly the earlier state.

#include <gtest/gtest.h>

#include <chrono>
#include <lockstep/emu/unicorn/debugger.hpp>
#include <lockstep/emu/unicorn/machine.hpp>
#include <string>

namespace lockstep::emu::unicorn {
namespace {

constexpr char kTicketLock[] = "_ZN8lockstep4core14TicketSpinlock4lockENS0_10SourceSiteE";
constexpr std::uint32_t kCpus = 4;
constexpr std::uint64_t kSeed = 3;

MachineConfig config() {
  MachineConfig c;
  c.image = LOCKSTEP_ARM64_KERNEL_IMAGE;
  c.cpus = kCpus;
  c.seed = kSeed;
  return c;
}

const Result& plain_run() {
  static const Result r = run(config());
  return r;
}

/// Runs on to the machine's end and checks it ended as the undebugged run of the seed did.
void expect_same_end_as_plain_run(Debugger& d) {
  const DebugStop end = d.resume({});
  ASSERT_EQ(end.kind, StopKind::kEnded);
  const Result& plain = plain_run();
  EXPECT_EQ(d.result().status, Status::kPoweredOff) << d.result().report;
  EXPECT_EQ(d.result().exit_code, 33) << d.result().console;  // 33: the self-test passed.
  EXPECT_EQ(d.result().schedule_hash, plain.schedule_hash);
  EXPECT_EQ(d.result().instructions, plain.instructions);
  EXPECT_EQ(d.result().slices, plain.slices);
  EXPECT_EQ(d.result().console, plain.console);
}

TEST(UnicornDebugger, StartsAtTheEntryWithEveryVcpu) {
  Debugger d(config());
  ASSERT_EQ(d.error(), "");
  EXPECT_EQ(d.cpus(), kCpus);
  EXPECT_EQ(d.cpu_state(0), "runnable");
  EXPECT_EQ(d.cpu_state(1), "off");
  EXPECT_NE(d.symbol(kTicketLock), 0u);
  EXPECT_EQ(d.registers(0)[kRegPc], d.symbol("_start"));
}

TEST(UnicornDebugger, ARunWithoutStopsIsTheSeedsRun) {
  Debugger d(config());
  expect_same_end_as_plain_run(d);
}

TEST(UnicornDebugger, BreakpointsAndStepsLeaveTheScheduleUnchanged) {
  Debugger d(config());
  const std::uint64_t lock = d.symbol(kTicketLock);
  d.set_breakpoint(lock, true);
  for (int hit = 0; hit < 20; ++hit) {
    const DebugStop s = d.resume({});
    ASSERT_EQ(s.kind, StopKind::kBreakpoint) << "hit " << hit;
    EXPECT_EQ(d.registers(s.cpu)[kRegPc], lock);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(d.step(s.cpu, {}).kind, StopKind::kStep);
  }
  d.set_breakpoint(lock, false);
  expect_same_end_as_plain_run(d);
}

TEST(UnicornDebugger, BreakpointInsideACriticalSection) {
  // The lock's return address is inside the critical section: stop there (with the lock held),
  // step through it, and the run still ends as the seed's does (in Unicorn 2.0.1 a stop made
  // from the block hook could rewind over an executed store-exclusive and deadlock the guest).
  Debugger d(config());
  const std::uint64_t lock = d.symbol(kTicketLock);
  d.set_breakpoint(lock, true);
  const DebugStop entry = d.resume({});
  ASSERT_EQ(entry.kind, StopKind::kBreakpoint);
  const std::uint64_t inside = d.registers(entry.cpu)[30];  // x30: where lock() returns.
  d.set_breakpoint(lock, false);
  d.set_breakpoint(inside, true);
  const DebugStop s = d.resume({});
  ASSERT_EQ(s.kind, StopKind::kBreakpoint);
  ASSERT_EQ(d.registers(s.cpu)[kRegPc], inside);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(d.step(s.cpu, {}).kind, StopKind::kStep);
  d.set_breakpoint(inside, false);
  expect_same_end_as_plain_run(d);
}

TEST(UnicornDebugger, ReverseStepArrivesAtThePreviousInstruction) {
  Debugger d(config());
  d.set_breakpoint(d.symbol(kTicketLock), true);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(d.resume({}).kind, StopKind::kBreakpoint);
  const DebugStop at = d.resume({});
  ASSERT_EQ(at.kind, StopKind::kBreakpoint);
  const std::uint32_t cpu = at.cpu;
  std::vector<std::array<std::uint64_t, kCoreRegisters>> seen = {d.registers(cpu)};
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(d.step(cpu, {}).kind, StopKind::kStep);
    seen.push_back(d.registers(cpu));
  }
  const std::uint64_t executed = d.executed(cpu);
  for (int back = 1; back <= 4; ++back) {
    const auto started = std::chrono::steady_clock::now();
    const DebugStop s = d.reverse_step(cpu);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_EQ(s.cpu, cpu);
    // The last one arrives at the breakpoint's instruction, and says so.
    EXPECT_EQ(s.kind, back == 4 ? StopKind::kBreakpoint : StopKind::kStep);
    EXPECT_EQ(d.executed(cpu), executed - back);
    EXPECT_EQ(d.registers(cpu), seen[seen.size() - 1 - back]) << "after " << back << " reverse steps";
    std::printf("reverse step %d: %.3f s, %llu instructions re-executed\n", back, seconds,
                static_cast<unsigned long long>(d.executed(0) + d.executed(1) + d.executed(2) + d.executed(3)));
  }
  // Forward again from the past: the same run, to the same end.
  d.set_breakpoint(d.symbol(kTicketLock), false);
  expect_same_end_as_plain_run(d);
}

TEST(UnicornDebugger, ReverseContinueFindsTheLatestBreakpointHit) {
  Debugger d(config());
  d.set_breakpoint(d.symbol(kTicketLock), true);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(d.resume({}).kind, StopKind::kBreakpoint);
  const DebugStop first = d.resume({});
  const auto first_regs = d.registers(first.cpu);
  const std::uint64_t first_executed = d.executed(first.cpu);
  ASSERT_EQ(d.resume({}).kind, StopKind::kBreakpoint);  // The hit after it.
  const DebugStop back = d.reverse_resume();
  EXPECT_EQ(back.kind, StopKind::kBreakpoint);
  EXPECT_EQ(back.cpu, first.cpu);
  EXPECT_EQ(d.executed(first.cpu), first_executed);
  EXPECT_EQ(d.registers(first.cpu), first_regs);
}

TEST(UnicornDebugger, ReverseAtTheStartStaysThere) {
  Debugger d(config());
  EXPECT_EQ(d.reverse_step(0).kind, StopKind::kBeginning);
  EXPECT_EQ(d.reverse_resume().kind, StopKind::kBeginning);
  EXPECT_EQ(d.registers(0)[kRegPc], d.symbol("_start"));
}

TEST(UnicornDebugger, PollInterruptsARun) {
  Debugger d(config());
  int polls = 0;
  const DebugStop s = d.resume([&] { return ++polls == 3; });
  EXPECT_EQ(s.kind, StopKind::kInterrupted);
  EXPECT_FALSE(d.ended());
  expect_same_end_as_plain_run(d);
}

}  // namespace
}  // namespace lockstep::emu::unicorn
