// `lockstep debug` on the deterministic engine: gdb runs `lockstep run ...` (this binary, same
// flags) with lockstep_gdb.py loaded, which stops the engine through emu/debug_hook.hpp. The
// run is first made here, in this process, to check that it reaches the stop and to turn an
// event into its scheduling point: the run is a function of its flags, so gdb's run is the same.

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/debug_watch.hpp>
#include <lockstep/sim/repro.hpp>
#include <vector>

#include "debug.hpp"

namespace lockstep::sim::cli {
namespace {

std::string self_executable() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw InputError("cannot find this program's own file (/proc/self/exe) to run it under gdb");
  return std::string(buf, static_cast<std::size_t>(n));
}

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The extension lives at BINDIR/../share/lockstep/gdb in the install tree and in the build tree
/// (sim/CMakeLists.txt copies it there); LOCKSTEP_GDB_EXTENSION names another (a user's binary
/// built elsewhere).
std::string gdb_extension(const std::string& self) {
  if (const char* env = std::getenv("LOCKSTEP_GDB_EXTENSION"); env != nullptr && *env != '\0') {
    if (!is_file(env)) throw InputError(fmt::format("LOCKSTEP_GDB_EXTENSION: no file '{}'", env));
    return env;
  }
  const std::string dir = self.substr(0, self.rfind('/'));
  const std::string path = dir + "/../share/lockstep/gdb/lockstep_gdb.py";
  if (!is_file(path))
    throw InputError(fmt::format("the gdb extension is missing: no {} (set LOCKSTEP_GDB_EXTENSION to its path)", path));
  return path;
}

}  // namespace

int debug_engine(const Context&, const DebugFlags& f) {
  const RunOptions options = run_options_from(f.machine);
  std::optional<DebugWatch> watch;
  if (!f.stop_event.empty()) {
    std::string error;
    watch = parse_debug_watch(f.stop_event, error);
    if (!watch) throw InputError(fmt::format("--stop-at-event: {}", error));
  }
  if (f.stop_at_given && f.stop_at == 0) throw InputError("--stop-at 0: scheduling points are numbered from 1");
  const bool stop_point = f.stop_at != 0;
  const bool at_failure = f.stop_at_failure || (!stop_point && !watch);
  if (!on_path("gdb"))
    throw InputError("gdb not found on PATH (Debian package gdb; scripts/install-deps.sh installs it)");
  const std::string self = self_executable();
  const std::string extension = gdb_extension(self);

  const DebugLanding landing = find_debug_landing(options, watch);
  std::uint64_t point = f.stop_at;
  std::string what;
  if (watch) {
    if (landing.point == 0)
      throw InputError(fmt::format("--stop-at-event {}: no such event in this run ({} scheduling points, {})",
                                   f.stop_event, landing.steps, landing.passed ? "it passes" : landing.reason));
    point = landing.point;
    what = fmt::format("scheduling point {}, the first after {}", point, f.stop_event);
  } else if (stop_point) {
    if (point > landing.steps)
      throw InputError(fmt::format("--stop-at {}: the run ends after {} scheduling points", point, landing.steps));
    what = fmt::format("scheduling point {}", point);
  } else if (landing.passed) {
    throw InputError(
        fmt::format("the run passes ({} scheduling points): no failure to stop at (use --stop-at N)", landing.steps));
  } else {
    what = "the failure: " + landing.reason;
  }
  fmt::print("lockstep debug: {} seed {}: stopping at {} ({} scheduling points in the run)\n", options.scenario,
             options.machine.seed, what, landing.steps);
  std::fflush(stdout);

  std::vector<std::string> args = {"gdb", "-q", "-nx"};
  if (!f.gdb_batch.empty()) args.push_back("-batch");
  for (const char* setting : {"set pagination off", "set confirm off", "set print thread-events off"})
    args.insert(args.end(), {"-ex", setting});
  args.insert(args.end(), {"-x", extension, "-ex", fmt::format("lockstep-start {}", at_failure ? 0 : point)});
  if (!f.gdb_batch.empty()) args.insert(args.end(), {"-x", f.gdb_batch});
  args.insert(args.end(), {"--args", self});
  for (std::string& a : run_arguments(options, f.machine.schedule)) args.push_back(std::move(a));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  throw InputError(fmt::format("cannot run gdb: {}", std::strerror(errno)));
}

}  // namespace lockstep::sim::cli
