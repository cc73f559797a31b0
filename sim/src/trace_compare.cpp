#include <cstring>
#include <fmt/format.h>
#include <lockstep/sim/export.hpp>
#include <lockstep/sim/trace_compare.hpp>

namespace lockstep::sim {
namespace {

bool same(const core::TraceRecord& a, const core::TraceRecord& b) {
  return a.time == b.time && a.cpu == b.cpu && a.type == b.type && a.aux == b.aux && a.a == b.a && a.b == b.b;
}

std::string line(const char* who, const std::optional<core::TraceRecord>& r) {
  if (!r) return fmt::format("  {}: (no event: its trace ends here)", who);
  return fmt::format("  {}: t={} cpu {} {}", who, r->time, r->cpu, describe_record(*r));
}

}  // namespace

std::string TraceDivergence::describe() const {
  return fmt::format("first divergence on cpu {} at event #{}:\n{}\n{}", cpu, index, line("recorded", recorded),
                     line("replayed", replayed));
}

std::optional<TraceDivergence> first_divergence(const std::vector<std::vector<core::TraceRecord>>& recorded,
                                                const std::vector<std::vector<core::TraceRecord>>& replayed) {
  static const std::vector<core::TraceRecord> kNone;
  std::optional<TraceDivergence> best;
  std::uint64_t best_time = ~std::uint64_t{0};
  const std::size_t cpus = std::max(recorded.size(), replayed.size());
  for (std::size_t c = 0; c < cpus; ++c) {
    const auto& a = c < recorded.size() ? recorded[c] : kNone;
    const auto& b = c < replayed.size() ? replayed[c] : kNone;
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && same(a[i], b[i])) ++i;
    if (i == a.size() && i == b.size()) continue;
    TraceDivergence d;
    d.cpu = static_cast<std::uint32_t>(c);
    d.index = i;
    if (i < a.size()) d.recorded = a[i];
    if (i < b.size()) d.replayed = b[i];
    std::uint64_t t = ~std::uint64_t{0};
    if (d.recorded) t = std::min(t, d.recorded->time);
    if (d.replayed) t = std::min(t, d.replayed->time);
    if (!best || t < best_time) {
      best = d;
      best_time = t;
    }
  }
  return best;
}

}  // namespace lockstep::sim
