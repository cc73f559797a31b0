#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <lockstep/sim/ipi_trace.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <sstream>

namespace lockstep::sim {
namespace {

constexpr std::size_t kMaxIpiEvents = 10'000'000;

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool parse_ipi_kind(std::string_view name, core::IpiKind& kind) noexcept {
  for (std::uint32_t k = 0; k < core::kIpiKinds; ++k) {
    if (name == core::ipi_kind_name(static_cast<core::IpiKind>(k))) {
      kind = static_cast<core::IpiKind>(k);
      return true;
    }
  }
  std::uint32_t n = 0;
  if (parse_number(name, n) && n < core::kIpiKinds) {
    kind = static_cast<core::IpiKind>(n);
    return true;
  }
  return false;
}

std::vector<IpiEvent> parse_ipi_text(std::string_view text, const std::string& name) {
  std::vector<IpiEvent> events;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const auto f = split_fields(line);
    if (f.empty()) continue;
    auto bad = [&](const std::string& why) {
      return InputError(fmt::format("{}:{}: {} (expected 'time src dst kind')", name, line_no, why));
    };
    if (f.size() != 4) throw bad(fmt::format("{} fields", f.size()));
    IpiEvent e{};
    if (!parse_number(f[0], e.time)) throw bad(fmt::format("bad time '{}'", f[0]));
    if (!parse_number(f[1], e.src) || e.src >= kTraceMaxCpus) throw bad(fmt::format("bad source CPU '{}'", f[1]));
    if (!parse_number(f[2], e.dst) || e.dst >= kTraceMaxCpus) throw bad(fmt::format("bad target CPU '{}'", f[2]));
    if (!parse_ipi_kind(f[3], e.kind)) throw bad(fmt::format("unknown IPI kind '{}'", f[3]));
    if (events.size() >= kMaxIpiEvents) throw bad(fmt::format("more than {} events", kMaxIpiEvents));
    events.push_back(e);
  }
  return events;
}

std::vector<IpiEvent> read_ipi_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot open IPI trace '{}': {}", path, std::strerror(errno)));
  char magic[sizeof kTraceMagic] = {};
  in.read(magic, sizeof magic);
  std::vector<IpiEvent> events;
  if (in.gcount() == sizeof magic && std::memcmp(magic, kTraceMagic, sizeof magic) == 0) {
    in.close();
    const TraceData t = read_trace_file(path);
    for (const auto& cpu : t.cpus)
      for (const auto& r : cpu)
        if (r.type == core::TraceType::kIpiSent && r.aux < core::kIpiKinds && r.a < kTraceMaxCpus)
          events.push_back({r.time, r.cpu, r.a, static_cast<core::IpiKind>(r.aux)});
  } else {
    in.clear();  // A file shorter than the magic left eof set.
    in.seekg(0);
    std::ostringstream text;
    text << in.rdbuf();
    events = parse_ipi_text(text.str(), path);
  }
  std::stable_sort(events.begin(), events.end(), [](const IpiEvent& a, const IpiEvent& b) { return a.time < b.time; });
  return events;
}

}  // namespace lockstep::sim
