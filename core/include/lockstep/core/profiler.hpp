#pragma once
// The profiler: labelled regions timed with the HAL cycle counter, named counters, and samples
// of which label each CPU is in at its timer tick. All data is per CPU and updated without
// locks by its own CPU. Disabled, every hook costs one predictable branch.

#include <cstdint>
#include <lockstep/hal/atomic.hpp>
#include <lockstep/hal/types.hpp>

namespace lockstep::core {

inline constexpr std::uint32_t kMaxProfileLabels = 32;
inline constexpr std::uint32_t kMaxProfileCounters = 16;
inline constexpr std::uint32_t kProfileStackDepth = 8;

using ProfileLabel = std::uint8_t;
using ProfileCounter = std::uint8_t;

/// Labels the core itself uses around its scheduler and IPI paths.
enum : ProfileLabel {
  kLabelPick = 0,
  kLabelSwitch,
  kLabelSteal,
  kLabelIpiSend,
  kLabelIpiHandle,
  kLabelCallWait,
  kLabelFirstUser,
};

struct LabelStats {
  std::uint64_t calls = 0;
  hal::Cycles total = 0;
  hal::Cycles min = ~hal::Cycles{0};
  hal::Cycles max = 0;
  std::uint64_t samples = 0;  ///< Timer ticks that found this CPU inside the label.
};

/// One CPU's profiler state.
struct CpuProfile {
  LabelStats labels[kMaxProfileLabels];
  std::uint64_t counters[kMaxProfileCounters] = {};
  ProfileLabel stack[kProfileStackDepth] = {};
  hal::Cycles started[kProfileStackDepth] = {};
  std::uint32_t depth = 0;
  std::uint64_t samples_outside = 0;  ///< Ticks outside any label.
};

namespace detail {
extern hal::Atomic<bool> g_profiler_enabled;
void profile_start_slow(ProfileLabel label) noexcept;
void profile_end_slow(ProfileLabel label) noexcept;
void profile_count_slow(ProfileCounter counter, std::uint64_t n) noexcept;
}  // namespace detail

/// Resets all profiler data and names the built-in labels. Boot CPU, before others start.
void profiler_init() noexcept;
inline bool profiler_is_enabled() noexcept { return detail::g_profiler_enabled.load(std::memory_order_relaxed); }
void profiler_enable() noexcept;
void profiler_disable() noexcept;

/// Names a label or counter for reports (a string with static lifetime). Returns the id, or
/// the last id if the table is full (reports show it as shared).
ProfileLabel profile_label(const char* name) noexcept;
ProfileCounter profile_counter(const char* name) noexcept;
const char* profile_label_name(ProfileLabel label) noexcept;
const char* profile_counter_name(ProfileCounter counter) noexcept;
std::uint32_t profile_label_count() noexcept;
std::uint32_t profile_counter_count() noexcept;

/// Enters / leaves a labelled region on this CPU. Regions nest up to kProfileStackDepth.
inline void profile_start(ProfileLabel label) noexcept {
  if (profiler_is_enabled()) [[unlikely]]
    detail::profile_start_slow(label);
}
inline void profile_end(ProfileLabel label) noexcept {
  if (profiler_is_enabled()) [[unlikely]]
    detail::profile_end_slow(label);
}
/// Adds `n` to a named counter of this CPU.
inline void profile_count(ProfileCounter counter, std::uint64_t n = 1) noexcept {
  if (profiler_is_enabled()) [[unlikely]]
    detail::profile_count_slow(counter, n);
}

/// A labelled region for its scope.
class [[nodiscard]] ProfileScope {
 public:
  explicit ProfileScope(ProfileLabel label) noexcept : label_(label) { profile_start(label_); }
  ~ProfileScope() { profile_end(label_); }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  ProfileLabel label_;
};

/// Timer-tick sample of this CPU's innermost label. Interrupt context.
void profile_sample_tick() noexcept;

/// CPU `cpu`'s profile (quiescent machine only).
const CpuProfile& cpu_profile(hal::CpuId cpu) noexcept;

}  // namespace lockstep::core
