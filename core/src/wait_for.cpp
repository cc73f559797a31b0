// The wait-for check behind the spinlocks' deadlock report. Each CPU publishes what it waits
// for; a waiter follows the chain (lock -> its holder -> what that CPU waits for -> ...) and a
// chain that comes back to it is a deadlock. Cross-CPU calls take part: a CPU waiting for its
// call on CPU X is blocked by X only while X cannot serve calls, that is while X spins on a
// lock with interrupts off (a CPU waiting in spin_until serves its mailbox; one running
// normally takes the IPI eventually).
//
// The chain is read link by link, not as one snapshot, so a cycle is reported only when the
// same cycle is found by two consecutive checks kWaitCheckPeriod spins apart, while this CPU's
// lock stayed taken throughout: a holder that let go in between would have ended the spin.
//
// The same checks carry the spin watchdog (BootConfig::lockup_cycles): a wait that lasts too
// long is reported once whether or not it is part of a cycle (a holder that never lets go, an
// IPI that never arrived), naming the CPUs that still have calls queued.

#include <lockstep/core/cpu.hpp>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/percpu.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/task.hpp>

#include "state.hpp"

namespace lockstep::core {
namespace {

// The encoding of PerCpu::waits_for: a LockOwner pointer (aligned to 8) or a CPU id shifted
// left, with the low bits saying which and whether interrupts were off.
constexpr std::uintptr_t kCallBit = 1;    // Waits for its call on a CPU (id in bits 2..).
constexpr std::uintptr_t kIrqOffBit = 2;  // Waits with interrupts disabled.
constexpr std::uintptr_t kTagBits = 3;
static_assert(alignof(detail::LockOwner) >= 4);

std::uintptr_t irq_bit() noexcept { return hal::irq_enabled() ? 0 : kIrqOffBit; }

const detail::LockOwner* lock_of(std::uintptr_t w) noexcept {
  return (w & kCallBit) ? nullptr : reinterpret_cast<const detail::LockOwner*>(w & ~kTagBits);
}

/// The CPU that `w` (a CPU's record) waits on, if that wait blocks; kInvalidCpu if it does not.
hal::CpuId blocker(std::uintptr_t w) noexcept {
  if (w == 0) return hal::kInvalidCpu;
  if (const detail::LockOwner* lock = lock_of(w)) return lock->holder.load(std::memory_order_relaxed);
  const auto target = static_cast<hal::CpuId>(w >> 2);
  if (target >= cpu_count()) return hal::kInvalidCpu;
  const std::uintptr_t tw = cpu_record(target).waits_for.load(std::memory_order_relaxed);
  const bool cannot_serve = tw != 0 && lock_of(tw) != nullptr && (tw & kIrqOffBit);
  return cannot_serve ? target : hal::kInvalidCpu;
}

/// What runs on `cpu`: "task 7", "task 7 in an interrupt handler", "the idle loop".
void describe_context(TextBuffer& text, const PerCpu& cpu) noexcept {
  if (cpu.current != nullptr) {
    text.format("task {}", cpu.current->id);
  } else {
    text.put("the idle loop");
  }
  if (cpu.irq_depth != 0) text.put(" in an interrupt handler");
}

/// One link of the report (format: docs/ARCHITECTURE.md, "Deadlock and lock reports").
void describe_wait(TextBuffer& text, hal::CpuId cpu, std::uintptr_t w, hal::CpuId next) noexcept {
  const PerCpu& record = cpu_record(cpu);
  text.format("cpu {} (", cpu);
  describe_context(text, record);
  text.put((w & kIrqOffBit) ? ", interrupts off" : "");
  detail::lockdep_put_held(text, cpu);
  if (const detail::LockOwner* lock = lock_of(w)) {
    text.format(") waits for lock '{}' held by cpu {}", lock->stats.name, next);
  } else {
    text.format(") waits for its cross-CPU call on cpu {}", next);
  }
  text.format(" since cycle {}", record.wait_since.load(std::memory_order_relaxed));
}

[[noreturn]] void report_cycle(hal::CpuId me) noexcept {
  TextBuffer text;
  text.put("deadlock: a cycle of waits: ");
  hal::CpuId cpu = me;
  for (hal::CpuId hops = 0; hops <= cpu_count(); ++hops) {
    const std::uintptr_t w = cpu_record(cpu).waits_for.load(std::memory_order_relaxed);
    const hal::CpuId next = blocker(w);
    if (hops != 0) text.put("; ");
    describe_wait(text, cpu, w, next);
    if (next == me || next == hal::kInvalidCpu) break;
    cpu = next;
  }
  text.put('\0');
  // panic() copies the text before it halts. (A static buffer here was overwritten when two
  // CPUs of one cycle reported it at once.)
  panic(text.data(), __FILE__, __LINE__);
}

}  // namespace

namespace {
/// `starts`: a new wait begins now (its start is reported); restoring an interrupted one keeps
/// the start it had.
std::uintptr_t publish_wait(std::uintptr_t w, bool starts) noexcept {
  if (hal::percpu_base() == nullptr) return 0;  // Before this CPU's bring-up: nothing to check.
  PerCpu& me = this_cpu();
  me.wait_cycle_seen = 0;
  const std::uintptr_t outer = me.waits_for.load(std::memory_order_relaxed);
  if (outer != w) {
    me.waits_for.store(w, std::memory_order_relaxed);
    if (starts) {
      me.wait_since.store(hal::cycle_counter(), std::memory_order_relaxed);
      me.lockup_reported = false;
    }
  }
  return outer;
}
}  // namespace

std::uintptr_t detail::begin_lock_wait(const LockOwner* lock) noexcept {
  return publish_wait(reinterpret_cast<std::uintptr_t>(lock) | irq_bit(), true);
}

std::uintptr_t detail::begin_call_wait(hal::CpuId target) noexcept {
  return publish_wait((std::uintptr_t{target} << 2) | kCallBit | irq_bit(), true);
}

std::uintptr_t detail::pause_wait() noexcept { return publish_wait(0, false); }

void detail::end_wait(std::uintptr_t outer) noexcept { (void)publish_wait(outer, false); }

namespace {

/// The CPUs with calls still queued, and what they do: one asleep in its idle loop with work in
/// its mailbox never got (or lost) the IPI.
void put_unserved_calls(TextBuffer& text, hal::CpuId me) noexcept {
  for (hal::CpuId c = 0; c < cpu_count(); ++c) {
    const PerCpu& cpu = cpu_record(c);
    if (c == me || cpu.mailbox.queued.load(std::memory_order_relaxed) == 0) continue;
    text.format("; cpu {} has calls queued", c);
    const hal::Cycles idle = cpu.idle_since.load(std::memory_order_relaxed);
    if (idle != 0) {
      text.format(" and sleeps in its idle loop since cycle {}: its IPI was lost or never sent", idle & ~hal::Cycles{1});
    } else if (cpu.current != nullptr) {
      text.format(" while task {} runs", cpu.current->id);
    }
  }
}

/// The spin watchdog (BootConfig::lockup_cycles): a wait that went on too long is reported once,
/// cycle or not (a holder that never lets go, an IPI that never came).
void check_lockup(PerCpu& self) noexcept {
  const BootConfig& config = boot_config();
  if (config.lockup_cycles == 0 || config.on_lockup == nullptr || self.lockup_reported) return;
  const hal::Cycles since = self.wait_since.load(std::memory_order_relaxed);
  const hal::Cycles waited = hal::cycle_counter() - since;
  if (waited < config.lockup_cycles) return;
  const std::uintptr_t w = self.waits_for.load(std::memory_order_relaxed);
  if (w == 0) return;
  self.lockup_reported = true;
  TextBuffer text;
  text.put("spinlock lockup suspected: ");
  if (const detail::LockOwner* lock = lock_of(w)) {
    text.format("cpu {} (", self.id);
    describe_context(text, self);
    detail::lockdep_put_held(text, self.id);
    text.format(") spun on lock '{}' held by cpu {}", lock->stats.name, lock->holder.load(std::memory_order_relaxed));
  } else {
    const auto target = static_cast<hal::CpuId>(w >> 2);
    text.format("cpu {} (", self.id);
    describe_context(text, self);
    if (target == detail::kCallsToOthers) {
      text.put(") waited for its cross-CPU calls on the other CPUs");
    } else {
      text.format(") waited for its cross-CPU call on cpu {}", target);
    }
  }
  text.format(" for {} cycles since cycle {}", waited, since);
  put_unserved_calls(text, self.id);
  text.put('\0');
  config.on_lockup(text.data());
}

}  // namespace

void detail::check_wait_cycle() noexcept {
  if (hal::percpu_base() == nullptr) return;
  PerCpu& self = this_cpu();
  check_lockup(self);
  const hal::CpuId me = self.id;
  std::uint64_t signature = 0xcbf29ce484222325ULL;
  hal::CpuId cpu = me;
  for (hal::CpuId hops = 0; hops <= cpu_count(); ++hops) {
    const std::uintptr_t w = cpu_record(cpu).waits_for.load(std::memory_order_relaxed);
    const hal::CpuId next = blocker(w);
    if (next == hal::kInvalidCpu || next >= cpu_count()) {
      self.wait_cycle_seen = 0;
      return;
    }
    signature = (signature ^ w ^ (std::uint64_t{next} << 48)) * 0x100000001b3ULL;
    if (next == me) {
      if (self.wait_cycle_seen == signature) report_cycle(me);
      self.wait_cycle_seen = signature;
      return;
    }
    cpu = next;
  }
  self.wait_cycle_seen = 0;  // A cycle that does not contain this CPU: its members report it.
}

}  // namespace lockstep::core
