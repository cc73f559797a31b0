#include <algorithm>
#include <lockstep/sim/report_lines.hpp>
#include <regex>

namespace lockstep::sim {
namespace {

std::vector<std::string> split(const std::string& text, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t at; (at = text.find(sep, from)) != std::string::npos; from = at + sep.size())
    out.push_back(text.substr(from, at - from));
  out.push_back(text.substr(from));
  return out;
}

std::uint64_t number(const std::ssub_match& m) { return std::stoull(m.str()); }

/// One link of a wait cycle: "cpu C (..., holding 'A' (since cycle N), ...) waits for lock 'B'
/// held by cpu H since cycle S" or "... waits for its cross-CPU call on cpu H since cycle S".
std::optional<ReportLine> wait_link(const std::string& clause) {
  static const std::regex link(R"(cpu (\d+) \(.*\) waits for (?:lock '([^']*)' held by|its cross-CPU call on) cpu (\d+) since cycle (\d+))");
  std::smatch m;
  if (!std::regex_search(clause, m, link)) return std::nullopt;
  ReportLine line{clause, static_cast<std::uint32_t>(number(m[1])), number(m[4]), static_cast<std::uint32_t>(number(m[3])), {}};
  return line;
}

/// When the link of `cpu` says it took `lock`: "holding ... 'lock' (since cycle N)".
std::optional<std::uint64_t> taken_at(const std::vector<ReportLine>& links, std::uint32_t cpu, const std::string& lock) {
  for (const ReportLine& l : links) {
    if (l.cpu != cpu) continue;
    const std::string needle = "'" + lock + "' (since cycle ";
    const std::size_t at = l.text.find(needle);
    if (at == std::string::npos) return std::nullopt;
    return std::stoull(l.text.substr(at + needle.size()));
  }
  return std::nullopt;
}

/// A validator site: "cpu C at cycle T of run R" (lockdep.cpp's put_site).
const std::regex& site_pattern() {
  static const std::regex site(R"(cpu (\d+) at cycle (\d+) of run (\d+))");
  return site;
}

/// The first site in `clause`; placed only if its run is this run.
ReportLine site_line(const std::string& clause, std::uint64_t run) {
  ReportLine line{clause, {}, {}, {}, {}};
  std::smatch m;
  if (std::regex_search(clause, m, site_pattern()) && number(m[3]) == run) {
    line.cpu = static_cast<std::uint32_t>(number(m[1]));
    line.time = number(m[2]);
  }
  return line;
}

/// "blocked: task T on event 'E' since cycle C (cpu N), ..." or "task T on event ...".
std::optional<ReportLine> blocked_task(const std::string& clause) {
  static const std::regex task(R"(task \d+ on event '[^']*' since cycle (\d+) \(cpu (\d+)\))");
  std::smatch m;
  if (!std::regex_search(clause, m, task)) return std::nullopt;
  return ReportLine{clause, static_cast<std::uint32_t>(number(m[2])), number(m[1]), {}, {}};
}

}  // namespace

std::vector<std::uint64_t> report_runs(const std::string& reason) {
  std::vector<std::uint64_t> runs;
  for (std::sregex_iterator it(reason.begin(), reason.end(), site_pattern()), end; it != end; ++it) {
    const std::uint64_t run = number((*it)[3]);
    if (std::find(runs.begin(), runs.end(), run) == runs.end()) runs.push_back(run);
  }
  return runs;
}

std::vector<ReportLine> report_lines(const std::string& reason, std::uint64_t run) {
  std::vector<ReportLine> lines;
  std::vector<ReportLine> links;
  for (const std::string& clause : split(reason, "; ")) {
    if (auto link = wait_link(clause)) {
      links.push_back(*link);
    } else if (auto task = blocked_task(clause)) {
      lines.push_back(*task);
    } else {
      lines.push_back(site_line(clause, run));
    }
  }
  static const std::regex lock_name(R"(waits for lock '([^']*)')");
  for (ReportLine& l : links) {
    std::smatch m;
    if (std::regex_search(l.text, m, lock_name)) l.waits_on_time = taken_at(links, *l.waits_on_cpu, m[1].str());
  }
  // The cycle's links first, in the report's order, then everything else.
  links.insert(links.end(), lines.begin(), lines.end());
  return links;
}

}  // namespace lockstep::sim
