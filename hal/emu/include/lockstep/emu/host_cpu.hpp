#pragma once
// Running core code on a host thread outside any machine (benchmarks, unit tests of the core's
// data structures): the thread acts as one vCPU with real atomics; no interrupt ever arrives,
// and only the inline HAL functions may be called.

#include <lockstep/hal_backend/cpu_state.hpp>

namespace lockstep::emu {

class HostCpuScope {
 public:
  /// The calling thread becomes vCPU `id` (with `percpu` as its per-CPU base) until the scope
  /// ends. Interrupts count as disabled.
  explicit HostCpuScope(hal::CpuId id, void* percpu = nullptr) noexcept;
  ~HostCpuScope();
  HostCpuScope(const HostCpuScope&) = delete;
  HostCpuScope& operator=(const HostCpuScope&) = delete;

 private:
  detail::CpuHot cpu_;
  detail::CpuHot* saved_cpu_;
  bool saved_det_;
  void* saved_engine_;
};

}  // namespace lockstep::emu
