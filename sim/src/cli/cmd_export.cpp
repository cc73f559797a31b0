#include <fmt/format.h>
#include <lockstep/sim/export.hpp>
#include <memory>

#include "common.hpp"

namespace lockstep::sim::cli {

Action add_export(CLI::App& app, const Context&) {
  struct Options {
    std::string input;
    std::string format;
    std::string output;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("export", "Convert a trace file for viewers (Perfetto, Chrome JSON) or spreadsheets (CSV)");
  cmd->add_option("file", o->input, "Trace file written by run --trace or demo")->required();
  cmd->add_option("--format", o->format, "perfetto, chrome or csv")
      ->required()
      ->check(CLI::IsMember({"perfetto", "chrome", "csv"}));
  cmd->add_option("-o,--output", o->output, "Output file (default: the input name with the format's extension)");
  return [o] {
    const ExportFormat format = *parse_export_format(o->format);
    std::string out = o->output;
    if (out.empty()) {
      out = o->input;
      const auto slash = out.find_last_of('/');
      const auto dot = out.find_last_of('.');
      if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) out.resize(dot);
      out += export_extension(format);
    }
    if (out == o->input) throw InputError(fmt::format("output '{}' would overwrite the input", out));
    const TraceData trace = read_trace_file(o->input);
    export_trace(trace, format, out);
    std::size_t records = 0;
    for (const auto& c : trace.cpus) records += c.size();
    fmt::print("exported {} records of {} CPUs to {} ({})\n", records, trace.cpus.size(), out, o->format);
    if (format == ExportFormat::kPerfetto) fmt::print("open https://ui.perfetto.dev and load {}\n", out);
    return 0;
  };
}

}  // namespace lockstep::sim::cli
