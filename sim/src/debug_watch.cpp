#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <lockstep/core/spinlock.hpp>
#include <lockstep/emu/debug_hook.hpp>
#include <lockstep/sim/debug_watch.hpp>
#include <vector>

namespace lockstep::sim {
namespace {

std::optional<DebugWatch> g_watch;
std::vector<std::uint64_t> g_seen;  // Per CPU: records the probe has looked at.

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

DebugWatch::Arg arg_of(core::TraceType t) {
  switch (t) {
    case core::TraceType::kLockContended:
    case core::TraceType::kLockAcquired:
      return DebugWatch::Arg::kLockName;
    case core::TraceType::kIpiReceived:
    case core::TraceType::kIrqEnter:
    case core::TraceType::kIrqExit:
    case core::TraceType::kCpuOffline:
      return DebugWatch::Arg::kAux;
    default:
      return DebugWatch::Arg::kA;
  }
}

bool matches(const DebugWatch& w, const core::TraceRecord& r) {
  if (r.type != w.type) return false;
  switch (w.arg) {
    case DebugWatch::Arg::kNone:
      return true;
    case DebugWatch::Arg::kA:
      return r.a == w.value;
    case DebugWatch::Arg::kAux:
      return r.aux == w.value;
    case DebugWatch::Arg::kLockName: {
      // `b` is the lock's LockStats (core/src/spinlock.cpp), which starts with its name.
      const auto* stats = reinterpret_cast<const core::LockStats*>(static_cast<std::uintptr_t>(r.b));
      return stats != nullptr && stats->name != nullptr && w.lock == stats->name;
    }
  }
  return false;
}

}  // namespace

std::string debug_watch_kinds() {
  std::string kinds = "record:CPU:INDEX";
  for (std::uint8_t t = 1; t <= core::kTraceTypeMax; ++t) {
    const auto type = static_cast<core::TraceType>(t);
    const char* what = arg_of(type) == DebugWatch::Arg::kLockName ? "NAME"
                       : arg_of(type) == DebugWatch::Arg::kAux    ? "AUX"
                                                                  : "A";
    kinds += fmt::format(", {}[:{}]", core::trace_type_name(type), what);
  }
  return kinds;
}

std::optional<DebugWatch> parse_debug_watch(const std::string& spec, std::string& error) {
  const std::size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  DebugWatch w;
  if (kind == "record") {
    const std::size_t second = arg.find(':');
    const auto cpu = number(arg.substr(0, second));
    const auto index = second == std::string::npos ? std::nullopt : number(arg.substr(second + 1));
    if (!cpu || !index || *cpu >= hal::kMaxCpus) {
      error = fmt::format("'{}': record takes CPU:INDEX (a CPU's trace record number, from 0)", spec);
      return std::nullopt;
    }
    w.by_index = true;
    w.cpu = static_cast<hal::CpuId>(*cpu);
    w.index = *index;
    return w;
  }
  for (std::uint8_t t = 1; t <= core::kTraceTypeMax; ++t) {
    const auto type = static_cast<core::TraceType>(t);
    if (kind != core::trace_type_name(type)) continue;
    w.type = type;
    if (colon == std::string::npos) return w;
    w.arg = arg_of(type);
    if (w.arg == DebugWatch::Arg::kLockName) {
      if (arg.empty()) break;
      w.lock = arg;
      return w;
    }
    const auto v = number(arg);
    if (!v || *v > 0xffffffffu) {
      error = fmt::format("'{}': {} takes a number after ':'", spec, kind);
      return std::nullopt;
    }
    w.value = *v;
    return w;
  }
  error = fmt::format("unknown event '{}' (one of: {})", spec, debug_watch_kinds());
  return std::nullopt;
}

void set_debug_watch(const std::optional<DebugWatch>& watch) {
  g_watch = watch;
  g_seen.assign(hal::kMaxCpus, 0);
}

bool debug_probe(hal::CpuId cpu) noexcept {
  if (!g_watch || cpu >= g_seen.size()) return false;
  const DebugWatch& w = *g_watch;
  const core::TraceRing& ring = core::trace_ring(cpu);
  std::uint64_t& seen = g_seen[cpu];
  if (ring.written < seen) seen = 0;  // core::init() of a new run emptied the ring.
  const std::uint64_t kept = ring.written < ring.slots.size() ? ring.written : ring.slots.size();
  bool hit = false;
  if (w.by_index) {
    hit = cpu == w.cpu && ring.written > w.index && seen <= w.index;
  } else {
    for (std::uint64_t i = std::max(seen, ring.written - kept); i < ring.written && !hit; ++i)
      hit = matches(w, ring.slots[i % ring.slots.size()]);
  }
  seen = ring.written;
  return hit;
}

DebugLanding find_debug_landing(const RunOptions& options, const std::optional<DebugWatch>& watch) {
  set_debug_watch(watch);
  lockstep_debug = {};
  lockstep_debug_watch = watch ? 1 : 0;
  lockstep_debug_stop_at = watch ? 1 : 0;
  const ScenarioRun run = run_scenario(options);
  DebugLanding landing;
  landing.point = watch ? lockstep_debug.step : 0;
  landing.steps = run.machine.steps;
  landing.passed = run.passed;
  landing.reason = run.reason;
  lockstep_debug_watch = 0;
  lockstep_debug_stop_at = 0;
  set_debug_watch(std::nullopt);
  return landing;
}

}  // namespace lockstep::sim
