#pragma once
// Host side of the bare-metal kernels: starts QEMU on a built kernel image, streams its serial
// console, parses the serial protocol (hal/baremetal/common/.../serial_protocol.hpp) and
// returns per-workload results, the exit status and the decoded trace. Every wait is bounded
// by a timeout and the captured output by a size limit; QEMU is killed when either is hit.

#include <chrono>
#include <cstdint>
#include <functional>
#include <lockstep/core/trace.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::sim {

/// A TCP port on 127.0.0.1 nobody listened on a moment ago (the kernel picks it), or 0.
std::uint16_t free_loopback_port();

/// The gdb that debugs `arch`'s kernel (gdb for x86_64, gdb-multiarch for arm64), and the
/// function a first breakpoint goes on (the kernel's C++ entry).
const char* gdb_for(const std::string& arch) noexcept;
const char* kernel_entry_symbol(const std::string& arch) noexcept;

struct BootOptions {
  std::string arch = "x86_64";           ///< x86_64 (PC) or arm64 (virt).
  unsigned gic = 2;                      ///< arm64: GIC version of the virt machine (2 or 3).
  bool el2 = false;                      ///< arm64: enter the kernel at EL2 (virtualization=on).
  /// arm64: the kernel ends QEMU through semihosting SYS_EXIT with its status. Without it, PSCI
  /// SYSTEM_OFF ends QEMU with status 0 and the END line is the verdict.
  bool semihosting = true;
  std::string kernel;                    ///< Path of the kernel image.
  std::string qemu;                      ///< QEMU binary; empty: qemu-system-<arch> from PATH.
  unsigned cpus = 1;
  std::string accel = "tcg";             ///< tcg or kvm.
  std::string cpu_model;                 ///< Empty: qemu64 (tcg) / qemu64,+x2apic (kvm).
  std::vector<std::string> kernel_args;  ///< Words of the kernel command line (-append).
  bool verbose = false;                  ///< Adds lockstep.verbose: the kernel prints its enumeration.
  std::chrono::milliseconds timeout{120'000};
  std::size_t max_output = 64u << 20;    ///< Serial bytes kept; more kills QEMU.
  std::vector<std::string> extra_qemu_args;
  /// Non-zero: QEMU's gdbstub listens on 127.0.0.1:gdb_port and the CPUs wait, stopped, for gdb.
  std::uint16_t gdb_port = 0;
  /// Called once QEMU runs (its pid), before its output is read: where a debugger is started.
  std::function<void(int pid)> on_started;
  /// Called for every serial line as it arrives (streaming to a console), if set.
  std::function<void(std::string_view)> on_line;
};

enum class BootStatus : std::uint8_t {
  kPassed,       ///< Exit status "pass", END PASS, every workload passed, trace intact.
  kFailed,       ///< The kernel ran to its end (or a fault/panic) and reported a failure.
  kTimeout,      ///< Killed after BootOptions::timeout.
  kBadExit,      ///< QEMU exited without the protocol's end (crash, triple fault, no device).
  kLaunchError,  ///< QEMU could not be started.
};
const char* to_string(BootStatus s) noexcept;

struct BootWorkload {
  std::string name;
  bool passed = false;
  std::string reason;
};

/// The IPI-BENCH line of a kernel booted with lockstep.ipi_bench (serial_protocol.hpp): medians
/// in the kernel's cycle_counter() ticks, `hz` of them per second.
struct BootIpiBench {
  bool seen = false;
  bool passed = false;  ///< The figures parsed (all positive); otherwise `reason` says why.
  std::string reason;
  std::uint64_t round_trip = 0, self = 0, samples = 0, hz = 0;
  double ratio() const noexcept { return self != 0 ? static_cast<double>(round_trip) / static_cast<double>(self) : 0; }
};

struct BootCpu {
  std::uint32_t id = 0;
  std::uint64_t hw_id = 0;
  std::string state;  ///< online, failed, disabled, ... (core::cpu_state_name or "disabled")
};

struct BootResult {
  BootStatus status = BootStatus::kLaunchError;
  std::string reason;                 ///< One line: why it did not pass, or "ok".
  std::vector<std::string> command;   ///< The QEMU command line that ran.
  int exit_code = -1;                 ///< QEMU's exit status (-1 if killed or not started).
  std::string arch;
  std::uint32_t platform_cpus = 0, online = 0, enabled = 0;
  std::vector<BootCpu> cpus;
  std::vector<BootWorkload> workloads;
  BootIpiBench ipi_bench;             ///< Run instead of the workloads (lockstep.ipi_bench).
  std::string last_stage;             ///< Last STAGE line: where the kernel stopped.
  bool end_seen = false, end_passed = false;
  std::vector<std::string> problems;  ///< FAULT, PANIC, ERROR and WARNING lines.
  std::string report;                 ///< The core's report (between REPORT BEGIN/END).
  std::vector<std::vector<core::TraceRecord>> trace;  ///< Decoded records per CPU.
  std::vector<std::uint64_t> trace_lost;
  bool trace_seen = false;
  std::string trace_error;            ///< Empty if every section decoded and its CRC matched.
  std::string output;                 ///< Serial output (bounded by max_output).
  std::string qemu_stderr;            ///< QEMU's own messages (bounded).
  double seconds = 0;                 ///< QEMU start to exit.
  double seconds_to_online = -1;      ///< QEMU start to the ONLINE line (all CPUs started).

  bool passed() const noexcept { return status == BootStatus::kPassed; }
  const BootWorkload* workload(std::string_view name) const noexcept;
};

/// The QEMU command line for `options` (without running it).
std::vector<std::string> qemu_command(const BootOptions& options);

/// Runs QEMU and parses its serial console. Never throws for a failed run; blocks up to the
/// timeout (plus the time to kill QEMU).
BootResult run_boot(const BootOptions& options);

/// The machines QEMU (7.2) cannot start as asked, known before starting it: why, or "". run_boot
/// refuses them with this reason (kLaunchError).
std::string boot_limits_problem(const BootOptions& options);
/// GICv2's CPU interfaces (ARM IHI 0048B, 1.4.1) and the PC machine's xAPIC CPU count.
inline constexpr unsigned kGicV2MaxCpus = 8;
inline constexpr unsigned kPcMaxCpus = 255;
/// Above kPcMaxCpus, x86_64 under KVM runs on q35 with a split irqchip and an Intel IOMMU with
/// x2APIC interrupt remapping (eim), which QEMU requires for APIC ids past 255; QEMU 7.2's q35
/// starts at most this many CPUs (its own error names the figure). TCG has no x2APIC.
inline constexpr unsigned kQ35MaxCpus = 288;

/// Incremental parser of the serial protocol; run_boot() feeds it, tests feed saved logs.
class SerialParser {
 public:
  explicit SerialParser(BootResult& result) : r_(result) {}
  /// One line without its newline.
  void line(std::string_view text);
  /// Every line of a complete log (the last may lack its newline).
  void lines(std::string_view text);
  /// Judges the run once output ended; `exit_code` is QEMU's status (-1 if killed).
  void finish(int exit_code, bool timed_out);

 private:
  void trace_line(std::string_view rest);    ///< After "TRACE".
  void trace_data(std::string_view base64);  ///< "TRACE D".
  void ipi_bench_line(std::string_view rest);  ///< After "IPI-BENCH".
  void status_line(std::string_view kind, std::string_view rest, std::string_view text);

  BootResult& r_;
  bool in_report_ = false;
  int trace_cpu_ = -1;
  std::uint64_t trace_expected_ = 0;
  std::uint32_t crc_ = 0;
  bool trace_ended_ = false;
};

/// Parses a complete serial log (as if QEMU had exited with `exit_code`).
BootResult parse_serial_log(std::string_view text, int exit_code);

/// True if /dev/kvm can be opened read-write; otherwise false and `why` says why.
bool kvm_usable(std::string* why = nullptr);

/// KERNEL_DEBUG=1 (or any value but 0/empty) in the environment asks for verbose kernels.
bool kernel_debug_from_environment() noexcept;

}  // namespace lockstep::sim
