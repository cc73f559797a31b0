// A sharded explore sweep on a real single-node Slurm cluster, run the way users run it
// (scripts/slurm-explore), must find exactly what one machine finds over the same seeds.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "support/shell.hpp"

namespace {

namespace fs = std::filesystem;
using lockstep::test::sh;
using nlohmann::json;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

/// Every failure as (seed, reason): what a sweep found, independent of the order shards report.
std::set<std::pair<std::uint64_t, std::string>> failures(const json& result) {
  std::set<std::pair<std::uint64_t, std::string>> out;
  for (const json& f : result.at("failures")) out.emplace(f.at("seed").get<std::uint64_t>(), f.at("reason"));
  return out;
}

/// The script refused the sweep (exit 2) and said why.
void expect_refused(const lockstep::test::ShellResult& r, const std::string& why) {
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(why), std::string::npos) << r.output;
}

class SlurmSweep : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the cluster tier starts slurmd, which needs root";
    char tmpl[] = "/tmp/lockstep-slurm-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const auto up = sh("timeout 120 " + quoted(LOCKSTEP_SLURM_CLUSTER) + " start " + quoted(dir_.string()));
    ASSERT_EQ(up.status, 0) << up.output << "(slurm-wlm and munge are Debian's; scripts/install-deps.sh installs them)";
    started_ = true;
  }

  void TearDown() override {
    if (started_) (void)sh("timeout 60 " + quoted(LOCKSTEP_SLURM_CLUSTER) + " stop " + quoted(dir_.string()));
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  /// `lockstep explore ARGS` through scripts/slurm-explore as an array of `shards` tasks whose
  /// results go to `out` (under the scratch directory).
  lockstep::test::ShellResult sweep(int shards, const std::string& args, const std::string& out = "sweep") {
    return sh("cd " + quoted(dir_.string()) + " && SLURM_CONF=" + quoted((dir_ / "slurm.conf").string()) +
              " timeout 400 " + quoted(LOCKSTEP_SLURM_EXPLORE) + " --shards " + std::to_string(shards) + " --dir " +
              quoted(out) + " --poll 1 --max-wait 300 --lockstep " + quoted(LOCKSTEP_BIN) + " -- " + args);
  }

  /// The same sweep on this machine alone.
  lockstep::test::ShellResult single(const std::string& args) {
    return sh("cd " + quoted(dir_.string()) + " && timeout 300 " + quoted(LOCKSTEP_BIN) + " explore " + args +
              " --keep-going --out single.json");
  }

  fs::path dir_;
  bool started_ = false;
};

TEST_F(SlurmSweep, MergedShardsEqualOneMachine) {
  const std::string args = "--scenario tas_lock --cpus 4 --runs 60 --seed-start 5 --no-shrink";
  const auto cluster = sweep(4, args);
  ASSERT_EQ(cluster.status, 1) << "failures found: exit 1\n" << cluster.output;
  EXPECT_NE(cluster.output.find("merged 4 shards of 4 (60 of 60 runs completed)"), std::string::npos) << cluster.output;
  const auto alone = single(args);
  ASSERT_EQ(alone.status, 1) << alone.output;

  const json merged = read_json(dir_ / "sweep" / "merged.json");
  const json one = read_json(dir_ / "single.json");
  ASSERT_TRUE(merged.is_object() && one.is_object());
  EXPECT_EQ(merged.at("completed"), one.at("completed"));
  EXPECT_EQ(merged.at("runs"), 60);
  EXPECT_EQ(merged.at("shard_count"), 4);
  const auto found = failures(merged);
  EXPECT_FALSE(found.empty());
  EXPECT_EQ(found, failures(one));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(fs::exists(dir_ / "sweep" / ("shard-" + std::to_string(i) + ".log")));
}

TEST_F(SlurmSweep, ACleanSweepPassesAndBadArgumentsAreRefused) {
  const auto clean = sweep(2, "--scenario mixed --cpus 4 --runs 16");
  EXPECT_EQ(clean.status, 0) << clean.output;
  EXPECT_NE(clean.output.find("16 of 16 runs completed"), std::string::npos) << clean.output;
  // A task that fails before writing its result (here: a scenario that does not exist) is named
  // with its log, not merged away.
  const auto broken = sweep(2, "--scenario no-such-scenario --runs 4", "broken");
  expect_refused(broken, "shard 0 left no result");
  // A directory that holds an earlier sweep's results is refused, not merged into this one.
  const auto again = sweep(2, "--scenario mixed --cpus 4 --runs 16");
  expect_refused(again, "already holds results of a sweep");
  const auto own = sweep(2, "--scenario mixed --shard 0/2", "own");
  expect_refused(own, "'--shard' is the script's to set");
}

}  // namespace
