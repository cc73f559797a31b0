// The browser test's fixture: writes a known trace (mixed scenario, 4 CPUs, seed 7), a copy
// with one planted divergence and a run that deadlocks (an ABBA pair), states what the page must
// show in expect.json, and with --serve serves the three through run_view_server until SIGINT
// (printing "URL <url>" first).
//
//   view_fixture OUT_DIR [--serve]
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/core/task.hpp>
#include <lockstep/sim/export.hpp>
#include <lockstep/sim/isolated_run.hpp>
#include <lockstep/sim/scenario.hpp>
#include <lockstep/sim/run_trace.hpp>
#include <lockstep/sim/view.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model.hpp"

using namespace lockstep;

namespace {

// Two tasks take two locks in opposite orders, with time between: most schedules deadlock.
core::RawSpinlock g_first{"fixture.first"};
core::RawSpinlock g_second{"fixture.second"};
core::Completion g_done;

void abba_task(void* arg) {
  const bool forward = arg == nullptr;
  core::RawSpinlock& outer = forward ? g_first : g_second;
  core::RawSpinlock& inner = forward ? g_second : g_first;
  outer.lock();
  for (const hal::Cycles start = hal::cycle_counter(); hal::cycle_counter() - start < 2'000;) hal::relax();
  inner.lock();
  inner.unlock();
  outer.unlock();
  g_done.done();
}

/// C: the first seed whose run is a wait-for deadlock, written to `path`; its model's report.
nlohmann::json write_deadlock_trace(const std::string& path) {
  sim::RunOptions o;
  o.scenario = "fixture_abba";
  o.machine.cpus = 3;
  for (o.machine.seed = 1; o.machine.seed <= 50; ++o.machine.seed) {
    // Found in a child (a deadlocked run leaves its locks held), then run here once, last.
    if (sim::run_isolated(o).reason.find("a cycle of waits") == std::string::npos) continue;
    const sim::ScenarioRun run = sim::run_scenario(o);
    sim::write_run_trace(path, o, run);
    sim::TraceData d = sim::read_trace_file(path);
    const auto model = sim::view::build_model(path, d.config, d.outcome, std::move(d.cpus), d.lost);
    return sim::view::meta_json(model, 2, path)["outcome"]["report"];
  }
  std::fprintf(stderr, "view_fixture: no deadlock in 50 seeds of fixture_abba\n");
  std::exit(1);
}

}  // namespace

LOCKSTEP_SCENARIO(fixture_abba, "viewer fixture: an ABBA pair that deadlocks") {
  g_done.reset(2, hal::current_cpu_id());
  for (std::uintptr_t t = 0; t < 2; ++t)
    if (core::spawn_task(abba_task, reinterpret_cast<void*>(t), 1, static_cast<hal::CpuId>(1 + t)) == nullptr) {
      core::workload_fail(result, "could not spawn");
      g_done.done();
    }
  core::run_scheduler_until([](void*) { return g_done.complete(); }, nullptr);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: view_fixture OUT_DIR [--serve]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const bool serve = argc > 2 && std::string(argv[2]) == "--serve";
  sim::RunOptions o;
  o.scenario = "mixed";
  o.machine.cpus = 4;
  o.machine.seed = 7;
  // A schedule run (as explore's shrunk failures are), so the page has decisions to mark: a
  // few of the decisions a random run took.
  o.machine.record_decisions = true;
  const std::vector<emu::Decision> taken = sim::run_scenario(o).machine.decisions;
  o.machine.record_decisions = false;
  o.machine.strategy = emu::Strategy::kSchedule;
  for (std::size_t i = 0; i < taken.size(); i += std::max<std::size_t>(1, taken.size() / 6)) o.machine.schedule.push_back(taken[i]);
  const sim::ScenarioRun run = sim::run_scenario(o);
  const std::string a = dir + "/a.trace", b = dir + "/b.trace";
  sim::write_run_trace(a, o, run);

  // B: A with one record changed on CPU 2, from two thirds of the way through its lane: the
  // first record there whose description shows the changed field.
  sim::TraceData d = sim::read_trace_file(a);
  const std::uint32_t cpu = 2;
  std::size_t index = d.cpus[cpu].size() * 2 / 3;
  auto planted = [](core::TraceRecord r) {
    r.a ^= 0x5a5a;
    return r;
  };
  while (index < d.cpus[cpu].size() &&
         sim::describe_record(planted(d.cpus[cpu][index])) == sim::describe_record(d.cpus[cpu][index]))
    ++index;
  if (index == d.cpus[cpu].size()) {
    std::fprintf(stderr, "view_fixture: no record on cpu %u to plant a divergence in\n", cpu);
    return 1;
  }
  d.cpus[cpu][index] = planted(d.cpus[cpu][index]);
  {
    sim::TraceWriter w(b, d.config);
    for (std::uint32_t c = 0; c < d.config.cpus; ++c) w.write_cpu(c, d.cpus[c], d.lost[c]);
    w.finish(d.outcome);
  }

  // A known IPI arrow: the first flow (by send time) between two different CPUs.
  sim::TraceData da = sim::read_trace_file(a);
  const auto model = sim::view::build_model(a, da.config, da.outcome, std::move(da.cpus), da.lost);
  nlohmann::json flow = nullptr;
  for (const auto& f : model.flows)
    if (f.src != f.dst && f.t_send > model.t_min + (model.t_max - model.t_min) / 3) {
      flow = {{"src", f.src}, {"dst", f.dst}, {"kind", f.kind}, {"t_send", f.t_send}, {"t_recv", f.t_recv}};
      break;
    }
  const std::string c = dir + "/c.trace";
  const nlohmann::json report = write_deadlock_trace(c);
  std::size_t waits = 0;
  for (const auto& line : report) waits += line["waits_on_cpu"].is_null() ? 0 : 1;
  const nlohmann::json expect = {{"cpus", model.lanes.size()},
                                 {"report", {{"trace", 2}, {"lines", report.size()}, {"waits", waits}, {"first", report[0]}}},
                                 {"flow", flow},
                                 {"divergence", {{"cpu", cpu}, {"index", index}}},
                                 {"decisions", model.decisions.size()},
                                 {"run_command", sim::view::run_command(model.config, "lockstep")},
                                 {"a", a},
                                 {"b", b}};
  std::ofstream(dir + "/expect.json") << expect.dump(2) << "\n";
  if (!serve) return 0;

  sim::ViewOptions v;
  v.traces = {a, b, c};
  v.port = 0;
  v.on_listening = [](const std::string& url, std::uint16_t) {
    std::printf("URL %s\n", url.c_str());
    std::fflush(stdout);
  };
  return sim::run_view_server(v);
}
