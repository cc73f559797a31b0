#pragma once
// Portable workloads: scenarios written against the core's API only, so that the same code
// runs on the emulated machines and as the bare-metal kernels' self-test.

#include <cstdint>
#include <span>

namespace lockstep::core {

struct WorkloadResult {
  bool passed = true;
  char reason[200] = "ok";
};

/// Marks `result` failed with a formatted reason (the first failure wins).
void workload_fail(WorkloadResult& result, const char* reason) noexcept;

struct Workload {
  const char* name;
  const char* description;
  /// Runs on the boot CPU after init() and boot_aps(), interrupts disabled; returns when every
  /// task it started has finished. Checks its invariants into `result`.
  void (*run)(WorkloadResult& result);
};

/// The built-in workloads, in a fixed order.
std::span<const Workload> builtin_workloads() noexcept;
/// The built-in workload called `name`, or nullptr.
const Workload* find_workload(const char* name) noexcept;

/// Runs `w` and then checks the core's own invariants (no panic, balance bound, every spawned
/// task finished). Boot CPU.
WorkloadResult run_workload(const Workload& w) noexcept;

}  // namespace lockstep::core
