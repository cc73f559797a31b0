#pragma once
// Preemption control. A CPU that holds a spinlock must not switch tasks: the lock's holder CPU
// would then be a lie and a second task on that CPU could spin on it forever.

#include <cstdint>
#include <lockstep/hal/irq.hpp>
#include <lockstep/hal/percpu.hpp>

namespace lockstep::core {

namespace detail {
/// The first member of every CPU's record (PerCpu starts with it; percpu.hpp checks), so that
/// the lock fast paths reach the preemption count through the HAL's per-CPU base inline,
/// without PerCpu's definition (which needs the locks').
struct PerCpuFront {
  std::uint32_t preempt_count = 0;
};
inline PerCpuFront* percpu_front() noexcept { return static_cast<PerCpuFront*>(hal::percpu_base()); }
}  // namespace detail

/// Disables preemption on this CPU (nests). The count is per CPU: a preemption happens only at
/// interrupt exit when it is zero, so a task never migrates with a non-zero count (the raise
/// itself runs with interrupts off, so no interrupt can split reading the CPU from writing it).
inline void preempt_disable() noexcept {
  const hal::IrqState saved = hal::irq_save_disable();
  if (detail::PerCpuFront* front = detail::percpu_front()) ++front->preempt_count;
  hal::irq_restore(saved);
}
/// Re-enables preemption; a preemption that was due happens at the next interrupt exit or
/// scheduling point.
inline void preempt_enable() noexcept {
  if (detail::PerCpuFront* front = detail::percpu_front()) --front->preempt_count;
}
/// True if this CPU may switch tasks now.
bool preemptible() noexcept;

}  // namespace lockstep::core
