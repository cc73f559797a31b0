// Boots a bare-metal kernel in QEMU through sim::run_boot (what `lockstep boot` runs) and checks
// the run. One ctest entry per configuration.
//   test_qemu_boot --arch x86_64|arm64 --kernel K --cpus N [--accel tcg|kvm] [--gic 2|3] [--el2]
//                  [--no-semihosting] [--extra-cpu ID] [--expect-fault] [--timeout S]
//                  [--qemu-arg ARG --expect-qemu-error TEXT] [--ipi-bench]
// Exit 0: the run behaved as expected; 1: it did not (the reason, the kernel's problem lines,
// the tail of the output and the command to reproduce are printed); 77: skipped (KVM requested
// but /dev/kvm unusable).

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <lockstep/core/workload.hpp>
#include <lockstep/sim/boot.hpp>
#include <string>

namespace {

constexpr int kSkip = 77;
using lockstep::sim::BootResult;
using lockstep::sim::BootStatus;

struct Check {
  lockstep::sim::BootOptions boot;
  long long extra_cpu = -1;
  bool expect_fault = false;
  bool ipi_bench = false;         ///< The IPI benchmark mode instead of the workloads.
  std::string expect_qemu_error;  ///< QEMU refuses to start: its words must reach the reason.
  bool arm64() const { return boot.arch == "arm64"; }
};

int fail(const BootResult& r, const std::string& why) {
  std::fprintf(stderr, "FAIL: %s\n  status: %s (%s), exit %d, %.2f s, last stage '%s'\n", why.c_str(),
               lockstep::sim::to_string(r.status), r.reason.c_str(), r.exit_code, r.seconds, r.last_stage.c_str());
  for (const std::string& p : r.problems) std::fprintf(stderr, "  kernel: %s\n", p.c_str());
  std::string cmd;
  for (const std::string& a : r.command) cmd += (a.find(' ') != std::string::npos ? "'" + a + "'" : a) + " ";
  std::fprintf(stderr, "reproduce: %s\n", cmd.c_str());
  const std::size_t tail = r.output.size() > 3000 ? r.output.size() - 3000 : 0;
  std::fprintf(stderr, "--- serial output (last 3000 bytes) ---\n%s\n--- qemu stderr ---\n%s\n", r.output.c_str() + tail,
               r.qemu_stderr.c_str());
  return 1;
}

bool has(const BootResult& r, const std::string& text) { return r.output.find(text) != std::string::npos; }

/// The fault handler names the exception, the CPU and the registers, and the run ends promptly
/// as failed (no reboot, no timeout).
int check_fault(const Check& c, const BootResult& r) {
  if (r.status != BootStatus::kFailed || r.exit_code != 35) return fail(r, "expected a failed run with exit status 35");
  if (c.arm64()) {
    if (r.reason.find("FAULT cpu=0 sync esr=96") == std::string::npos ||
        r.reason.find("(data abort)") == std::string::npos || r.reason.find("far=dead00000000") == std::string::npos)
      return fail(r, "no data-abort fault line with ESR and FAR");
    if (!has(r, "x0=c0de1bad")) return fail(r, "the registers were not printed");
  } else {
    if (r.reason.find("FAULT cpu=0 vector=6 (#UD invalid opcode)") == std::string::npos)
      return fail(r, "no #UD fault line");
    if (!has(r, "rax=1badc0de")) return fail(r, "the registers were not printed");
  }
  std::printf("PASS: fault reported: %s\n", r.reason.c_str());
  return 0;
}

/// What the kernel's enumeration must say about the machine it found.
int check_platform(const Check& c, const BootResult& r) {
  if (!c.arm64()) {
    const std::string mode = c.boot.accel == "kvm" ? "apic: mode x2APIC (MSRs)" : "apic: mode xAPIC (MMIO)";
    return has(r, mode) ? 0 : fail(r, "the kernel did not report '" + mode + "'");
  }
  const std::string gic = "GICv" + std::to_string(c.boot.gic) + " at distributor";
  if (!has(r, gic)) return fail(r, "the kernel did not report '" + gic + "'");
  const std::string el = c.boot.el2 ? "entered at EL2" : "entered at EL1";
  if (!has(r, el)) return fail(r, "the kernel did not report '" + el + "'");
  const std::string conduit = c.boot.el2 ? "via smc" : "via hvc";
  if (!has(r, "psci: version 1.") || !has(r, conduit))
    return fail(r, "no PSCI version line naming the conduit (" + conduit + ")");
  return 0;
}

/// The IPI benchmark mode (lockstep.ipi_bench): the run passes, runs no workload, and its
/// IPI-BENCH line parses with positive medians.
int check_ipi_bench(const Check& c, const BootResult& r) {
  if (!r.passed()) return fail(r, "the ipi-bench run did not pass");
  if (!r.workloads.empty()) return fail(r, "the ipi-bench run ran workloads");
  const lockstep::sim::BootIpiBench& b = r.ipi_bench;
  if (!b.seen || !b.passed) return fail(r, "no valid IPI-BENCH line: " + b.reason);
  if (r.online != c.boot.cpus) return fail(r, std::to_string(r.online) + " CPUs online");
  std::printf("PASS: %s ipi-bench: round trip %llu ticks, self-IPI %llu ticks (ratio %.2f, %llu samples, %llu Hz)\n",
              c.boot.arch.c_str(), static_cast<unsigned long long>(b.round_trip),
              static_cast<unsigned long long>(b.self), b.ratio(), static_cast<unsigned long long>(b.samples),
              static_cast<unsigned long long>(b.hz));
  return 0;
}

int check_run(const Check& c, const BootResult& r) {
  for (const lockstep::core::Workload& w : lockstep::core::builtin_workloads())
    if (r.workload(w.name) == nullptr) return fail(r, std::string("no result for workload ") + w.name);
  if (c.extra_cpu < 0) {
    if (!r.passed()) return fail(r, "the run did not pass");
    if (r.online != c.boot.cpus)
      return fail(r, std::to_string(r.online) + " CPUs online, expected " + std::to_string(c.boot.cpus));
    if (r.trace.size() != c.boot.cpus) return fail(r, "trace has " + std::to_string(r.trace.size()) + " CPU sections");
    for (std::size_t cpu = 0; cpu < r.trace.size(); ++cpu)
      if (r.trace[cpu].empty()) return fail(r, "no trace records from cpu " + std::to_string(cpu));
    return 0;
  }
  // The CPU the machine lacks is reported as failed and skipped; everything else passes.
  if (r.status != BootStatus::kFailed || !r.end_seen) return fail(r, "expected a completed, failed run");
  const lockstep::sim::BootCpu* ghost = nullptr;
  for (const auto& cpu : r.cpus)
    if (cpu.hw_id == static_cast<std::uint64_t>(c.extra_cpu)) ghost = &cpu;
  if (ghost == nullptr || ghost->state != "failed") return fail(r, "the missing CPU was not reported as failed");
  if (c.arm64() && !has(r, "CPU_ON cpu " + std::to_string(ghost->id)))
    return fail(r, "the PSCI CPU_ON error was not reported");
  if (r.online != c.boot.cpus) return fail(r, "the real CPUs did not all come online");
  for (const auto& w : r.workloads) {
    if (w.name == "boot") {
      if (w.passed || w.reason.find("is failed") == std::string::npos)
        return fail(r, "boot did not report the failed CPU");
    } else if (!w.passed) {
      return fail(r, "workload " + w.name + " failed with a CPU skipped: " + w.reason);
    }
  }
  return 0;
}

bool parse(int argc, char** argv, Check& c) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--arch") c.boot.arch = v, ++i;
    else if (a == "--kernel") c.boot.kernel = v, ++i;
    else if (a == "--cpus") c.boot.cpus = static_cast<unsigned>(std::atoi(v)), ++i;
    else if (a == "--accel") c.boot.accel = v, ++i;
    else if (a == "--gic") c.boot.gic = static_cast<unsigned>(std::atoi(v)), ++i;
    else if (a == "--el2") c.boot.el2 = true;
    else if (a == "--no-semihosting") c.boot.semihosting = false;
    else if (a == "--extra-cpu") c.extra_cpu = std::strtoll(v, nullptr, 0), ++i;
    else if (a == "--expect-fault") c.expect_fault = true;
    else if (a == "--ipi-bench")
      c.ipi_bench = true;
    else if (a == "--qemu-arg") c.boot.extra_qemu_args.push_back(v), ++i;
    else if (a == "--expect-qemu-error") c.expect_qemu_error = v, ++i;
    else if (a == "--timeout") c.boot.timeout = std::chrono::seconds(std::atoi(v)), ++i;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Check c;
  if (!parse(argc, argv, c)) return 2;
  if (c.boot.accel == "kvm") {
    std::string why;
    if (!lockstep::sim::kvm_usable(&why)) {
      std::printf("SKIP: KVM x2APIC test needs a usable /dev/kvm (%s)\n", why.c_str());
      return kSkip;
    }
  }
  c.boot.verbose = true;  // The enumeration lines say which interrupt controller and mode ran.
  if (c.extra_cpu >= 0) c.boot.kernel_args.push_back("lockstep.extra_cpu=" + std::to_string(c.extra_cpu));
  if (c.expect_fault) c.boot.kernel_args.push_back("lockstep.fault_test");
  if (c.ipi_bench) c.boot.kernel_args.push_back("lockstep.ipi_bench");
  const BootResult r = lockstep::sim::run_boot(c.boot);
  if (!c.expect_qemu_error.empty()) {
    if (r.status != BootStatus::kBadExit || r.reason.find("QEMU said: ") == std::string::npos ||
        r.reason.find(c.expect_qemu_error) == std::string::npos)
      return fail(r, "QEMU's own reason ('" + c.expect_qemu_error + "') is not in the failure");
    std::printf("PASS: %s\n", r.reason.c_str());
    return 0;
  }
  if (c.expect_fault) return check_fault(c, r);
  if (const int failed = check_platform(c, r); failed != 0) return failed;
  if (c.ipi_bench) return check_ipi_bench(c, r);
  if (const int failed = check_run(c, r); failed != 0) return failed;
  std::printf("PASS: %s %s, %u CPUs, %zu workloads, %.2f s (all CPUs online after %.2f s)\n", c.boot.arch.c_str(),
              c.arm64() ? ("GICv" + std::to_string(c.boot.gic) + (c.boot.el2 ? ", EL2 entry" : "")).c_str() : c.boot.accel.c_str(),
              c.boot.cpus, r.workloads.size(), r.seconds, r.seconds_to_online);
  return 0;
}
