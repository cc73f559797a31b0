// Names and text forms of the machine configuration (CLI flags and trace headers use them).

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <lockstep/emu/config.hpp>
#include <lockstep/emu/machine.hpp>

namespace lockstep::emu {

std::string_view to_string(Strategy s) noexcept {
  switch (s) {
    case Strategy::kRoundRobin: return "rr";
    case Strategy::kRandom: return "random";
    case Strategy::kPct: return "pct";
    case Strategy::kPos: return "pos";
    case Strategy::kSchedule: return "schedule";
  }
  return "?";
}

std::optional<Strategy> parse_strategy(std::string_view name) noexcept {
  if (name == "rr") return Strategy::kRoundRobin;
  if (name == "random") return Strategy::kRandom;
  if (name == "pct") return Strategy::kPct;
  if (name == "pos") return Strategy::kPos;
  if (name == "schedule") return Strategy::kSchedule;
  return std::nullopt;
}

std::string_view to_string(MemoryModel m) noexcept { return kMemoryModelNames[static_cast<std::size_t>(m)]; }

std::optional<MemoryModel> parse_memory_model(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(kMemoryModelNames); ++i)
    if (kMemoryModelNames[i] == name) return static_cast<MemoryModel>(i);
  return std::nullopt;
}

std::string_view to_string(RunStatus s) noexcept {
  switch (s) {
    case RunStatus::kFinished: return "finished";
    case RunStatus::kDeadlock: return "deadlock";
    case RunStatus::kStepLimit: return "step limit exceeded";
    case RunStatus::kCycleLimit: return "virtual cycle limit exceeded";
    case RunStatus::kTimeLimit: return "host time limit exceeded";
    case RunStatus::kHaltStop: return "stopped when a CPU halted";
    case RunStatus::kDataRace: return "data race";
  }
  return "?";
}

namespace {

template <class T>
bool parse_uint(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

bool parse_probability(std::string_view text, std::uint32_t& ppm) {
  double p = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), p);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || !(p >= 0.0 && p <= 1.0)) return false;
  ppm = static_cast<std::uint32_t>(std::lround(p * 1e6));
  return true;
}

}  // namespace

std::optional<FaultConfig> parse_faults(std::string_view spec, std::string& error) {
  FaultConfig f;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      error = fmt::format("fault '{}' has no '=': expected e.g. delay-ipi=0.1:5000", item);
      return std::nullopt;
    }
    const std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    bool ok = false;
    if (key == "delay-ipi") {
      const auto colon = value.find(':');
      ok = parse_probability(value.substr(0, colon), f.delay_ipi_ppm) &&
           (colon == std::string_view::npos || parse_uint(value.substr(colon + 1), f.delay_ipi_cycles));
    } else if (key == "dup-ipi") {
      ok = parse_probability(value, f.duplicate_ipi_ppm);
    } else if (key == "lose-ipi") {
      ok = parse_probability(value, f.lose_ipi_ppm);
    } else if (key == "fail-start") {
      hal::CpuId cpu = 0;
      ok = parse_uint(value, cpu) && cpu != 0;
      if (ok) f.fail_start.push_back(cpu);
      if (cpu == 0 && parse_uint(value, cpu)) {
        error = "fault 'fail-start=0': the boot CPU cannot fail to start";
        return std::nullopt;
      }
    } else if (key == "unplug") {
      const auto at = value.find('@');
      FaultConfig::Unplug u{};
      ok = at != std::string_view::npos && parse_uint(value.substr(0, at), u.cpu) && parse_uint(value.substr(at + 1), u.at);
      if (ok) f.unplug.push_back(u);
    } else {
      error = fmt::format("unknown fault '{}' (known: delay-ipi, dup-ipi, lose-ipi, fail-start, unplug)", key);
      return std::nullopt;
    }
    if (!ok) {
      error = fmt::format("bad value in fault '{}'", item);
      return std::nullopt;
    }
  }
  return f;
}

std::string format_faults(const FaultConfig& f) {
  std::string out;
  auto add = [&](std::string item) {
    if (!out.empty()) out += ',';
    out += item;
  };
  if (f.delay_ipi_ppm) add(fmt::format("delay-ipi={}:{}", f.delay_ipi_ppm / 1e6, f.delay_ipi_cycles));
  if (f.duplicate_ipi_ppm) add(fmt::format("dup-ipi={}", f.duplicate_ipi_ppm / 1e6));
  if (f.lose_ipi_ppm) add(fmt::format("lose-ipi={}", f.lose_ipi_ppm / 1e6));
  for (auto c : f.fail_start) add(fmt::format("fail-start={}", c));
  for (auto u : f.unplug) add(fmt::format("unplug={}@{}", u.cpu, u.at));
  return out;
}

}  // namespace lockstep::emu

namespace lockstep::emu {

namespace {

constexpr std::string_view kPreemptionWord = "preemption", kAfterSpinWords = "after a spin or block";

/// The part of a schedule line's comment that format_schedule writes: kind, then optionally
/// ": cpu F at cycle T". Anything else in a comment is the user's and is ignored.
void read_decision_comment(std::string_view comment, Decision& d) {
  const auto b = comment.find_first_not_of(" \t");
  if (b == std::string_view::npos) return;
  comment = comment.substr(b);
  if (comment.substr(0, kPreemptionWord.size()) == kPreemptionWord) {
    d.preemption = true;
    comment.remove_prefix(kPreemptionWord.size());
  } else if (comment.substr(0, kAfterSpinWords.size()) == kAfterSpinWords) {
    comment.remove_prefix(kAfterSpinWords.size());
  } else {
    return;
  }
  constexpr std::string_view kCpu = ": cpu ", kAt = " at cycle ";
  if (comment.substr(0, kCpu.size()) != kCpu) return;
  comment.remove_prefix(kCpu.size());
  const auto at = comment.find(kAt);
  hal::CpuId from = 0;
  std::uint64_t time = 0;
  if (at == std::string_view::npos || !parse_uint(comment.substr(0, at), from) ||
      !parse_uint(comment.substr(at + kAt.size(), comment.find_last_not_of(" \t\r") - at - kAt.size() + 1), time))
    return;
  d.from = from;
  d.time = time;
}

}  // namespace

std::optional<std::vector<Decision>> parse_schedule(std::string_view text, std::string& error) {
  constexpr std::size_t kMaxDecisions = 1u << 20;
  std::vector<Decision> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const auto hash = line.find('#');
    const std::string_view comment = hash == std::string_view::npos ? std::string_view{} : line.substr(hash + 1);
    line = line.substr(0, hash);
    auto trim = [](std::string_view s) {
      const auto b = s.find_first_not_of(" \t\r");
      if (b == std::string_view::npos) return std::string_view{};
      return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
    };
    line = trim(line);
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    Decision d;
    if (space == std::string_view::npos || !parse_uint(line.substr(0, space), d.step) ||
        !parse_uint(trim(line.substr(space)), d.cpu) || d.step == 0 || d.cpu >= hal::kMaxCpus) {
      error = fmt::format("line {}: expected 'STEP CPU' (step >= 1, CPU < {}), got '{}'", line_no, hal::kMaxCpus, line);
      return std::nullopt;
    }
    read_decision_comment(comment, d);
    if (!out.empty() && d.step <= out.back().step) {
      error = fmt::format("line {}: step {} does not follow step {}", line_no, d.step, out.back().step);
      return std::nullopt;
    }
    if (out.size() == kMaxDecisions) {
      error = fmt::format("more than {} decisions", kMaxDecisions);
      return std::nullopt;
    }
    out.push_back(d);
  }
  return out;
}

std::string format_schedule(const std::vector<Decision>& schedule) {
  std::string out = "# lockstep schedule: STEP CPU = at scheduling point STEP, CPU runs (default: the\n"
                    "# current CPU goes on unless it spins or cannot run, then the next in id order)\n";
  for (const Decision& d : schedule) {
    out += fmt::format("{} {}  # {}", d.step, d.cpu, d.preemption ? kPreemptionWord : kAfterSpinWords);
    if (d.time != 0) out += fmt::format(": cpu {} at cycle {}", d.from, d.time);
    out += '\n';
  }
  return out;
}

}  // namespace lockstep::emu
