#pragma once
// Scenarios: the built-in workloads of the core plus those users register from their own code.
//
//   #include <lockstep/scenario.hpp>
//   LOCKSTEP_SCENARIO(my_race, "two tasks race on a counter") { ... result checks ... }
//
// A scenario body runs on the boot CPU of the emulated machine after every CPU is online; it
// uses the core's API (spawn tasks, locks, IPIs) and reports through the WorkloadResult.

#include <lockstep/core/workload.hpp>
#include <span>
#include <string>
#include <vector>

namespace lockstep::sim {

struct Scenario {
  std::string name;
  std::string description;
  void (*run)(core::WorkloadResult& result);
};

/// Adds a scenario; returns true (so it can initialise a static). A later registration with
/// the same name replaces the earlier one.
bool register_scenario(const char* name, const char* description, void (*run)(core::WorkloadResult&));

/// Built-ins first, then user scenarios in registration order.
std::vector<Scenario> all_scenarios();
const Scenario* find_scenario(const std::string& name);

/// Runs a scenario's body and then the core's own invariant checks (as core::run_workload).
core::WorkloadResult run_registered(const Scenario& s) noexcept;

}  // namespace lockstep::sim

#define LOCKSTEP_SCENARIO_CONCAT2(a, b) a##b
#define LOCKSTEP_SCENARIO_CONCAT(a, b) LOCKSTEP_SCENARIO_CONCAT2(a, b)
/// Defines and registers a scenario named `#id`. The body receives `result`.
#define LOCKSTEP_SCENARIO(id, description)                                                          \
  static void LOCKSTEP_SCENARIO_CONCAT(lockstep_scenario_, id)(::lockstep::core::WorkloadResult&); \
  [[maybe_unused]] static const bool LOCKSTEP_SCENARIO_CONCAT(lockstep_scenario_registered_, id) = \
      ::lockstep::sim::register_scenario(#id, description, &LOCKSTEP_SCENARIO_CONCAT(lockstep_scenario_, id)); \
  static void LOCKSTEP_SCENARIO_CONCAT(lockstep_scenario_, id)([[maybe_unused]] ::lockstep::core::WorkloadResult & result)
