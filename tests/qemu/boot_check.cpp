// Boots the x86_64 kernel in QEMU and checks the run. One ctest entry per configuration.
//   test_qemu_boot --kernel K --cpus N [--accel tcg|kvm] [--extra-cpu APICID] [--timeout S]
// Exit 0: the run behaved as expected; 1: it did not (the reason and the command to reproduce
// are printed); 77: skipped (KVM requested but /dev/kvm unusable).

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <lockstep/core/workload.hpp>
#include <lockstep/sim/boot.hpp>
#include <string>

namespace {

constexpr int kSkip = 77;

int fail(const lockstep::sim::BootResult& r, const std::string& why) {
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

}  // namespace

int main(int argc, char** argv) {
  lockstep::sim::BootOptions o;
  long extra_cpu = -1;
  bool expect_fault = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--kernel") o.kernel = v, ++i;
    else if (a == "--cpus") o.cpus = static_cast<unsigned>(std::atoi(v)), ++i;
    else if (a == "--accel") o.accel = v, ++i;
    else if (a == "--extra-cpu") extra_cpu = std::strtol(v, nullptr, 0), ++i;
    else if (a == "--expect-fault") expect_fault = true;
    else if (a == "--timeout") o.timeout = std::chrono::seconds(std::atoi(v)), ++i;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.accel == "kvm") {
    std::string why;
    if (!lockstep::sim::kvm_usable(&why)) {
      std::printf("SKIP: KVM x2APIC test needs a usable /dev/kvm (%s)\n", why.c_str());
      return kSkip;
    }
  }
  o.verbose = true;  // The enumeration lines say which APIC mode ran.
  if (extra_cpu >= 0) o.kernel_args.push_back("lockstep.extra_cpu=" + std::to_string(extra_cpu));
  if (expect_fault) o.kernel_args.push_back("lockstep.fault_test");
  const lockstep::sim::BootResult r = lockstep::sim::run_boot(o);
  if (expect_fault) {
    // The fault handler names the exception, the CPU and the registers, and the run ends
    // promptly as failed (no reboot, no timeout).
    if (r.status != lockstep::sim::BootStatus::kFailed || r.exit_code != 35) return fail(r, "expected a failed run with exit status 35");
    if (r.reason.find("FAULT cpu=0 vector=6 (#UD invalid opcode)") == std::string::npos) return fail(r, "no #UD fault line");
    if (r.output.find("rax=1badc0de") == std::string::npos) return fail(r, "the registers were not printed");
    std::printf("PASS: fault reported: %s\n", r.reason.c_str());
    return 0;
  }

  const std::string mode = o.accel == "kvm" ? "apic: mode x2APIC (MSRs)" : "apic: mode xAPIC (MMIO)";
  if (r.output.find(mode) == std::string::npos) return fail(r, "the kernel did not report '" + mode + "'");
  for (const lockstep::core::Workload& w : lockstep::core::builtin_workloads())
    if (r.workload(w.name) == nullptr) return fail(r, std::string("no result for workload ") + w.name);

  if (extra_cpu < 0) {
    if (!r.passed()) return fail(r, "the run did not pass");
    if (r.online != o.cpus) return fail(r, std::to_string(r.online) + " CPUs online, expected " + std::to_string(o.cpus));
    if (r.trace.size() != o.cpus) return fail(r, "trace has " + std::to_string(r.trace.size()) + " CPU sections");
    for (std::size_t c = 0; c < r.trace.size(); ++c)
      if (r.trace[c].empty()) return fail(r, "no trace records from cpu " + std::to_string(c));
  } else {
    // The CPU the machine lacks is reported as failed and skipped; everything else passes.
    if (r.status != lockstep::sim::BootStatus::kFailed || !r.end_seen) return fail(r, "expected a completed, failed run");
    const lockstep::sim::BootCpu* ghost = nullptr;
    for (const auto& c : r.cpus)
      if (c.hw_id == static_cast<std::uint64_t>(extra_cpu)) ghost = &c;
    if (ghost == nullptr || ghost->state != "failed") return fail(r, "the missing CPU was not reported as failed");
    if (r.online != o.cpus) return fail(r, "the real CPUs did not all come online");
    for (const auto& w : r.workloads) {
      if (w.name == "boot") {
        if (w.passed || w.reason.find("is failed") == std::string::npos) return fail(r, "boot did not report the failed CPU");
      } else if (!w.passed) {
        return fail(r, "workload " + w.name + " failed with a CPU skipped: " + w.reason);
      }
    }
  }
  std::printf("PASS: %s, %u CPUs, %zu workloads, %.2f s (all CPUs online after %.2f s)\n", o.accel.c_str(), o.cpus,
              r.workloads.size(), r.seconds, r.seconds_to_online);
  return 0;
}
