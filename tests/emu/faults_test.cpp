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

namespace lockstep::emu {
namespace {

TEST(Schedule, TextRoundTripsWithWhereEachDecisionHappened) {
  const std::vector<Decision> d = {{12, 1, true, 0, 3400}, {40, 0, false, 2, 5120}, {41, 3, true, 0, 0}};
  std::string error;
  const auto back = parse_schedule(format_schedule(d), error);
  ASSERT_TRUE(back) << error;
  ASSERT_EQ(back->size(), d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ((*back)[i], d[i]);
    EXPECT_EQ((*back)[i].preemption, d[i].preemption) << i;
    EXPECT_EQ((*back)[i].from, d[i].from) << i;
    EXPECT_EQ((*back)[i].time, d[i].time) << i;
  }
}

TEST(Schedule, UsersCommentsAndBadLinesAreTold) {
  std::string error;
  const auto ok = parse_schedule("# mine\n5 1  # preemption: my own words\n9 0 # what I saw\n", error);
  ASSERT_TRUE(ok) << error;
  EXPECT_TRUE((*ok)[0].preemption);
  EXPECT_EQ((*ok)[0].time, 0u);
  EXPECT_FALSE(parse_schedule("5 1\n5 2\n", error));
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_FALSE(parse_schedule("5\n", error));
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
  EXPECT_FALSE(parse_schedule("0 1\n", error));
  EXPECT_FALSE(parse_schedule("7 99999\n", error));
}

}  // namespace
}  // namespace lockstep::emu
