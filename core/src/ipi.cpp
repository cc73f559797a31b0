// IPIs: coalescing per (target, kind), reschedule batching, and the Call mailbox.

#include <lockstep/core/cpu.hpp>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/percpu.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/sched.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/hal/hal.hpp>

#include "sched_internal.hpp"
#include "state.hpp"

namespace lockstep::core {
namespace {

constexpr std::uint32_t kind_index(IpiKind k) { return static_cast<std::uint32_t>(k); }

/// Queues a request in `target`'s mailbox, waiting (and serving our own) while it is full.
/// False if the target is not online (checked under the mailbox lock, which go_offline() also
/// takes, so a request is either refused or served, never stranded).
bool post_call(PerCpu& target, const CallRequest& request) noexcept {
  for (;;) {
    {
      CallMailbox& box = target.mailbox;
      IrqSpinlockGuard guard(box.lock);
      if (target.cpu_state() != CpuState::kOnline) return false;
      std::uint32_t& count = box.count.write();
      if (count < kCallMailboxSlots) {
        CallRequest& slot = box.slots[(box.head + count) % kCallMailboxSlots];
        slot.fn = request.fn;
        slot.arg = request.arg;
        slot.remaining = request.remaining;
        ++count;
        box.queued.store(count, std::memory_order_release);
        return true;
      }
    }
    serve_calls();
    hal::relax();
  }
}

}  // namespace

const char* ipi_kind_name(IpiKind kind) noexcept {
  switch (kind) {
    case IpiKind::kReschedule: return "reschedule";
    case IpiKind::kShutdown: return "shutdown";
    case IpiKind::kHalt: return "halt";
    case IpiKind::kTimer: return "timer";
    case IpiKind::kCall: return "call";
    case IpiKind::kCount: break;
  }
  return "?";
}

bool send_ipi(hal::CpuId cpu, IpiKind kind) noexcept {
  PerCpu& me = this_cpu();
  if (cpu >= cpu_count() || cpu == me.id || kind >= IpiKind::kCount || !cpu_is_online(cpu)) return false;
  ProfileScope scope(kLabelIpiSend);
  PerCpu& target = cpu_record(cpu);
  const std::uint32_t k = kind_index(kind);
  const std::uint32_t bit = 1u << k;
  if (target.ipi_pending.fetch_or(bit, std::memory_order_acq_rel) & bit) {
    ++me.counters.ipi_coalesced[k];
    trace(TraceType::kIpiCoalesced, static_cast<std::uint8_t>(k), cpu);
    return true;
  }
  ++me.counters.ipi_sent[k];
  if (cpu < kIpiMatrixCpus) ++me.counters.ipi_sent_to[cpu];
  trace(TraceType::kIpiSent, static_cast<std::uint8_t>(k), cpu);
  hal::send_ipi(cpu, ipi_vector(kind));
  return true;
}

std::uint32_t broadcast_ipi(IpiKind kind) noexcept {
  std::uint32_t count = 0;
  const hal::CpuId me = hal::current_cpu_id();
  for (hal::CpuId c = 0; c < cpu_count(); ++c)
    if (c != me && send_ipi(c, kind)) ++count;
  return count;
}

RescheduleBatch::RescheduleBatch() noexcept {
  preempt_disable();
  ++this_cpu().batch_depth;
}

RescheduleBatch::~RescheduleBatch() {
  PerCpu& me = this_cpu();
  if (--me.batch_depth == 0) {
    for (std::uint32_t w = 0; w < hal::kMaxCpus / 64; ++w) {
      std::uint64_t bits = me.batch_targets[w];
      me.batch_targets[w] = 0;
      while (bits != 0) {
        const unsigned b = static_cast<unsigned>(__builtin_ctzll(bits));
        bits &= bits - 1;
        (void)send_ipi(w * 64 + b, IpiKind::kReschedule);
      }
    }
  }
  preempt_enable();
}

void request_reschedule(hal::CpuId cpu) noexcept {
  PerCpu& me = this_cpu();
  if (me.batch_depth == 0 || cpu >= hal::kMaxCpus) {
    (void)send_ipi(cpu, IpiKind::kReschedule);
    return;
  }
  std::uint64_t& word = me.batch_targets[cpu / 64];
  const std::uint64_t bit = std::uint64_t{1} << (cpu % 64);
  if (word & bit) {
    ++me.counters.ipi_coalesced[kind_index(IpiKind::kReschedule)];
    trace(TraceType::kIpiCoalesced, static_cast<std::uint8_t>(IpiKind::kReschedule), cpu);
  }
  word |= bit;
}

void serve_calls() noexcept {
  PerCpu& me = this_cpu();
  CallMailbox& box = me.mailbox;
  if (box.queued.load(std::memory_order_acquire) == 0) return;
  const detail::WaitPause running;  // Serving calls is not waiting, even inside spin_until.
  do {
    CallRequest batch[kCallMailboxSlots];
    std::uint32_t n = 0;
    {
      IrqSpinlockGuard guard(box.lock);
      std::uint32_t& count = box.count.write();
      for (; n < count; ++n) {
        const CallRequest& slot = box.slots[(box.head + n) % kCallMailboxSlots];
        batch[n].fn = slot.fn;
        batch[n].arg = slot.arg;
        batch[n].remaining = slot.remaining;
      }
      box.head = (box.head + n) % kCallMailboxSlots;
      count = 0;
      box.queued.store(0, std::memory_order_release);
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      batch[i].fn(batch[i].arg);
      if (batch[i].remaining != nullptr) batch[i].remaining->fetch_sub(1, std::memory_order_acq_rel);
    }
  } while (box.queued.load(std::memory_order_acquire) != 0);
}

bool call_on_cpu(hal::CpuId cpu, CallFunction fn, void* arg, bool wait) noexcept {
  if (cpu >= cpu_count() || cpu == hal::current_cpu_id()) return false;
  hal::Atomic<std::uint32_t> remaining{1};
  if (!post_call(cpu_record(cpu), CallRequest{fn, arg, wait ? &remaining : nullptr})) return false;
  (void)send_ipi(cpu, IpiKind::kCall);
  if (wait) {
    detail::lockdep_check_call_wait();
    ProfileScope scope(kLabelCallWait);
    const std::uintptr_t outer_wait = detail::begin_call_wait(cpu);
    std::uint32_t spins = 0;
    spin_until([&] {
      if (++spins % detail::kWaitCheckPeriod == 0) detail::check_wait_cycle();
      return remaining.load(std::memory_order_acquire) == 0;
    });
    detail::end_wait(outer_wait);
  }
  return true;
}

std::uint32_t call_on_others(CallFunction fn, void* arg, bool wait) noexcept {
  return call_on_cpus(0, cpu_count(), fn, arg, wait);
}

std::uint32_t call_on_cpus(hal::CpuId first, hal::CpuId end, CallFunction fn, void* arg, bool wait) noexcept {
  hal::Atomic<std::uint32_t> remaining{0};
  std::uint32_t count = 0;
  const hal::CpuId me = hal::current_cpu_id();
  if (end > cpu_count()) end = cpu_count();
  for (hal::CpuId c = first; c < end; ++c) {
    if (c == me || !cpu_is_online(c)) continue;
    if (wait) remaining.fetch_add(1, std::memory_order_relaxed);
    if (!post_call(cpu_record(c), CallRequest{fn, arg, wait ? &remaining : nullptr})) {
      if (wait) remaining.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    (void)send_ipi(c, IpiKind::kCall);
    ++count;
  }
  if (wait) {
    detail::lockdep_check_call_wait();
    ProfileScope scope(kLabelCallWait);
    // Waits on several CPUs: no single one to follow for a cycle, but the watchdog sees it.
    const std::uintptr_t outer_wait = detail::begin_call_wait(detail::kCallsToOthers);
    std::uint32_t spins = 0;
    spin_until([&] {
      if (++spins % detail::kWaitCheckPeriod == 0) detail::check_wait_cycle();
      return remaining.load(std::memory_order_acquire) == 0;
    });
    detail::end_wait(outer_wait);
  }
  return count;
}

void detail::handle_ipi(unsigned kind) noexcept {
  PerCpu& me = this_cpu();
  ProfileScope scope(kLabelIpiHandle);
  // Clear first: a send after this point raises a fresh interrupt instead of coalescing into
  // the one being handled.
  me.ipi_pending.fetch_and(~(1u << kind), std::memory_order_acq_rel);
  ++me.counters.ipi_received[kind];
  trace(TraceType::kIpiReceived, static_cast<std::uint8_t>(kind));
  switch (static_cast<IpiKind>(kind)) {
    case IpiKind::kReschedule: me.need_resched = true; break;
    case IpiKind::kCall: serve_calls(); break;
    case IpiKind::kTimer: scheduler_tick(); break;
    case IpiKind::kShutdown:
      if (me.stop == StopRequest::kNone) me.stop = StopRequest::kPark;
      me.need_resched = true;
      break;
    case IpiKind::kHalt:
      me.stop = StopRequest::kHalt;
      me.need_resched = true;
      break;
    case IpiKind::kCount: break;
  }
}

}  // namespace lockstep::core
