// End-to-end tests of the `lockstep` command: each runs the real binary (LOCKSTEP_BIN, or
// LOCKSTEP_TEST_BIN which adds the test scenarios racy_counter and fixed_counter) in its own
// directory and checks exit status, output and the files written.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <lockstep/sim/trace_file.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "proto/perfetto_trace.pb.h"
#include "support/shell.hpp"

namespace {

namespace fs = std::filesystem;

using Result = lockstep::test::ShellResult;
using lockstep::test::sh;

std::string bin() { return LOCKSTEP_BIN; }
std::string test_bin() { return LOCKSTEP_TEST_BIN; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::current_path() / "cli_test_tmp" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    old_ = fs::current_path();
    fs::current_path(dir_);
  }
  void TearDown() override { fs::current_path(old_); }

  /// A fresh trace of a small mixed run, at `name`.
  void make_trace(const std::string& name) {
    const Result r = sh(bin() + " run --scenario mixed --cpus 4 --seed 3 --trace " + name);
    ASSERT_EQ(r.status, 0) << r.output;
    ASSERT_TRUE(fs::exists(name));
  }

  fs::path dir_, old_;
};

#define EXPECT_EXIT_STATUS(result, code) EXPECT_EQ((result).status, code) << (result).output

TEST_F(Cli, ScenariosListsBuiltinAndUserScenarios) {
  const Result r = sh(test_bin() + " scenarios");
  EXPECT_EXIT_STATUS(r, 0);
  for (const char* name : {"boot", "mixed", "hotplug", "ipi-replay", "racy_counter", "fixed_counter"})
    EXPECT_NE(r.output.find(name), std::string::npos) << name;
}

TEST_F(Cli, EverySubcommandHasHelp) {
  for (const char* sub : {"run", "explore", "merge", "replay", "export", "scenarios", "demo"}) {
    const Result r = sh(bin() + " " + sub + " --help");
    EXPECT_EXIT_STATUS(r, 0);
    EXPECT_NE(r.output.find(sub), std::string::npos) << sub << ": " << r.output;
  }
  EXPECT_EXIT_STATUS(sh(bin() + " --help"), 0);
}

TEST_F(Cli, RunPassExitsZeroAndPrintsSummary) {
  const Result r = sh(bin() + " run --scenario mixed --cpus 4 --seed 1");
  EXPECT_EXIT_STATUS(r, 0);
  for (const char* what : {"PASS", "virtual time", "ipi-sent", "lock contention", "profiler"})
    EXPECT_NE(r.output.find(what), std::string::npos) << what;
}

TEST_F(Cli, BadUsageExitsTwoNamingTheProblem) {
  const std::pair<std::string, std::string> cases[] = {
      {"run --scenario mixed --bogus", "--bogus"},
      {"run --cpus 2", "--scenario"},
      {"run --scenario no-such-scenario", "no-such-scenario"},
      {"run --scenario mixed --cpus 0", "--cpus"},
      {"run --scenario mixed --strategy fastest", "--strategy"},
      {"run --scenario mixed --faults lose-ipi=lots", "lose-ipi"},
      {"explore --scenario mixed --runs 4 --shard 3/2", "--shard"},
      {"run --scenario mixed --memory-model power", "--memory-model"},
      {"run --scenario mixed --cpus 65 --memory-model arm", "at most 64 CPUs"},
      {"run --scenario mixed --races maybe", "--races"},
      {"run --scenario mixed --races on --engine parallel", "--races on"},
      {"run --scenario mixed --races on --cpus 100", "--races on"},
      {"explore --machine unicorn --memory-model arm --runs 1", "--memory-model"},
      {"export missing.trace --format xml", "--format"},
      {"export missing.trace --format csv", "missing.trace"},
      {"replay missing.trace", "missing.trace"},
      {"merge missing.json", "missing.json"},
      {"frobnicate", "frobnicate"},
      {"", "subcommand"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = sh(bin() + " " + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << args << " should name " << needle << ":\n" << r.output;
  }
}

TEST_F(Cli, ExploreFindsTheRaceAndItsReproCommandReproducesIt) {
  const Result r = sh(test_bin() + " explore --scenario racy_counter --cpus 2 --runs 200 --jobs 2");
  ASSERT_EQ(r.status, 1) << r.output;
  std::smatch fail, repro;
  ASSERT_TRUE(std::regex_search(r.output, fail, std::regex("FAIL seed ([0-9]+): (.*)"))) << r.output;
  ASSERT_TRUE(std::regex_search(r.output, repro, std::regex("reproduce: (.*)"))) << r.output;
  EXPECT_NE(repro[1].str().find("--seed " + fail[1].str()), std::string::npos) << r.output;
  const Result again = sh(repro[1].str());
  EXPECT_EXIT_STATUS(again, 1);
  EXPECT_NE(again.output.find(fail[2].str()), std::string::npos) << again.output;
  // And once more: the same failure, bit for bit.
  const Result third = sh(repro[1].str());
  EXPECT_EQ(again.output, third.output);
}

TEST_F(Cli, ExploreShrinksTheFailureAndTheScheduleReplaysIt) {
  const Result r = sh(test_bin() + " explore --scenario racy_counter --cpus 4 --runs 200");
  ASSERT_EQ(r.status, 1) << r.output;
  std::smatch shrunk, replay;
  ASSERT_TRUE(std::regex_search(r.output, shrunk,
                                std::regex("shrunk: ([0-9]+) preemptions \\(of [0-9]+ decisions\\) -> ([0-9]+) preemptions")))
      << r.output;
  EXPECT_LE(std::stoull(shrunk[2].str()), std::stoull(shrunk[1].str()));
  ASSERT_TRUE(std::regex_search(r.output, replay, std::regex("replay it: (.*--schedule ([^ \\n]+))"))) << r.output;
  ASSERT_TRUE(fs::exists(replay[2].str())) << r.output;
  const Result once = sh(replay[1].str() + " --trace shrunk.trace");
  EXPECT_EXIT_STATUS(once, 1);
  EXPECT_NE(once.output.find("lost update"), std::string::npos) << once.output;
  EXPECT_NE(once.output.find(shrunk[2].str() + " preemptions"), std::string::npos) << once.output;
  // The schedule travels in the trace header, so the trace replays on its own.
  const lockstep::sim::TraceData d = lockstep::sim::read_trace_file("shrunk.trace");
  EXPECT_EQ(d.config.strategy, "schedule");
  std::istringstream file(slurp(replay[2].str()));
  for (std::string line; std::getline(file, line);) {
    const std::string decision = line.substr(0, line.find("  #"));
    if (decision.empty() || decision[0] == '#') continue;
    EXPECT_NE(d.config.schedule.find(decision), std::string::npos) << decision;
  }
  EXPECT_EXIT_STATUS(sh(test_bin() + " replay shrunk.trace"), 0);
}

TEST_F(Cli, BadScheduleFilesExitTwoNamingTheProblem) {
  const Result missing = sh(test_bin() + " run --scenario racy_counter --schedule nothere.schedule");
  EXPECT_EXIT_STATUS(missing, 2);
  EXPECT_NE(missing.output.find("nothere.schedule"), std::string::npos) << missing.output;
  std::ofstream("bad.schedule") << "# fine\n10 1\n20 x\n";
  const Result bad = sh(test_bin() + " run --scenario racy_counter --schedule bad.schedule");
  EXPECT_EXIT_STATUS(bad, 2);
  EXPECT_NE(bad.output.find("line 3"), std::string::npos) << bad.output;
  std::ofstream("wrong_cpu.schedule") << "10 4000\n";
  EXPECT_EXIT_STATUS(sh(test_bin() + " run --scenario racy_counter --schedule wrong_cpu.schedule"), 2);
}

TEST_F(Cli, BootRefusesMachinesQemuCannotStartBeforeStartingIt) {
  const Result gic = sh(bin() + " boot --arch arm64 --cpus 9 --gic 2");
  EXPECT_EXIT_STATUS(gic, 2);
  EXPECT_NE(gic.output.find("GICv2 serves at most 8 CPUs"), std::string::npos) << gic.output;
  const Result tcg = sh(bin() + " boot --arch x86_64 --cpus 260 --accel tcg");
  EXPECT_EXIT_STATUS(tcg, 2);
  EXPECT_NE(tcg.output.find("use --accel kvm"), std::string::npos) << tcg.output;
  const Result q35 = sh(bin() + " boot --arch x86_64 --cpus 300 --accel kvm");
  EXPECT_EXIT_STATUS(q35, 2);
  EXPECT_NE(q35.output.find("q35 machine starts at most 288 CPUs"), std::string::npos) << q35.output;
}

TEST_F(Cli, SearchLimitsAreInTheTraceHeaderAndTheReproCommand) {
  const Result r = sh(bin() + " run --scenario mixed --cpus 2 --strategy pct --pct-horizon 77 --max-steps 9000000 "
                              "--max-cycles 123456789 --trace limits.trace");
  ASSERT_EQ(r.status, 0) << r.output;
  const lockstep::sim::TraceData d = lockstep::sim::read_trace_file("limits.trace");
  EXPECT_EQ(d.config.pct_horizon, 77u);
  EXPECT_EQ(d.config.max_steps, 9000000u);
  EXPECT_EQ(d.config.max_cycles, 123456789u);
  EXPECT_EXIT_STATUS(sh(bin() + " replay limits.trace"), 0);
  const Result tight = sh(bin() + " explore --scenario mixed --cpus 2 --runs 4 --max-steps 1000 --no-shrink");
  EXPECT_EXIT_STATUS(tight, 1);
  std::smatch repro;
  ASSERT_TRUE(std::regex_search(tight.output, repro, std::regex("reproduce: (.*)"))) << tight.output;
  EXPECT_NE(repro[1].str().find("--max-steps 1000"), std::string::npos) << tight.output;
  EXPECT_NE(sh(repro[1].str()).output.find("step limit"), std::string::npos);
}

TEST_F(Cli, ExploreOfTheFixedScenarioPasses) {
  const Result r = sh(test_bin() + " explore --scenario fixed_counter --cpus 2 --runs 200 --jobs 2");
  EXPECT_EXIT_STATUS(r, 0);
  EXPECT_NE(r.output.find("200 runs"), std::string::npos) << r.output;
}

TEST_F(Cli, ExploreFindsLostIpiFault) {
  const Result r = sh(bin() + " explore --scenario mixed --cpus 4 --runs 40 --jobs 2 --faults lose-ipi=0.05");
  ASSERT_EQ(r.status, 1) << r.output;
  std::smatch repro;
  ASSERT_TRUE(std::regex_search(r.output, repro, std::regex("reproduce: (.*)"))) << r.output;
  EXPECT_NE(repro[1].str().find("--faults lose-ipi="), std::string::npos);
  EXPECT_EXIT_STATUS(sh(repro[1].str()), 1);
}

TEST_F(Cli, ExploreUnderArmFindsARelaxedUnlockAndItsTraceReplays) {
  const Result sc = sh(bin() + " explore --scenario relaxed_unlock --cpus 2 --runs 200");
  EXPECT_EXIT_STATUS(sc, 0);
  const Result r = sh(bin() + " explore --scenario relaxed_unlock --cpus 2 --runs 200 --memory-model arm");
  ASSERT_EQ(r.status, 1) << r.output;
  std::smatch repro;
  ASSERT_TRUE(std::regex_search(r.output, repro, std::regex("reproduce: (.*)"))) << r.output;
  EXPECT_NE(repro[1].str().find("--memory-model arm"), std::string::npos) << r.output;
  const Result again = sh(repro[1].str() + " --trace arm.trace");
  EXPECT_EXIT_STATUS(again, 1);
  EXPECT_NE(again.output.find("an increment made under the lock was lost"), std::string::npos) << again.output;
  const Result replay = sh(bin() + " replay arm.trace");
  EXPECT_EXIT_STATUS(replay, 0);
  EXPECT_NE(replay.output.find("replay matches"), std::string::npos) << replay.output;
}

TEST_F(Cli, ARaceIsReportedAtTheDefaultsReplaysAndGoesWithRacesOff) {
  const Result r = sh(bin() + " run --scenario wrong_lock_race --cpus 2 --trace race.trace");
  EXPECT_EXIT_STATUS(r, 1);
  EXPECT_NE(r.output.find("data race on a tracked datum of 4 bytes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("holding 'wrong_lock.a'"), std::string::npos) << r.output;
  const Result replay = sh(bin() + " replay race.trace");
  EXPECT_EXIT_STATUS(replay, 0);
  EXPECT_EQ(lockstep::sim::read_trace_file("race.trace").config.races, true);
  const Result off = sh(bin() + " run --scenario wrong_lock_race --cpus 2 --races off --trace off.trace");
  EXPECT_EXIT_STATUS(off, 0);
  EXPECT_EQ(lockstep::sim::read_trace_file("off.trace").config.races, false);
  EXPECT_EXIT_STATUS(sh(bin() + " replay off.trace"), 0);
}

TEST_F(Cli, ShardsMergeIntoTheWholeSweep) {
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(sh(test_bin() + " explore --scenario racy_counter --cpus 2 --runs 30 --jobs 1 --keep-going --shard " +
                 std::to_string(i) + "/3 --out s" + std::to_string(i) + ".json")
                  .status,
              1);
  const Result whole = sh(test_bin() + " explore --scenario racy_counter --cpus 2 --runs 30 --jobs 2 --keep-going --out all.json");
  EXPECT_EXIT_STATUS(whole, 1);
  const Result merged = sh(test_bin() + " merge s0.json s1.json s2.json --out merged.json");
  EXPECT_EXIT_STATUS(merged, 1);
  EXPECT_NE(merged.output.find("merged 3 shards of 3 (30 of 30 runs"), std::string::npos) << merged.output;
  const auto a = nlohmann::json::parse(slurp("all.json"));
  const auto m = nlohmann::json::parse(slurp("merged.json"));
  EXPECT_EQ(a["failures"], m["failures"]);
  EXPECT_EQ(a["completed"], m["completed"]);
  EXPECT_EXIT_STATUS(sh(test_bin() + " merge s0.json s0.json"), 2);
}

TEST_F(Cli, ReplayOfAFreshTracePasses) {
  make_trace("t.trace");
  const Result r = sh(bin() + " replay t.trace");
  EXPECT_EXIT_STATUS(r, 0);
  EXPECT_NE(r.output.find("replay matches"), std::string::npos) << r.output;
}

TEST_F(Cli, DamagedTracesAreRejectedWithExitTwo) {
  make_trace("t.trace");
  const std::string good = slurp("t.trace");
  auto write = [](const std::string& name, const std::string& bytes) { std::ofstream(name, std::ios::binary) << bytes; };
  std::string flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
  write("flipped.trace", flipped);
  write("truncated.trace", good.substr(0, good.size() / 3));
  write("magic.trace", "XXXXXXXX" + good.substr(8));
  write("empty.trace", "");
  std::string version = good;
  version[8] = 99;
  write("version.trace", version);
  const std::pair<std::string, std::string> cases[] = {{"flipped.trace", "flipped.trace"},
                                                       {"truncated.trace", "truncated"},
                                                       {"magic.trace", "magic"},
                                                       {"empty.trace", "not a lockstep trace"},
                                                       {"version.trace", "version 99"}};
  for (const auto& [file, needle] : cases) {
    for (const std::string cmd : {"replay ", "export --format csv "}) {
      const Result r = sh(bin() + " " + cmd + file);
      EXPECT_EQ(r.status, 2) << cmd << file << "\n" << r.output;
      EXPECT_NE(r.output.find(needle), std::string::npos) << cmd << file << "\n" << r.output;
      EXPECT_LT(std::count(r.output.begin(), r.output.end(), '\n'), 3) << "one-line error expected:\n" << r.output;
    }
  }
}

TEST_F(Cli, ReplayRefusesAnotherBuildUnlessForced) {
  make_trace("t.trace");
  lockstep::sim::TraceData t = lockstep::sim::read_trace_file("t.trace");
  t.config.build_id = "0.0.0-someotherbuild";
  {
    lockstep::sim::TraceWriter w("other.trace", t.config);
    for (std::uint32_t c = 0; c < t.config.cpus; ++c) w.write_cpu(c, t.cpus[c], t.lost[c]);
    w.finish(t.outcome);
  }
  const Result refused = sh(bin() + " replay other.trace");
  EXPECT_EXIT_STATUS(refused, 2);
  EXPECT_NE(refused.output.find("someotherbuild"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--force"), std::string::npos) << refused.output;
  EXPECT_EXIT_STATUS(sh(bin() + " replay --force other.trace"), 0);
}

// A header field out of range behind a valid checksum (it once made replay allocate change
// points until bad_alloc) exits 2 at once, naming the field and its range.
TEST_F(Cli, HeaderFieldsOutOfRangeExitTwoNamingTheField) {
  make_trace("t.trace");
  const lockstep::sim::TraceData good = lockstep::sim::read_trace_file("t.trace");
  auto rewrite = [&](const std::string& name, auto change) {
    lockstep::sim::TraceData t = good;
    change(t.config);
    lockstep::sim::TraceWriter w(name, t.config);
    for (std::uint32_t c = 0; c < t.config.cpus; ++c) w.write_cpu(c, t.cpus[c], t.lost[c]);
    w.finish(t.outcome);
  };
  rewrite("depth.trace", [](lockstep::sim::TraceConfig& c) { c.pct_depth = 0xff000003u; });
  rewrite("steps.trace", [](lockstep::sim::TraceConfig& c) { c.max_steps = ~std::uint64_t{0}; });
  rewrite("ring.trace", [](lockstep::sim::TraceConfig& c) { c.ring_capacity = std::uint64_t{1} << 40; });
  rewrite("strategy.trace", [](lockstep::sim::TraceConfig& c) { c.strategy = "bogus"; });
  rewrite("model.trace", [](lockstep::sim::TraceConfig& c) { c.memory_model = "power"; });
  const std::pair<std::string, std::string> cases[] = {{"model.trace", "unknown memory model 'power'"},
                                                       {"depth.trace", "PCT depth"},
                                                       {"steps.trace", "step limit"},
                                                       {"ring.trace", "ring capacity"},
                                                       {"strategy.trace", "bogus"}};
  for (const auto& [file, field] : cases) {
    const auto start = std::chrono::steady_clock::now();
    const Result r = sh(bin() + " replay --force " + file);
    EXPECT_EXIT_STATUS(r, 2);
    EXPECT_NE(r.output.find(field), std::string::npos) << file << "\n" << r.output;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << file << " took too long";
  }
}

TEST_F(Cli, ReplayNamesTheFirstDivergingEvent) {
  make_trace("t.trace");
  lockstep::sim::TraceData t = lockstep::sim::read_trace_file("t.trace");
  ASSERT_GT(t.cpus[1].size(), 20u);
  t.cpus[1][20].time += 1;  // A record that a re-run cannot produce.
  {
    lockstep::sim::TraceWriter w("diverged.trace", t.config);
    for (std::uint32_t c = 0; c < t.config.cpus; ++c) w.write_cpu(c, t.cpus[c], t.lost[c]);
    w.finish(t.outcome);
  }
  const Result r = sh(bin() + " replay diverged.trace");
  EXPECT_EXIT_STATUS(r, 1);
  EXPECT_NE(r.output.find("first divergence on cpu 1 at event #20"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("recorded: t="), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("replayed: t="), std::string::npos) << r.output;
}

TEST_F(Cli, ChromeExportParsesWithTracksFlowsAndCounters) {
  make_trace("t.trace");
  const Result r = sh(bin() + " export t.trace --format chrome -o t.json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(slurp("t.json"));
  ASSERT_TRUE(j.contains("traceEvents"));
  int threads = 0, flow_starts = 0, flow_ends = 0, counters = 0, slices = 0;
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e["ph"];
    if (ph == "M" && e["name"] == "thread_name") ++threads;
    if (ph == "s") ++flow_starts;
    if (ph == "f") ++flow_ends;
    if (ph == "C") ++counters;
    if (ph == "B") ++slices;
  }
  EXPECT_EQ(threads, 4);
  EXPECT_GT(flow_starts, 0);
  EXPECT_EQ(flow_starts, flow_ends);
  EXPECT_GT(counters, 0);
  EXPECT_GT(slices, 0);
  EXPECT_EQ(j["metadata"]["scenario"], "mixed");
}

TEST_F(Cli, PerfettoExportParsesWithTheProtobufReader) {
  make_trace("t.trace");
  const Result r = sh(bin() + " export t.trace --format perfetto -o t.pftrace");
  ASSERT_EQ(r.status, 0) << r.output;
  perfetto::protos::Trace trace;
  ASSERT_TRUE(trace.ParseFromString(slurp("t.pftrace")));
  int cpu_tracks = 0, counter_tracks = 0, flows_out = 0, flows_in = 0, begins = 0, ends = 0, counters = 0;
  std::uint64_t last_ts = 0;
  for (const auto& p : trace.packet()) {
    EXPECT_EQ(p.trusted_packet_sequence_id(), 1u);
    if (p.has_track_descriptor()) {
      if (p.track_descriptor().has_thread()) ++cpu_tracks;
      if (p.track_descriptor().has_counter()) ++counter_tracks;
    }
    if (p.has_track_event()) {
      const auto& e = p.track_event();
      EXPECT_GE(p.timestamp(), last_ts);
      last_ts = p.timestamp();
      flows_out += e.flow_ids_size();
      flows_in += e.terminating_flow_ids_size();
      begins += e.type() == perfetto::protos::TrackEvent::TYPE_SLICE_BEGIN;
      ends += e.type() == perfetto::protos::TrackEvent::TYPE_SLICE_END;
      counters += e.type() == perfetto::protos::TrackEvent::TYPE_COUNTER;
    }
  }
  EXPECT_EQ(cpu_tracks, 4);
  EXPECT_EQ(counter_tracks, 4);
  EXPECT_GT(flows_out, 0);
  EXPECT_EQ(flows_out, flows_in);
  EXPECT_GT(begins, 0);
  EXPECT_EQ(begins, ends);
  EXPECT_GT(counters, 0);
}

TEST_F(Cli, CsvExportHasOneLinePerRecord) {
  make_trace("t.trace");
  ASSERT_EQ(sh(bin() + " export t.trace --format csv").status, 0);
  const lockstep::sim::TraceData t = lockstep::sim::read_trace_file("t.trace");
  std::size_t records = 0;
  for (const auto& c : t.cpus) records += c.size();
  const std::string csv = slurp("t.csv");
  EXPECT_EQ(csv.rfind("time,cpu,type,aux,a,b,detail\n", 0), 0u);
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')), records + 1);
}

TEST_F(Cli, ReplayIpisInjectsATextTrace) {
  std::ofstream("ipis.txt") << "# time src dst kind\n0 0 1 reschedule\n100 0 1 reschedule\n"
                               "5000 2 3 call\n6000 1 0 timer\n";
  const Result r = sh(bin() + " replay --ipis ipis.txt");
  EXPECT_EXIT_STATUS(r, 0);
  EXPECT_NE(r.output.find("replayed 4 IPIs"), std::string::npos) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n\s+3\s+call\s+1\s+1)"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n\s+0\s+timer\s+1\s+1)"))) << r.output;
}

TEST_F(Cli, ReplayIpisTakesTheIpisOfABinaryTrace) {
  make_trace("t.trace");
  const Result r = sh(bin() + " replay --ipis t.trace");
  EXPECT_EXIT_STATUS(r, 0);
  EXPECT_NE(r.output.find("into 4 CPUs"), std::string::npos) << r.output;
}

TEST_F(Cli, ReplayIpisRejectsBadLinesNamingTheLine) {
  std::ofstream("bad.txt") << "# ok\n0 0 1 reschedule\n10 0 1 bogus\n";
  Result r = sh(bin() + " replay --ipis bad.txt");
  EXPECT_EXIT_STATUS(r, 2);
  EXPECT_NE(r.output.find("bad.txt:3"), std::string::npos) << r.output;
  std::ofstream("short.txt") << "0 0 1\n";
  r = sh(bin() + " replay --ipis short.txt");
  EXPECT_EXIT_STATUS(r, 2);
  EXPECT_NE(r.output.find("short.txt:1"), std::string::npos) << r.output;
  std::ofstream("far.txt") << "0 0 9 call\n";
  r = sh(bin() + " replay --ipis far.txt --cpus 4");
  EXPECT_EXIT_STATUS(r, 2);
  EXPECT_NE(r.output.find("CPU 9"), std::string::npos) << r.output;
}

TEST_F(Cli, DemoWritesATraceAndSaysHowToLookAtIt) {
  const Result r = sh(bin() + " demo");
  EXPECT_EXIT_STATUS(r, 0);
  EXPECT_TRUE(fs::exists("demo.trace"));
  EXPECT_NE(r.output.find("--format perfetto"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ui.perfetto.dev"), std::string::npos) << r.output;
  EXPECT_EXIT_STATUS(sh(bin() + " replay demo.trace"), 0);
}

TEST_F(Cli, NoTemporaryFilesAreLeftBehind) {
  make_trace("t.trace");
  ASSERT_EQ(sh(bin() + " export t.trace --format chrome").status, 0);
  EXPECT_EQ(sh(bin() + " run --scenario mixed --cpus 2 --trace /nonexistent-dir/t.trace").status, 2);
  for (const auto& e : fs::directory_iterator("."))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

}  // namespace
