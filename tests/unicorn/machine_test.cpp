// The Unicorn machine on a small SMP guest: boots 1-8 CPUs through PSCI, SGIs wake wfi,
// determinism by seed, and exploration catching a broken lock in the guest.

#include <gtest/gtest.h>

#include <fstream>
#include <lockstep/emu/unicorn/machine.hpp>
#include <string>

namespace lockstep::emu::unicorn {
namespace {

MachineConfig config(const char* image, std::uint32_t cpus, std::uint64_t seed, Strategy s = Strategy::kRandom) {
  MachineConfig c;
  c.image = image;
  c.cpus = cpus;
  c.seed = seed;
  c.strategy = s;
  c.slice_min = 20;
  c.slice_max = 400;
  c.max_instructions = 50'000'000;
  return c;
}

std::string repro(std::uint32_t cpus, std::uint64_t seed) {
  return "seed " + std::to_string(seed) + " cpus " + std::to_string(cpus);
}

TEST(UnicornMachine, BootsEveryCpuCountAndPasses) {
  for (std::uint32_t cpus : {1u, 2u, 4u, 8u}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      Result r = run(config(LOCKSTEP_GUEST_CORRECT, cpus, seed));
      ASSERT_EQ(r.status, Status::kPoweredOff) << repro(cpus, seed) << "\n" << r.report << r.console;
      ASSERT_EQ(r.console, "B\nPASS\n") << repro(cpus, seed);
      for (const auto& c : r.cpus) EXPECT_GT(c.instructions, 0u);
    }
  }
}

TEST(UnicornMachine, SameSeedSameRunDifferentSeedDifferentSchedule) {
  Result a = run(config(LOCKSTEP_GUEST_CORRECT, 4, 9));
  Result b = run(config(LOCKSTEP_GUEST_CORRECT, 4, 9));
  Result c = run(config(LOCKSTEP_GUEST_CORRECT, 4, 10));
  EXPECT_EQ(a.schedule_hash, b.schedule_hash);
  EXPECT_EQ(a.instructions, b.instructions);
  EXPECT_EQ(a.console, b.console);
  EXPECT_NE(a.schedule_hash, c.schedule_hash);
}

TEST(UnicornMachine, GuestMemoryAndSymbolsAreReadableAtTheEnd) {
  std::uint64_t counter = 0;
  run(config(LOCKSTEP_GUEST_CORRECT, 2, 1), [&](const GuestView& g) {
    const std::uint64_t addr = g.symbol("counter");
    ASSERT_NE(addr, 0u);
    ASSERT_TRUE(g.read(addr, std::as_writable_bytes(std::span(&counter, 1))));
  });
  EXPECT_EQ(counter, 2u * 200u);
}

TEST(UnicornMachine, ExplorationCatchesBrokenGuestLockAndSeedReproduces) {
  std::uint64_t failing = 0;
  for (std::uint64_t seed = 1; seed <= 200 && failing == 0; ++seed) {
    Result r = run(config(LOCKSTEP_GUEST_BROKEN, 4, seed));
    if (r.console != "B\nPASS\n") failing = seed;
  }
  ASSERT_NE(failing, 0u) << "the broken lock was not caught in 200 seeds";
  for (int i = 0; i < 2; ++i) EXPECT_EQ(run(config(LOCKSTEP_GUEST_BROKEN, 4, failing)).console, "B\nFAIL\n");
  // The correct lock survives the same seeds.
  for (std::uint64_t seed = 1; seed <= failing; ++seed)
    EXPECT_EQ(run(config(LOCKSTEP_GUEST_CORRECT, 4, seed)).console, "B\nPASS\n") << repro(4, seed);
}

TEST(UnicornMachine, BadImagesAreRefusedWithAReason) {
  Result missing = run(config("/nonexistent/kernel.elf", 2, 1));
  EXPECT_EQ(missing.status, Status::kBadImage);
  EXPECT_NE(missing.report.find("cannot open image"), std::string::npos) << missing.report;
  const std::string junk = testing::TempDir() + "/junk.elf";
  std::ofstream(junk) << "definitely not an ELF file";
  Result bad = run(config(junk.c_str(), 2, 1));
  EXPECT_EQ(bad.status, Status::kBadImage);
  EXPECT_NE(bad.report.find("not an ELF file"), std::string::npos) << bad.report;
  Result too_many = run(config(LOCKSTEP_GUEST_CORRECT, 9, 1));
  EXPECT_EQ(too_many.status, Status::kBadImage);
}

}  // namespace
}  // namespace lockstep::emu::unicorn
