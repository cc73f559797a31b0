// The browser test's fixture: writes a known trace (mixed scenario, 4 CPUs, seed 7) and a copy
// with one planted divergence, states what the page must show in expect.json, and with
// --serve serves both through run_view_server until SIGINT (printing "URL <url>" first).
//
//   view_fixture OUT_DIR [--serve]
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <lockstep/sim/export.hpp>
#include <lockstep/sim/run_trace.hpp>
#include <lockstep/sim/view.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model.hpp"

using namespace lockstep;

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
  const nlohmann::json expect = {{"cpus", model.lanes.size()},
                                 {"flow", flow},
                                 {"divergence", {{"cpu", cpu}, {"index", index}}},
                                 {"decisions", model.decisions.size()},
                                 {"run_command", sim::view::run_command(model.config, "lockstep")},
                                 {"a", a},
                                 {"b", b}};
  std::ofstream(dir + "/expect.json") << expect.dump(2) << "\n";
  if (!serve) return 0;

  sim::ViewOptions v;
  v.traces = {a, b};
  v.port = 0;
  v.on_listening = [](const std::string& url, std::uint16_t) {
    std::printf("URL %s\n", url.c_str());
    std::fflush(stdout);
  };
  return sim::run_view_server(v);
}
