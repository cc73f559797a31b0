#pragma once
// Preemption control. A CPU that holds a spinlock must not switch tasks: the lock's holder CPU
// would then be a lie and a second task on that CPU could spin on it forever.

#include <cstdint>

namespace lockstep::core {

/// Disables preemption on this CPU (nests). The count is per CPU: a preemption happens only at
/// interrupt exit when it is zero, so a task never migrates with a non-zero count (the raise
/// itself runs with interrupts off, so no interrupt can split reading the CPU from writing it).
void preempt_disable() noexcept;
/// Re-enables preemption; a preemption that was due happens at the next interrupt exit or
/// scheduling point.
void preempt_enable() noexcept;
/// True if this CPU may switch tasks now.
bool preemptible() noexcept;

}  // namespace lockstep::core
