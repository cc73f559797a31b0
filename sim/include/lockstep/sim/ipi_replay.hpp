#pragma once
// The `ipi-replay` scenario: keeps every CPU online and busy until a given virtual time, so that
// IPIs injected by the machine (MachineConfig::injections) reach a live core.

#include <lockstep/hal/types.hpp>

namespace lockstep::sim {

/// Name under which the scenario is registered.
inline constexpr const char* kIpiReplayScenario = "ipi-replay";

/// Sets the window of the next ipi-replay run: the scenario fails if bring-up ends after
/// `first` (the first injection would hit a CPU that is not up), and holds every CPU online
/// until its clock passes `until`. Host code, before run_scenario().
void set_ipi_replay_window(hal::Cycles first, hal::Cycles until) noexcept;

}  // namespace lockstep::sim
