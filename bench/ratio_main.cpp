// The main of every lockstep benchmark binary: Google Benchmark's run, then the declared ratios.

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "ratio.hpp"

namespace lockstep::bench {
namespace {

std::vector<RatioSpec>& specs() {
  static std::vector<RatioSpec> s;
  return s;
}

/// One benchmark's figures: its median when repetitions produced aggregates, else the mean of
/// its runs.
struct Figures {
  double time_per_op = 0;  ///< Seconds.
  std::map<std::string, double> counters;
  bool from_median = false;
  int runs = 0;
};

class RatioReporter final : public benchmark::ConsoleReporter {
 public:
  /// Colour only on a terminal (Google Benchmark's own --benchmark_color applies only to the
  /// reporter it creates itself).
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) {
        failed_ = true;
        continue;
      }
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      Figures& f = figures_[run.run_name.str()];
      if (f.from_median && !median) continue;
      if (median && !f.from_median) f = Figures{};
      const bool real = !run.run_name.time_type.empty();  // "real_time" or "manual_time".
      const double seconds = (real ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime()) /
                             benchmark::GetTimeUnitMultiplier(run.time_unit);
      const auto ops_it = run.counters.find("ops");
      const double ops = ops_it != run.counters.end() && ops_it->second.value > 0 ? ops_it->second.value : 1.0;
      // Without repetitions: a running mean over the (usually single) run.
      const int n = ++f.runs;
      f.time_per_op += (seconds / ops - f.time_per_op) / n;
      for (const auto& [name, counter] : run.counters) f.counters[name] += (counter.value - f.counters[name]) / n;
      f.from_median = median;
    }
  }

  void print_ratios() const {
    if (specs().empty()) return;
    std::printf("\n");
    for (const RatioSpec& s : specs()) print_one(s);
    std::fflush(stdout);
  }

 private:
  const Figures* find(const std::string& name) const {
    auto it = figures_.find(name);
    return it == figures_.end() ? nullptr : &it->second;
  }

  static bool value_of(const RatioSpec& s, const Figures& f, double& out) {
    if (s.metric == Metric::kTimePerOp) {
      out = f.time_per_op;
      return true;
    }
    auto it = f.counters.find(s.counter);
    if (it == f.counters.end()) return false;
    out = it->second;
    return true;
  }

  static std::string show(const RatioSpec& s, double v) {
    char buf[64];
    if (s.metric == Metric::kTimePerOp) {
      if (v < 1e-6) std::snprintf(buf, sizeof buf, "%.2f ns/op", v * 1e9);
      else if (v < 1e-3) std::snprintf(buf, sizeof buf, "%.2f us/op", v * 1e6);
      else std::snprintf(buf, sizeof buf, "%.2f ms/op", v * 1e3);
    } else if (std::fabs(v) >= 1e6) {
      std::snprintf(buf, sizeof buf, "%.2f M %s", v / 1e6, s.counter.c_str());
    } else {
      std::snprintf(buf, sizeof buf, "%.3g %s", v, s.counter.c_str());
    }
    return buf;
  }

  static const char* verdict(const RatioSpec& s, double x) {
    switch (s.goal) {
      case Goal::kNone: return "";
      case Goal::kAtMost: return x <= s.target ? "met" : "MISSED";
      case Goal::kAtLeast: return x >= s.target ? "met" : "MISSED";
    }
    return "";
  }

  void print_one(const RatioSpec& s) const {
    const Figures* subject = find(s.subject);
    const Figures* baseline = s.baseline.empty() ? nullptr : find(s.baseline);
    double sv = 0, bv = 0;
    if (subject == nullptr || !value_of(s, *subject, sv) || (!s.baseline.empty() && (baseline == nullptr || !value_of(s, *baseline, bv)))) {
      std::printf("ratio %s = n/a  (%s or %s not run)\n", s.name.c_str(), s.subject.c_str(),
                  s.baseline.empty() ? "-" : s.baseline.c_str());
      return;
    }
    const char* how = subject->from_median ? "median" : "single run";
    std::string target;
    if (s.goal != Goal::kNone) {
      char buf[64];
      if (s.baseline.empty() && s.metric == Metric::kTimePerOp)
        std::snprintf(buf, sizeof buf, "; target %s %s", s.goal == Goal::kAtMost ? "<=" : ">=", show(s, s.target).c_str());
      else
        std::snprintf(buf, sizeof buf, "; target %s %g", s.goal == Goal::kAtMost ? "<=" : ">=", s.target);
      target = buf;
      target += ": ";
      target += "%VERDICT%";
    }
    if (s.baseline.empty()) {
      const bool ok = s.goal == Goal::kNone || (s.goal == Goal::kAtMost ? sv <= s.target : sv >= s.target);
      if (!target.empty()) target.replace(target.find("%VERDICT%"), 9, ok ? "met" : "MISSED");
      std::printf("value %s = %s  (%s %s%s)\n", s.name.c_str(), show(s, sv).c_str(), s.subject.c_str(), how,
                  target.c_str());
    } else {
      const double x = s.inverted ? bv / sv : sv / bv;
      if (!target.empty()) target.replace(target.find("%VERDICT%"), 9, verdict(s, x));
      const std::string& num = s.inverted ? s.baseline : s.subject;
      const std::string& den = s.inverted ? s.subject : s.baseline;
      std::printf("ratio %s = %.3f  (%s %s / %s %s, %s%s)\n", s.name.c_str(), x, num.c_str(),
                  show(s, s.inverted ? bv : sv).c_str(), den.c_str(), show(s, s.inverted ? sv : bv).c_str(), how,
                  target.c_str());
    }
    if (!s.note.empty()) std::printf("      %s\n", s.note.c_str());
  }

  std::map<std::string, Figures> figures_;
  bool failed_ = false;

 public:
  /// A benchmark stopped with an error (a machine that did not finish, ...).
  bool failed() const { return failed_; }
};

}  // namespace

int declare_ratio(RatioSpec spec) {
  specs().push_back(std::move(spec));
  return static_cast<int>(specs().size());
}

}  // namespace lockstep::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  lockstep::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  // Targets never fail the run; a benchmark that could not run does (the ctest smoke test).
  return reporter.failed() ? 1 : 0;
}
