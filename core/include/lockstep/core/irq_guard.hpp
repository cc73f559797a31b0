#pragma once
// Scoped local-interrupt masking.

#include <lockstep/hal/irq.hpp>

namespace lockstep::core {

/// Disables interrupts on this CPU for its scope and restores the previous state after. Any
/// context. Nests: an inner scope restores "disabled".
class [[nodiscard]] IrqDisabledScope {
 public:
  IrqDisabledScope() noexcept : saved_(hal::irq_save_disable()) {}
  ~IrqDisabledScope() { hal::irq_restore(saved_); }
  IrqDisabledScope(const IrqDisabledScope&) = delete;
  IrqDisabledScope& operator=(const IrqDisabledScope&) = delete;
  IrqDisabledScope(IrqDisabledScope&&) = delete;
  IrqDisabledScope& operator=(IrqDisabledScope&&) = delete;

 private:
  hal::IrqState saved_;
};

}  // namespace lockstep::core
