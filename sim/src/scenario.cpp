#include <algorithm>
#include <deque>
#include <lockstep/hal/search.hpp>
#include <lockstep/sim/scenario.hpp>

namespace lockstep::sim {
namespace {
// A deque keeps element addresses stable: find_scenario() pointers stay valid.
std::deque<Scenario>& user_scenarios() {
  static std::deque<Scenario> list;
  return list;
}
std::deque<Scenario>& builtin_scenarios() {
  static std::deque<Scenario> list = [] {
    std::deque<Scenario> l;
    for (const auto& w : core::builtin_workloads()) l.push_back({w.name, w.description, w.run});
    return l;
  }();
  return list;
}
}  // namespace

bool register_scenario(const char* name, const char* description, void (*run)(core::WorkloadResult&)) {
  auto& list = user_scenarios();
  auto it = std::find_if(list.begin(), list.end(), [&](const Scenario& s) { return s.name == name; });
  if (it != list.end()) {
    *it = Scenario{name, description, run};
  } else {
    list.push_back(Scenario{name, description, run});
  }
  return true;
}

std::vector<Scenario> all_scenarios() {
  std::vector<Scenario> out(builtin_scenarios().begin(), builtin_scenarios().end());
  out.insert(out.end(), user_scenarios().begin(), user_scenarios().end());
  return out;
}

const Scenario* find_scenario(const std::string& name) {
  for (const auto& s : user_scenarios())
    if (s.name == name) return &s;
  for (const auto& s : builtin_scenarios())
    if (s.name == name) return &s;
  return nullptr;
}

core::WorkloadResult run_registered(const Scenario& s) noexcept {
  const core::Workload w{s.name.c_str(), s.description.c_str(), s.run};
  // The scenario's own part, after boot: where PCT spends its change points (a start barrier
  // inside narrows it further).
  hal::test_focus(true);
  core::WorkloadResult result = core::run_workload(w);
  hal::test_focus(false);
  return result;
}

}  // namespace lockstep::sim
