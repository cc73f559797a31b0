// Boots the arm64 kernel in QEMU (virt, TCG) and checks the run. One ctest entry per
// configuration:
//   test_qemu_arm64 --kernel K --cpus N [--gic 2|3] [--el2] [--no-semihosting]
//                   [--extra-cpu MPIDR] [--expect-fault] [--timeout S]
// Exit 0: the run behaved as expected; 1: it did not (the reason, the kernel's problem lines,
// the tail of the output and the command to reproduce are printed).
//
// The serial protocol is parsed by lockstep_boot's parser (the one `lockstep boot` uses); only
// the QEMU command line differs from x86_64, so this file starts QEMU itself until
// sim::qemu_command() learns arm64 (then run_boot() replaces run_qemu() below).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <lockstep/core/workload.hpp>
#include <lockstep/sim/boot.hpp>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Options {
  std::string kernel;
  unsigned cpus = 1;
  unsigned gic = 2;
  bool el2 = false;
  bool semihosting = true;
  bool expect_fault = false;
  long long extra_cpu = -1;
  int timeout_s = 120;
};

constexpr std::size_t kMaxOutput = 64u << 20;

std::vector<std::string> command(const Options& o) {
  std::string machine = "virt,gic-version=" + std::to_string(o.gic);
  if (o.el2) machine += ",virtualization=on";
  std::vector<std::string> c = {"qemu-system-aarch64", "-M", machine, "-cpu", "cortex-a72", "-smp", std::to_string(o.cpus),
                                "-m", "256M", "-display", "none", "-serial", "stdio", "-monitor", "none", "-net", "none",
                                "-no-reboot", "-kernel", o.kernel};
  if (o.semihosting) c.push_back("-semihosting");
  std::string append = "lockstep.verbose";
  if (o.extra_cpu >= 0) append += " lockstep.extra_cpu=" + std::to_string(o.extra_cpu);
  if (o.expect_fault) append += " lockstep.fault_test";
  c.insert(c.end(), {"-append", append});
  return c;
}

struct Run {
  std::string output;
  int exit_code = -1;
  bool timed_out = false;
  double seconds = 0;
};

/// Runs QEMU with stdout captured (bounded) and a deadline; kills it when either is exceeded.
Run run_qemu(const std::vector<std::string>& cmd, int timeout_s) {
  Run r;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  std::vector<std::string> args = cmd;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const auto start = std::chrono::steady_clock::now();
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    r.output = std::string("cannot start QEMU: ") + std::strerror(rc);
    return r;
  }
  const auto deadline = start + std::chrono::seconds(timeout_s);
  char buf[65536];
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline || r.output.size() > kMaxOutput) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
    if (poll(&p, 1, left > 1000 ? 1000 : left) <= 0) continue;
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

int fail(const lockstep::sim::BootResult& r, const Run& run, const std::vector<std::string>& cmd, const std::string& why) {
  std::fprintf(stderr, "FAIL: %s\n  status: %s (%s), exit %d, %.2f s, last stage '%s'\n", why.c_str(),
               lockstep::sim::to_string(r.status), r.reason.c_str(), run.exit_code, run.seconds, r.last_stage.c_str());
  for (const std::string& p : r.problems) std::fprintf(stderr, "  kernel: %s\n", p.c_str());
  std::string c;
  for (const std::string& a : cmd) c += (a.find(' ') != std::string::npos ? "'" + a + "'" : a) + " ";
  std::fprintf(stderr, "reproduce: %s\n", c.c_str());
  const std::size_t tail = run.output.size() > 3000 ? run.output.size() - 3000 : 0;
  std::fprintf(stderr, "--- output (last 3000 bytes) ---\n%s\n", run.output.c_str() + tail);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--kernel") o.kernel = v, ++i;
    else if (a == "--cpus") o.cpus = static_cast<unsigned>(std::atoi(v)), ++i;
    else if (a == "--gic") o.gic = static_cast<unsigned>(std::atoi(v)), ++i;
    else if (a == "--el2") o.el2 = true;
    else if (a == "--no-semihosting") o.semihosting = false;
    else if (a == "--extra-cpu") o.extra_cpu = std::strtoll(v, nullptr, 0), ++i;
    else if (a == "--expect-fault") o.expect_fault = true;
    else if (a == "--timeout") o.timeout_s = std::atoi(v), ++i;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  const std::vector<std::string> cmd = command(o);
  const Run run = run_qemu(cmd, o.timeout_s);
  // Without semihosting PSCI SYSTEM_OFF ends QEMU with status 0: judge by the END line.
  const int judged_exit = !o.semihosting && run.exit_code == 0 ? -2 : run.exit_code;
  lockstep::sim::BootResult r = lockstep::sim::parse_serial_log(run.output, judged_exit);
  if (run.timed_out) return fail(r, run, cmd, "timed out (or too much output) after " + std::to_string(o.timeout_s) + " s");

  if (o.expect_fault) {
    // The synchronous-exception handler names the exception, the CPU and the registers, and
    // the run ends promptly as failed.
    if (run.exit_code != 35) return fail(r, run, cmd, "expected exit status 35");
    if (r.reason.find("FAULT cpu=0 sync esr=96") == std::string::npos || r.reason.find("(data abort)") == std::string::npos ||
        r.reason.find("far=dead00000000") == std::string::npos)
      return fail(r, run, cmd, "no data-abort fault line with ESR and FAR");
    if (run.output.find("x0=c0de1bad") == std::string::npos) return fail(r, run, cmd, "the registers were not printed");
    std::printf("PASS: fault reported: %s\n", r.reason.c_str());
    return 0;
  }

  const std::string gic = "GICv" + std::to_string(o.gic) + " at distributor";
  if (run.output.find(gic) == std::string::npos) return fail(r, run, cmd, "the kernel did not report '" + gic + "'");
  const std::string el = o.el2 ? "entered at EL2" : "entered at EL1";
  if (run.output.find(el) == std::string::npos) return fail(r, run, cmd, "the kernel did not report '" + el + "'");
  const std::string conduit = o.el2 ? "via smc" : "via hvc";
  if (run.output.find("psci: version 1.") == std::string::npos || run.output.find(conduit) == std::string::npos)
    return fail(r, run, cmd, "no PSCI version line naming the conduit (" + conduit + ")");
  for (const lockstep::core::Workload& w : lockstep::core::builtin_workloads())
    if (r.workload(w.name) == nullptr) return fail(r, run, cmd, std::string("no result for workload ") + w.name);

  if (o.extra_cpu < 0) {
    if (o.semihosting ? !r.passed() : !(r.end_passed && r.trace_error.empty() && run.exit_code == 0))
      return fail(r, run, cmd, "the run did not pass");
    for (const auto& w : r.workloads)
      if (!w.passed) return fail(r, run, cmd, "workload " + w.name + " failed: " + w.reason);
    if (r.online != o.cpus) return fail(r, run, cmd, std::to_string(r.online) + " CPUs online, expected " + std::to_string(o.cpus));
    if (r.trace.size() != o.cpus) return fail(r, run, cmd, "trace has " + std::to_string(r.trace.size()) + " CPU sections");
    for (std::size_t c = 0; c < r.trace.size(); ++c)
      if (r.trace[c].empty()) return fail(r, run, cmd, "no trace records from cpu " + std::to_string(c));
  } else {
    // A CPU the machine lacks: PSCI CPU_ON fails, it is reported as failed and skipped.
    if (r.status != lockstep::sim::BootStatus::kFailed || !r.end_seen) return fail(r, run, cmd, "expected a completed, failed run");
    const lockstep::sim::BootCpu* ghost = nullptr;
    for (const auto& c : r.cpus)
      if (c.hw_id == static_cast<std::uint64_t>(o.extra_cpu)) ghost = &c;
    if (ghost == nullptr || ghost->state != "failed") return fail(r, run, cmd, "the missing CPU was not reported as failed");
    if (run.output.find("CPU_ON cpu " + std::to_string(ghost->id)) == std::string::npos)
      return fail(r, run, cmd, "the PSCI CPU_ON error was not reported");
    if (r.online != o.cpus) return fail(r, run, cmd, "the real CPUs did not all come online");
    for (const auto& w : r.workloads) {
      if (w.name == "boot") {
        if (w.passed || w.reason.find("is failed") == std::string::npos) return fail(r, run, cmd, "boot did not report the failed CPU");
      } else if (!w.passed) {
        return fail(r, run, cmd, "workload " + w.name + " failed with a CPU skipped: " + w.reason);
      }
    }
  }
  std::printf("PASS: GICv%u%s, %u CPUs, %zu workloads, exit %d, %.2f s\n", o.gic, o.el2 ? " (EL2 entry)" : "", o.cpus,
              r.workloads.size(), run.exit_code, run.seconds);
  return 0;
}
