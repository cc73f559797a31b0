// `lockstep boot`: the bare-metal kernel's self-test on QEMU (x86_64 or arm64) or, reproducibly
// from a seed, on the Unicorn machine (arm64). Results come from the kernel's serial protocol
// either way; the trace from the serial dump (QEMU) or straight from guest memory (Unicorn).

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <lockstep/emu/unicorn/kernel_trace.hpp>
#include <lockstep/emu/unicorn/machine.hpp>
#include <lockstep/sim/boot.hpp>
#include <lockstep/sim/build_id.hpp>
#include <lockstep/sim/repro.hpp>
#include <lockstep/sim/run_trace.hpp>
#include <lockstep/sim/trace_file.hpp>
#include <memory>
#include <optional>

#include "common.hpp"
#include "gdb_session.hpp"

namespace lockstep::sim::cli {
namespace {

struct BootFlags : ScheduleFlags {
  BootFlags() { strategy = std::string(emu::to_string(emu::unicorn::MachineConfig{}.strategy)); }
  std::string machine = "qemu";
  std::string arch = "x86_64";
  std::string kernel;
  unsigned gic = 2;
  bool el2 = false;
  bool no_semihosting = false;
  std::string accel = "tcg";
  std::string trace;
  bool verbose = false;
  bool gdb = false;            ///< QEMU's gdbstub, CPUs stopped until gdb continues them.
  std::uint16_t gdb_port = 0;  ///< 0: a free one.
  std::string gdb_batch;       ///< A gdb script lockstep runs against the stub itself.
};

bool exists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void write_boot_trace(const BootFlags& f, const std::vector<std::vector<core::TraceRecord>>& per_cpu,
                      const std::vector<std::uint64_t>& lost, const BootResult& r, std::uint64_t hash) {
  TraceConfig config;
  config.build_id = build_id();
  config.scenario = "kernel-self-test";
  config.strategy = f.machine == "unicorn" ? f.strategy : "hardware";
  config.engine = f.machine + "-" + f.arch;
  config.cpus = static_cast<std::uint32_t>(per_cpu.size());
  config.seed = f.machine == "unicorn" ? f.seed : 0;
  config.pct_depth = f.pct_depth;
  TraceWriter writer(f.trace, config);
  for (std::uint32_t c = 0; c < per_cpu.size(); ++c) writer.write_cpu(c, per_cpu[c], c < lost.size() ? lost[c] : 0);
  TraceOutcome outcome;
  outcome.passed = r.passed();
  outcome.reason = r.reason;
  outcome.event_hash = hash;
  writer.finish(outcome);
}

}  // namespace

std::string default_kernel_image(const std::string& arch) {
  return arch == "arm64" ? LOCKSTEP_DEFAULT_KERNEL_ARM64 : LOCKSTEP_DEFAULT_KERNEL_X86_64;
}

void print_unicorn_reproduce(const Context& ctx, std::uint32_t cpus, std::uint64_t seed, const std::string& strategy,
                             const std::string& kernel) {
  const std::string args = fmt::format("--machine unicorn --arch arm64 --cpus {} --seed {} --strategy {}{}", cpus, seed,
                                       strategy, kernel.empty() ? "" : " --kernel " + shell_quote(kernel));
  fmt::print("reproduce: {} boot {}\n", ctx.program, args);
  fmt::print("debug: {} debug {}   (gdb with every vCPU a thread, reverse-stepi; docs/DEBUGGING.md)\n", ctx.program,
             args);
}

UnicornBoot boot_on_unicorn(const std::string& kernel, std::uint32_t cpus, std::uint64_t seed, const std::string& strategy,
                            std::uint32_t pct_depth) {
  emu::unicorn::MachineConfig c;
  c.image = kernel;
  c.cpus = cpus;
  c.seed = seed;
  c.strategy = *emu::parse_strategy(strategy);
  c.pct_depth = pct_depth;
  UnicornBoot out;
  emu::unicorn::KernelTrace trace;
  out.machine = emu::unicorn::run(c, [&](const emu::unicorn::GuestView& g) {
    if (auto t = emu::unicorn::read_kernel_trace(g, out.trace_error)) trace = std::move(*t);
  });
  out.trace = std::move(trace.per_cpu);
  out.lost = std::move(trace.lost);
  std::vector<std::uint64_t> numbers;
  for (auto& records : out.trace) number_locks(records, numbers);
  // Judged by the same serial parser as a QEMU run.
  BootResult& r = out.result;
  r.arch = "arm64";
  r.output = out.machine.console;
  SerialParser parser(r);
  parser.lines(out.machine.console);
  parser.finish(out.machine.exit_code, out.machine.status == emu::unicorn::Status::kInstructionLimit);
  if (out.machine.status != emu::unicorn::Status::kPoweredOff && r.passed()) {
    r.status = BootStatus::kBadExit;
    r.reason = std::string(emu::unicorn::to_string(out.machine.status));
  }
  r.seconds = out.machine.host_seconds;
  return out;
}

Action add_boot(CLI::App& app, const Context& ctx) {
  auto f = std::make_shared<BootFlags>();
  CLI::App* cmd = app.add_subcommand(
      "boot", "Boot the bare-metal kernel's self-test on QEMU or, reproducibly from a seed, on the Unicorn machine");
  cmd->add_option("--machine", f->machine, "qemu (x86_64, arm64) or unicorn (arm64)")->check(CLI::IsMember({"qemu", "unicorn"}));
  cmd->add_option("--arch", f->arch, "x86_64 or arm64")->check(CLI::IsMember({"x86_64", "arm64"}));
  cmd->add_option("--kernel", f->kernel, "Kernel image (default: the one this build made)");
  // The schedule flags are the Unicorn machine's; QEMU's schedule is the host's.
  add_schedule_flags(*cmd, *f, unicorn_strategy_names(), true);
  cmd->add_option("--gic", f->gic, "arm64 on QEMU: GIC version")->check(CLI::IsMember({2u, 3u}));
  cmd->add_flag("--el2", f->el2, "arm64 on QEMU: enter the kernel at EL2 (virtualization=on; PSCI through smc)");
  cmd->add_flag(
      "--no-semihosting", f->no_semihosting,
      "arm64 on QEMU: no semihosting; the kernel ends QEMU with PSCI SYSTEM_OFF and its END line is the verdict");
  cmd->add_option("--accel", f->accel, "x86_64 on QEMU: tcg or kvm (x2APIC)")->check(CLI::IsMember({"tcg", "kvm"}));
  cmd->add_option("--trace", f->trace, "Write the kernel's trace as a lockstep trace file");
  cmd->add_flag("--verbose", f->verbose, "The kernel prints its enumeration (as KERNEL_DEBUG=1); the console is streamed");
  cmd->add_flag("--gdb", f->gdb,
                "QEMU: start its gdbstub on 127.0.0.1 with every CPU stopped and print the gdb command that attaches");
  cmd->add_option("--gdb-port", f->gdb_port, "QEMU: the gdbstub's port (default: a free one)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--gdb-batch", f->gdb_batch, "QEMU: run this gdb script against the stub (implies --gdb)")
      ->check(CLI::ExistingFile);
  return [f, ctx] {
    const std::string kernel_flag = f->kernel;  // As given: the default image is not named.
    if (f->machine == "qemu") {
      // A machine QEMU cannot start is a bad request (exit 2), said before anything runs.
      BootOptions asked;
      asked.arch = f->arch;
      asked.cpus = f->cpus;
      asked.gic = f->gic;
      asked.accel = f->accel;
      if (const std::string problem = boot_limits_problem(asked); !problem.empty()) throw InputError(problem);
    }
    if (f->kernel.empty()) f->kernel = default_kernel_image(f->arch);
    if (!exists(f->kernel))
      throw InputError(fmt::format("kernel image '{}' not found (build it: scripts/build host --target "
                                   "lockstep_kernel_{}_image, or pass --kernel)",
                                   f->kernel, f->arch));
    if ((f->gdb || !f->gdb_batch.empty()) && f->machine != "qemu")
      throw InputError("--gdb attaches to QEMU's gdbstub: use --machine qemu");
    if (!f->gdb_batch.empty() && !on_path(gdb_for(f->arch)))
      throw InputError(fmt::format("{} not found (Debian package {}), needed by --gdb-batch", gdb_for(f->arch),
                                   gdb_for(f->arch)));
    if (f->machine == "unicorn" && f->arch != "arm64")
      throw InputError("the Unicorn machine runs arm64 images (--arch arm64); x86_64 runs on QEMU");
    if (f->machine == "unicorn" && f->cpus > kGicV2MaxCpus)
      throw InputError(fmt::format("the Unicorn machine has at most {} CPUs (GICv2)", kGicV2MaxCpus));
    BootResult r;
    std::uint64_t hash = 0;
    std::vector<std::vector<core::TraceRecord>> per_cpu;
    std::vector<std::uint64_t> lost;
    if (f->machine == "unicorn") {
      UnicornBoot u = boot_on_unicorn(f->kernel, f->cpus, f->seed, f->strategy, f->pct_depth);
      const emu::unicorn::Result& machine = u.machine;
      if (f->verbose) fmt::print("{}", machine.console);
      fmt::print("unicorn: {} instructions in {} slices, {:.2f} s, schedule hash {:016x}\n", machine.instructions,
                 machine.slices, machine.host_seconds, machine.schedule_hash);
      if (machine.status != emu::unicorn::Status::kPoweredOff) fmt::print("{}", machine.report);
      if (!u.trace_error.empty()) fmt::print("trace: {}\n", u.trace_error);
      hash = machine.schedule_hash;
      r = std::move(u.result);
      per_cpu = std::move(u.trace);
      lost = std::move(u.lost);
    } else {
      BootOptions o;
      o.arch = f->arch;
      o.kernel = f->kernel;
      o.cpus = f->cpus;
      o.gic = f->gic;
      o.el2 = f->el2;
      o.semihosting = !f->no_semihosting;
      o.accel = f->accel;
      // --verbose (or KERNEL_DEBUG=1) makes the kernel print its enumeration, streamed here.
      o.verbose = f->verbose || kernel_debug_from_environment();
      if (o.verbose) o.on_line = [](std::string_view l) { fmt::print("{}\n", l); };
      std::optional<GdbSession> gdb;
      if (f->gdb || !f->gdb_batch.empty()) {
        o.gdb_port = f->gdb_port != 0 ? f->gdb_port : free_loopback_port();
        if (o.gdb_port == 0) throw InputError("no free port on 127.0.0.1 for QEMU's gdbstub (--gdb-port)");
        gdb.emplace(gdb_for(f->arch), f->kernel, o.gdb_port);
        fmt::print("gdb: QEMU waits on 127.0.0.1:{} with every CPU stopped; attach with\n  {}\n", o.gdb_port,
                   gdb->command(fmt::format("-ex 'hbreak {}' -ex continue", kernel_entry_symbol(f->arch))));
        std::fflush(stdout);
        if (!f->gdb_batch.empty()) {
          // Without gdb nobody would continue QEMU's stopped CPUs: end it at once, not at the timeout.
          o.on_started = [&gdb, f](int qemu) {
            if (!gdb->start_batch(f->gdb_batch)) kill(qemu, SIGKILL);
          };
        } else {
          o.timeout = std::chrono::hours(1);  // A person at the debugger: bounded, but generously.
        }
      }
      r = run_boot(o);
      if (gdb && !f->gdb_batch.empty()) {
        const int status = gdb->finish();
        fmt::print("gdb: the script ended with status {}\n", status);
        if (status != 0 && r.passed()) {
          r.status = BootStatus::kFailed;
          r.reason = fmt::format("the gdb script {} failed (status {})", f->gdb_batch, status);
        }
      }
      per_cpu = r.trace;
      lost = r.trace_lost;
      std::vector<std::uint64_t> numbers;
      for (auto& records : per_cpu) number_locks(records, numbers);
    }
    for (const auto& w : r.workloads)
      fmt::print("  {:<16} {}{}\n", w.name, w.passed ? "PASS" : "FAIL ", w.passed ? "" : w.reason);
    fmt::print("{}: {} on {} ({} {} CPUs, {} online), {:.2f} s\n", r.passed() ? "PASS" : "FAIL", r.passed() ? "self-test" : r.reason,
               f->machine, f->cpus, f->arch, r.online, r.seconds);
    if (!r.passed() && f->machine == "unicorn")
      print_unicorn_reproduce(ctx, f->cpus, f->seed, f->strategy, kernel_flag);
    if (!f->trace.empty()) {
      if (per_cpu.empty()) throw InputError("the run produced no trace to write");
      write_boot_trace(*f, per_cpu, lost, r, hash);
      fmt::print("trace written to {}\n", f->trace);
    }
    return r.passed() ? 0 : 1;
  };
}

}  // namespace lockstep::sim::cli
