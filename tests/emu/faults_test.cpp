// Each seeded fault of the deterministic engine, and its effect.

#include <gtest/gtest.h>

#include <lockstep/emu/machine.hpp>
#include <lockstep/hal/hal.hpp>

namespace lockstep::emu {
namespace {

TEST(FaultSpec, ParsesAndFormatsRoundTrip) {
  std::string err;
  auto f = parse_faults("delay-ipi=0.25:700,dup-ipi=0.5,lose-ipi=0.01,fail-start=3,unplug=2@1000", err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->delay_ipi_ppm, 250000u);
  EXPECT_EQ(f->delay_ipi_cycles, 700u);
  EXPECT_EQ(f->duplicate_ipi_ppm, 500000u);
  EXPECT_EQ(f->lose_ipi_ppm, 10000u);
  ASSERT_EQ(f->fail_start.size(), 1u);
  EXPECT_EQ(f->fail_start[0], 3u);
  ASSERT_EQ(f->unplug.size(), 1u);
  EXPECT_EQ(f->unplug[0].at, 1000u);
  auto again = parse_faults(format_faults(*f), err);
  ASSERT_TRUE(again) << err;
  EXPECT_EQ(format_faults(*again), format_faults(*f));
}

TEST(FaultSpec, RejectsBadInputNamingTheItem) {
  std::string err;
  EXPECT_FALSE(parse_faults("delay-ipi=2", err));
  EXPECT_NE(err.find("delay-ipi=2"), std::string::npos);
  EXPECT_FALSE(parse_faults("explode=1", err));
  EXPECT_NE(err.find("explode"), std::string::npos);
  EXPECT_FALSE(parse_faults("unplug=3", err));
  EXPECT_FALSE(parse_faults("fail-start=0", err));
  EXPECT_FALSE(parse_faults("lose-ipi", err));
}

}  // namespace
}  // namespace lockstep::emu
