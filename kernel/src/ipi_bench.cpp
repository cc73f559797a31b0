// The IPI benchmark (lockstep.ipi_bench): the round trip of an IPI between CPU 0 and CPU 1
// against a self-IPI on CPU 0, in cycle_counter() ticks, through the core's own IPI path.
//
// Round trip: CPU 0 posts a Call to CPU 1 (core::call_on_cpu: the mailbox, then a Call IPI);
// CPU 1's handler runs it, and it answers with a Call IPI back (core::send_ipi); CPU 0 waits,
// interrupts enabled, until its own handler has taken that IPI. Self: CPU 0 raises the Call
// vector on itself through hal::send_ipi (core::send_ipi refuses this CPU) and waits the same
// way. Both end at the same place: CPU 0's core::detail::handle_ipi counting a Call IPI.

#include <atomic>
#include <lockstep/baremetal/protocol_writer.hpp>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/ipi.hpp>
#include <lockstep/core/percpu.hpp>
#include <lockstep/hal/hal.hpp>

#include "program.hpp"

namespace lockstep::kernel {
namespace {

namespace protocol = baremetal::protocol;
using baremetal::protocol_line;

/// Iterations of each kind before the timed ones (TCG translates the paths on first use).
constexpr std::uint32_t kWarmUp = 32;

hal::Cycles g_round_trip[baremetal::kMaxIpiBenchSamples];
hal::Cycles g_self[baremetal::kMaxIpiBenchSamples];

constexpr std::uint32_t kCall = static_cast<std::uint32_t>(core::IpiKind::kCall);

/// Call IPIs this CPU's handler has taken. Written by this CPU's interrupt handler only, so a
/// compiler barrier (not a CPU fence) makes each read see the handler's latest count.
std::uint64_t calls_taken() noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  const std::uint64_t n = core::this_cpu().counters.ipi_received[kCall];
  std::atomic_signal_fence(std::memory_order_seq_cst);
  return n;
}

/// Waits, interrupts enabled, until this CPU has taken a Call IPI since it counted `before`.
/// False after `limit` ticks.
bool wait_for_call(std::uint64_t before, hal::Cycles start, hal::Cycles limit) noexcept {
  while (calls_taken() == before) {
    if (hal::cycle_counter() - start > limit) return false;
    hal::relax();
  }
  return true;
}

/// The Call CPU 1 runs from its IPI handler: an IPI back to the CPU whose id is `arg`.
void answer(void* arg) noexcept {
  (void)core::send_ipi(static_cast<hal::CpuId>(reinterpret_cast<std::uintptr_t>(arg)), core::IpiKind::kCall);
}

/// One round trip to `peer`, in ticks, or 0 if it did not come back within `limit`.
hal::Cycles round_trip(hal::CpuId peer, hal::Cycles limit) noexcept {
  void* const me = reinterpret_cast<void*>(static_cast<std::uintptr_t>(hal::current_cpu_id()));
  const std::uint64_t before = calls_taken();
  const hal::Cycles start = hal::cycle_counter();
  if (!core::call_on_cpu(peer, &answer, me, /*wait=*/false)) return 0;
  if (!wait_for_call(before, start, limit)) return 0;
  const hal::Cycles t = hal::cycle_counter() - start;
  return t != 0 ? t : 1;
}

/// One self-IPI, in ticks, or 0 if it was not taken within `limit`.
hal::Cycles self_ipi(hal::Cycles limit) noexcept {
  const std::uint64_t before = calls_taken();
  const hal::Cycles start = hal::cycle_counter();
  hal::send_ipi(hal::current_cpu_id(), core::ipi_vector(core::IpiKind::kCall));
  if (!wait_for_call(before, start, limit)) return 0;
  const hal::Cycles t = hal::cycle_counter() - start;
  return t != 0 ? t : 1;
}

/// The median of `v[0..n)` (sorts it; n is at most a few thousand).
hal::Cycles median(hal::Cycles* v, std::uint32_t n) noexcept {
  for (std::uint32_t i = 1; i < n; ++i) {
    const hal::Cycles x = v[i];
    std::uint32_t j = i;
    for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
    v[j] = x;
  }
  return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// Both figures, interleaved so that a slow stretch of the host slows both alike.
bool measure(std::uint32_t n, hal::Cycles limit, const char** why) noexcept {
  for (std::uint32_t i = 0; i < kWarmUp + n; ++i) {
    const hal::Cycles rt = round_trip(1, limit);
    if (rt == 0) {
      *why = "cpu 1 did not answer";
      return false;
    }
    const hal::Cycles self = self_ipi(limit);
    if (self == 0) {
      *why = "the self-IPI was not taken";
      return false;
    }
    if (i >= kWarmUp) {
      g_round_trip[i - kWarmUp] = rt;
      g_self[i - kWarmUp] = self;
    }
  }
  return true;
}

}  // namespace

bool run_ipi_bench(const baremetal::KernelInfo& info) noexcept {
  protocol_line(protocol::kStage, "ipi-bench");
  if (core::online_count() < 2 || !core::cpu_is_online(1)) {
    protocol_line(protocol::kIpiBench, "{} needs cpu 1 online ({} online)", protocol::kFail, core::online_count());
    return false;
  }
  const std::uint32_t n =
      info.ipi_bench < baremetal::kMaxIpiBenchSamples ? info.ipi_bench : baremetal::kMaxIpiBenchSamples;
  // A tenth of a second per IPI: far above any machine's latency, short enough to end the run.
  const hal::Cycles limit = info.cycles_per_second / 10;
  const char* why = "";
  hal::irq_enable();
  const bool ok = measure(n, limit, &why);
  (void)hal::irq_save_disable();
  if (!ok) {
    protocol_line(protocol::kIpiBench, "{} {}", protocol::kFail, why);
    return false;
  }
  const hal::Cycles rt = median(g_round_trip, n);
  const hal::Cycles self = median(g_self, n);
  const hal::Cycles hundredths = rt * 100 / self;
  protocol_line(protocol::kIpiBench, "round-trip={} self={} ratio={}.{}{} samples={} hz={}", rt, self, hundredths / 100,
                hundredths / 10 % 10, hundredths % 10, n, info.cycles_per_second);
  return true;
}

}  // namespace lockstep::kernel
