#include <lockstep/core/percpu.hpp>
#include <lockstep/core/profiler.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/hal/cpu.hpp>

namespace lockstep::core {

hal::Atomic<bool> detail::g_profiler_enabled{false};

namespace {
// Names are registered by the boot CPU at init or by workloads before they start tasks.
const char* g_label_names[kMaxProfileLabels];
const char* g_counter_names[kMaxProfileCounters];
std::uint32_t g_labels = 0;
std::uint32_t g_counters = 0;

CpuProfile* this_profile() noexcept {
  void* base = hal::percpu_base();
  return base == nullptr ? nullptr : &static_cast<PerCpu*>(base)->profile;
}
}  // namespace

void profiler_init() noexcept {
  detail::g_profiler_enabled.store(false, std::memory_order_relaxed);
  for (auto& n : g_label_names) n = nullptr;
  for (auto& n : g_counter_names) n = nullptr;
  g_labels = 0;
  g_counters = 0;
  profile_label("sched.pick");
  profile_label("sched.switch");
  profile_label("sched.steal");
  profile_label("ipi.send");
  profile_label("ipi.handle");
  profile_label("ipi.call-wait");
}

void profiler_enable() noexcept { detail::g_profiler_enabled.store(true, std::memory_order_relaxed); }
void profiler_disable() noexcept { detail::g_profiler_enabled.store(false, std::memory_order_relaxed); }

ProfileLabel profile_label(const char* name) noexcept {
  for (std::uint32_t i = 0; i < g_labels; ++i)
    if (g_label_names[i] == name) return static_cast<ProfileLabel>(i);
  if (g_labels == kMaxProfileLabels) return kMaxProfileLabels - 1;
  g_label_names[g_labels] = name;
  return static_cast<ProfileLabel>(g_labels++);
}

ProfileCounter profile_counter(const char* name) noexcept {
  for (std::uint32_t i = 0; i < g_counters; ++i)
    if (g_counter_names[i] == name) return static_cast<ProfileCounter>(i);
  if (g_counters == kMaxProfileCounters) return kMaxProfileCounters - 1;
  g_counter_names[g_counters] = name;
  return static_cast<ProfileCounter>(g_counters++);
}

const char* profile_label_name(ProfileLabel label) noexcept {
  return label < g_labels ? g_label_names[label] : "?";
}
const char* profile_counter_name(ProfileCounter counter) noexcept {
  return counter < g_counters ? g_counter_names[counter] : "?";
}
std::uint32_t profile_label_count() noexcept { return g_labels; }
std::uint32_t profile_counter_count() noexcept { return g_counters; }

void detail::profile_start_slow(ProfileLabel label) noexcept {
  CpuProfile* p = this_profile();
  if (p == nullptr || label >= kMaxProfileLabels) return;
  if (p->depth < kProfileStackDepth) {
    p->stack[p->depth] = label;
    p->started[p->depth] = hal::cycle_counter();
  }
  ++p->depth;
}

void detail::profile_end_slow(ProfileLabel label) noexcept {
  CpuProfile* p = this_profile();
  // A region opened while the profiler was off (or on another CPU before a migration) has no
  // start on this CPU's stack: ignore its end rather than mis-attribute it.
  if (p == nullptr || p->depth == 0 || label >= kMaxProfileLabels) return;
  --p->depth;
  if (p->depth >= kProfileStackDepth || p->stack[p->depth] != label) return;
  // The contract promises a monotonic counter per CPU only: a region that ends on a counter
  // behind its start (unsynchronised TSCs under nested virtualisation) counts as zero, never as
  // a wrapped 2^64.
  const hal::Cycles now = hal::cycle_counter();
  const hal::Cycles spent = now >= p->started[p->depth] ? now - p->started[p->depth] : 0;
  LabelStats& s = p->labels[label];
  ++s.calls;
  s.total += spent;
  if (spent < s.min) s.min = spent;
  if (spent > s.max) s.max = spent;
}

void detail::profile_count_slow(ProfileCounter counter, std::uint64_t n) noexcept {
  CpuProfile* p = this_profile();
  if (p == nullptr || counter >= kMaxProfileCounters) return;
  p->counters[counter] += n;
  trace(TraceType::kProfileCount, 0, counter, n);
}

void profile_sample_tick() noexcept {
  if (!profiler_is_enabled()) return;
  CpuProfile* p = this_profile();
  if (p == nullptr) return;
  if (p->depth == 0 || p->depth > kProfileStackDepth) {
    ++p->samples_outside;
  } else {
    ++p->labels[p->stack[p->depth - 1]].samples;
  }
}

const CpuProfile& cpu_profile(hal::CpuId cpu) noexcept { return cpu_record(cpu).profile; }

}  // namespace lockstep::core
