#include <fmt/format.h>
#include <lockstep/core/ipi.hpp>
#include <lockstep/hal/types.hpp>
#include <lockstep/sim/export.hpp>

namespace lockstep::sim {
namespace {

const char* kind_name(std::uint8_t k) {
  return k < core::kIpiKinds ? core::ipi_kind_name(static_cast<core::IpiKind>(k)) : "unknown-kind";
}

std::string task_name(std::uint32_t id) { return id == core::kIdleTask ? std::string("idle") : fmt::format("task {}", id); }

}  // namespace

std::string describe_record(const core::TraceRecord& r) {
  using core::TraceType;
  const char* type = core::trace_type_name(r.type);
  const std::string name = type != nullptr ? type : fmt::format("type-{}", static_cast<unsigned>(r.type));
  switch (r.type) {
    case TraceType::kIpiSent:
    case TraceType::kIpiCoalesced: return fmt::format("{} {} -> cpu {}", name, kind_name(r.aux), r.a);
    case TraceType::kIpiReceived: return fmt::format("{} {}", name, kind_name(r.aux));
    case TraceType::kIrqEnter:
    case TraceType::kIrqExit:
      return fmt::format("{} vector {}", name, r.aux == hal::kTimerVector ? std::string("timer") : std::to_string(r.aux));
    case TraceType::kTaskSwitch: return fmt::format("{} to {}", name, task_name(r.a));
    case TraceType::kTaskEnqueue: return fmt::format("{} {} on cpu {}", name, task_name(r.a), r.b);
    case TraceType::kTaskWake: return fmt::format("{} {} on cpu {}", name, task_name(r.a), r.b);
    case TraceType::kTaskSteal: return fmt::format("{} {} tasks from cpu {}", name, r.a, r.b);
    case TraceType::kTaskFinish:
    case TraceType::kTaskBlock: return fmt::format("{} {}", name, task_name(r.a));
    case TraceType::kLockContended: return fmt::format("{} lock #{}", name, r.b);
    case TraceType::kLockAcquired: return fmt::format("{} lock #{} after {} cycles", name, r.b, r.a);
    case TraceType::kProfileBegin: return fmt::format("{} label {}", name, r.a);
    case TraceType::kProfileEnd: return fmt::format("{} label {} ({} cycles)", name, r.a, r.b);
    case TraceType::kProfileCount: return fmt::format("{} counter {} += {}", name, r.a, r.b);
    case TraceType::kRunQueueLength: return fmt::format("{} {}", name, r.a);
    default: return fmt::format("{} a={} b={} aux={}", name, r.a, r.b, r.aux);
  }
}

}  // namespace lockstep::sim
