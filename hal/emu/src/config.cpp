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
  }
  return "?";
}

std::optional<Strategy> parse_strategy(std::string_view name) noexcept {
  if (name == "rr") return Strategy::kRoundRobin;
  if (name == "random") return Strategy::kRandom;
  if (name == "pct") return Strategy::kPct;
  return std::nullopt;
}

std::string_view to_string(RunStatus s) noexcept {
  switch (s) {
    case RunStatus::kFinished: return "finished";
    case RunStatus::kDeadlock: return "deadlock";
    case RunStatus::kStepLimit: return "step limit exceeded";
    case RunStatus::kCycleLimit: return "virtual cycle limit exceeded";
    case RunStatus::kTimeLimit: return "host time limit exceeded";
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
