// TLB-shootdown style: every CPU broadcasts a Call and waits for all others, with interrupts
// disabled, at the same time. Without serving its own mailbox while waiting, each CPU would wait
// for the others forever.

#include <lockstep/core/ipi.hpp>

#include "util.hpp"

namespace lockstep::core::workloads {
namespace {

constexpr std::uint32_t kRounds = 3;
hal::Atomic<std::uint64_t> g_flushes{0};
hal::Atomic<std::uint64_t> g_expected{0};

void flush(void*) { g_flushes.fetch_add(1); }

void shootdown_task(void*) {
  for (std::uint32_t i = 0; i < kRounds; ++i) {
    IrqDisabledScope irq_off;
    g_expected.fetch_add(call_on_others(flush, nullptr, true));
  }
  g_tasks_done.done();
}

}  // namespace

void run_shootdown(WorkloadResult& r) {
  g_flushes.store(0);
  g_expected.store(0);
  spawn_and_wait(online_count(), shootdown_task, hal::kInvalidCpu, r);
  if (g_flushes.load() != g_expected.load()) fail(r, "{} flushes ran, {} were requested", g_flushes.load(), g_expected.load());
}

}  // namespace lockstep::core::workloads
