#include "util.hpp"

namespace lockstep::core::workloads {

void run_boot(WorkloadResult& r) {
  hal::CpuId enabled = 0;
  for (hal::CpuId c = 0; c < cpu_count(); ++c) {
    const PerCpu& cpu = cpu_record(c);
    if (!cpu.enabled) continue;
    ++enabled;
    if (cpu.cpu_state() != CpuState::kOnline)
      fail(r, "cpu {} (hw {:x}) is {} after boot_aps()", c, cpu.hw_id, cpu_state_name(cpu.cpu_state()));
  }
  if (online_count() != enabled) fail(r, "{} of {} enabled CPUs online", online_count(), enabled);
}

}  // namespace lockstep::core::workloads
