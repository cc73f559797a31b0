// QEMU runner and serial-protocol parser for the bare-metal kernels.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/sim/boot.hpp>

extern char** environ;

namespace lockstep::sim {
namespace {

namespace proto = baremetal::protocol;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxStderr = 1u << 20;
constexpr std::size_t kMaxReport = 4u << 20;
constexpr std::size_t kMaxTraceRecords = 16u << 20;  // Decoded records kept in all.

bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

std::string_view next_word(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  const std::size_t end = s.find(' ');
  std::string_view w = s.substr(0, end);
  s.remove_prefix(end == std::string_view::npos ? s.size() : end);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return w;
}

template <class T>
bool parse_int(std::string_view text, T& out, int base = 10) {
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && p == text.data() + text.size();
}

/// Value of "key=value" in `s` (space-separated words), or empty.
std::string_view field(std::string_view s, std::string_view key) {
  while (!s.empty()) {
    std::string_view w = next_word(s);
    if (w.size() > key.size() && w.substr(0, key.size()) == key && w[key.size()] == '=') return w.substr(key.size() + 1);
  }
  return {};
}

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

const char* to_string(BootStatus s) noexcept {
  switch (s) {
    case BootStatus::kPassed: return "passed";
    case BootStatus::kFailed: return "failed";
    case BootStatus::kTimeout: return "timeout";
    case BootStatus::kBadExit: return "bad-exit";
    case BootStatus::kLaunchError: return "launch-error";
  }
  return "?";
}

const BootWorkload* BootResult::workload(std::string_view name) const noexcept {
  for (const BootWorkload& w : workloads)
    if (w.name == name) return &w;
  return nullptr;
}

void SerialParser::line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  std::string_view s = text;
  if (!consume(s, proto::kLinePrefix)) {
    if (in_report_ && r_.report.size() + text.size() < kMaxReport) {
      r_.report.append(text);
      r_.report.push_back('\n');
    }
    return;
  }
  const std::string_view kind = next_word(s);
  if (kind == proto::kTrace) {
    trace_line(s);
  } else {
    status_line(kind, s, text);
  }
}

void SerialParser::trace_data(std::string_view base64) {
  if (trace_cpu_ < 0) {
    if (r_.trace_error.empty()) r_.trace_error = "trace data outside a CPU section";
    return;
  }
  unsigned char bytes[proto::kTraceRecordsPerLine * sizeof(core::TraceRecord)];
  const long n = proto::base64_decode(base64.data(), base64.size(), bytes, sizeof bytes);
  if (n < 0 || n % static_cast<long>(sizeof(core::TraceRecord)) != 0) {
    if (r_.trace_error.empty()) r_.trace_error = "malformed trace line for cpu " + std::to_string(trace_cpu_);
    return;
  }
  crc_ = proto::crc32_update(crc_, bytes, static_cast<std::size_t>(n));
  auto& records = r_.trace[static_cast<std::size_t>(trace_cpu_)];
  for (long off = 0; off < n; off += sizeof(core::TraceRecord)) {
    core::TraceRecord rec;
    std::memcpy(&rec, bytes + off, sizeof rec);
    if (records.size() < kMaxTraceRecords) records.push_back(rec);
  }
}

void SerialParser::trace_line(std::string_view s) {
  const std::string_view what = next_word(s);
  if (what == proto::kTraceData) {
    trace_data(s);
  } else if (what == proto::kBegin) {
    r_.trace_seen = true;
    std::uint32_t cpus = 0, format = 0;
    if (!parse_int(field(s, "cpus"), cpus) || cpus > 4096) {
      r_.trace_error = "bad TRACE BEGIN line";
      return;
    }
    if (parse_int(field(s, "format"), format) && format != core::kTraceFormatVersion)
      r_.trace_error =
          "trace format " + std::to_string(format) + ", this build reads " + std::to_string(core::kTraceFormatVersion);
    r_.trace.assign(cpus, {});
    r_.trace_lost.assign(cpus, 0);
  } else if (what == proto::kCpu) {
    std::uint32_t cpu = 0;
    std::uint64_t lost = 0;
    if (!parse_int(next_word(s), cpu) || cpu >= r_.trace.size() || !parse_int(field(s, "records"), trace_expected_) ||
        !parse_int(field(s, "lost"), lost)) {
      if (r_.trace_error.empty()) r_.trace_error = "bad TRACE CPU line";
      trace_cpu_ = -1;
      return;
    }
    trace_cpu_ = static_cast<int>(cpu);
    r_.trace_lost[cpu] = lost;
    crc_ = 0;
  } else if (what == proto::kTraceCpuEnd) {
    std::uint32_t cpu = 0, crc = 0;
    const bool ok = parse_int(next_word(s), cpu) && parse_int(field(s, "crc32"), crc, 16);
    if (r_.trace_error.empty()) {
      if (!ok || static_cast<int>(cpu) != trace_cpu_) {
        r_.trace_error = "bad TRACE CPU-END line";
      } else if (crc != crc_) {
        r_.trace_error = "trace checksum mismatch for cpu " + std::to_string(cpu);
      } else if (r_.trace[cpu].size() != trace_expected_) {
        r_.trace_error = "cpu " + std::to_string(cpu) + ": " + std::to_string(r_.trace[cpu].size()) +
                         " trace records, " + std::to_string(trace_expected_) + " announced";
      }
    }
    trace_cpu_ = -1;
  } else if (what == proto::kEnd) {
    trace_ended_ = true;
  }
}

void SerialParser::ipi_bench_line(std::string_view s) {
  BootIpiBench& b = r_.ipi_bench;
  b.seen = true;
  if (consume(s, proto::kFail)) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    b.reason = std::string(s);
    return;
  }
  b.passed = parse_int(field(s, "round-trip"), b.round_trip) && parse_int(field(s, "self"), b.self) &&
             parse_int(field(s, "samples"), b.samples) && parse_int(field(s, "hz"), b.hz) && b.round_trip > 0 &&
             b.self > 0 && b.samples > 0 && b.hz > 0;
  if (!b.passed) b.reason = "malformed IPI-BENCH line: " + std::string(s);
}

void SerialParser::status_line(std::string_view kind, std::string_view s, std::string_view text) {
  if (kind == proto::kResult) {
    BootWorkload w;
    w.name = std::string(next_word(s));
    w.passed = next_word(s) == proto::kPass;
    w.reason = std::string(s);
    r_.workloads.push_back(std::move(w));
  } else if (kind == proto::kIpiBench) {
    ipi_bench_line(s);
  } else if (kind == proto::kStage) {
    r_.last_stage = std::string(s);
  } else if (kind == proto::kBoot) {
    r_.arch = std::string(field(s, "arch"));
    (void)parse_int(field(s, "cpus"), r_.platform_cpus);
  } else if (kind == proto::kCpu) {
    BootCpu c;
    (void)parse_int(next_word(s), c.id);
    (void)parse_int(field(s, "hw"), c.hw_id, 16);
    next_word(s);
    c.state = std::string(next_word(s));
    r_.cpus.push_back(std::move(c));
  } else if (kind == proto::kOnline) {
    (void)parse_int(next_word(s), r_.online);
    (void)parse_int(next_word(s), r_.enabled);
  } else if (kind == proto::kReport) {
    in_report_ = next_word(s) == proto::kBegin;
  } else if (kind == proto::kEnd) {
    r_.end_seen = true;
    r_.end_passed = next_word(s) == proto::kPass;
  } else if (std::find(std::begin(proto::kProblemWords), std::end(proto::kProblemWords), kind) !=
             std::end(proto::kProblemWords)) {
    if (r_.problems.size() < 100) r_.problems.emplace_back(text.substr(std::string_view(proto::kLinePrefix).size()));
  }
}

void SerialParser::finish(int exit_code, bool timed_out) {
  r_.exit_code = exit_code;
  auto first_problem = [&](std::string_view kind) -> const std::string* {
    for (const std::string& p : r_.problems)
      if (p.substr(0, kind.size()) == kind) return &p;
    return nullptr;
  };
  const std::string where = r_.last_stage.empty() ? "before the first stage" : "in stage '" + r_.last_stage + "'";
  if (timed_out) {
    r_.status = BootStatus::kTimeout;
    r_.reason = "timed out " + where;
    return;
  }
  if (const std::string* p = first_problem(proto::kFault); p != nullptr) {
    r_.status = BootStatus::kFailed;
    r_.reason = *p + " (" + where + ")";
    return;
  }
  if (const std::string* p = first_problem(proto::kPanic); p != nullptr) {
    r_.status = BootStatus::kFailed;
    r_.reason = *p + " (" + where + ")";
    return;
  }
  if (const std::string* p = first_problem(proto::kLockup); p != nullptr) {
    r_.status = BootStatus::kFailed;
    r_.reason = p->substr(std::string_view(proto::kLockup).size() + 1) + " (" + where + ")";
    return;
  }
  if (!r_.end_seen) {
    r_.status = BootStatus::kBadExit;
    r_.reason = "QEMU exited with status " + std::to_string(exit_code) + " without the kernel's END line, " + where;
    return;
  }
  const bool exit_says_pass = exit_code == proto::kExitPass;
  if (exit_code != proto::kExitPass && exit_code != proto::kExitFail) {
    r_.status = BootStatus::kBadExit;
    r_.reason = "unexpected exit status " + std::to_string(exit_code);
    return;
  }
  for (const BootWorkload& w : r_.workloads) {
    if (!w.passed) {
      r_.status = BootStatus::kFailed;
      r_.reason = "workload " + w.name + " failed: " + w.reason;
      return;
    }
  }
  if (r_.ipi_bench.seen && !r_.ipi_bench.passed) {
    r_.status = BootStatus::kFailed;
    r_.reason = "ipi-bench failed: " + r_.ipi_bench.reason;
    return;
  }
  if (r_.workloads.empty() && !r_.ipi_bench.seen) {
    r_.status = BootStatus::kFailed;
    r_.reason = "no workload results";
    return;
  }
  if (!r_.trace_error.empty() || (r_.trace_seen && !trace_ended_)) {
    r_.status = BootStatus::kFailed;
    r_.reason = r_.trace_error.empty() ? "trace dump incomplete" : r_.trace_error;
    return;
  }
  if (!exit_says_pass || !r_.end_passed) {
    r_.status = BootStatus::kFailed;
    r_.reason = "the kernel reported failure (exit status " + std::to_string(exit_code) + ")";
    return;
  }
  r_.status = BootStatus::kPassed;
  r_.reason = "ok";
}

void SerialParser::lines(std::string_view text) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    line(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

BootResult parse_serial_log(std::string_view text, int exit_code) {
  BootResult r;
  SerialParser p(r);
  p.lines(text);
  p.finish(exit_code, false);
  return r;
}

std::vector<std::string> qemu_command(const BootOptions& o) {
  std::vector<std::string> c;
  const bool arm64 = o.arch == "arm64";
  c.push_back(o.qemu.empty() ? (arm64 ? "qemu-system-aarch64" : "qemu-system-" + o.arch) : o.qemu);
  c.insert(c.end(), {"-kernel", o.kernel, "-smp", std::to_string(o.cpus == 0 ? 1 : o.cpus), "-m", "256M"});
  const bool kvm = o.accel == "kvm";
  if (arm64) {
    // virt with the chosen GIC; the kernel reports pass/fail through semihosting SYS_EXIT.
    c.insert(c.end(), {"-M", "virt,gic-version=" + std::to_string(o.gic) + (o.el2 ? ",virtualization=on" : ""), "-cpu",
                       o.cpu_model.empty() ? "cortex-a72" : o.cpu_model});
    if (o.semihosting) c.push_back("-semihosting");
  } else {
    c.insert(c.end(), {"-accel", kvm ? "kvm" : "tcg"});
    if (kvm && o.cpus > kPcMaxCpus)
      c.insert(c.end(), {"-M", "q35,kernel-irqchip=split", "-device", "intel-iommu,intremap=on,eim=on"});
    c.insert(c.end(), {"-cpu", !o.cpu_model.empty() ? o.cpu_model : kvm ? "qemu64,+x2apic" : "qemu64"});
    c.insert(c.end(), {"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"});
  }
  // Serial on stdout only; a triple fault ends QEMU instead of rebooting into a loop.
  c.insert(c.end(), {"-display", "none", "-serial", "stdio", "-monitor", "none", "-net", "none", "-no-reboot"});
  std::string append;
  for (const std::string& w : o.kernel_args) append += (append.empty() ? "" : " ") + w;
  if (o.verbose) append += std::string(append.empty() ? "" : " ") + "lockstep.verbose";
  if (!append.empty()) c.insert(c.end(), {"-append", append});
  // The gdbstub on loopback only; -S holds every CPU until gdb says continue.
  if (o.gdb_port != 0) c.insert(c.end(), {"-gdb", "tcp:127.0.0.1:" + std::to_string(o.gdb_port), "-S"});
  c.insert(c.end(), o.extra_qemu_args.begin(), o.extra_qemu_args.end());
  return c;
}

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

const char* gdb_for(const std::string& arch) noexcept { return arch == "arm64" ? "gdb-multiarch" : "gdb"; }

const char* kernel_entry_symbol(const std::string& arch) noexcept {
  return arch == "arm64" ? "kernel_main_arm64" : "kernel_main_x86";
}

std::string boot_limits_problem(const BootOptions& o) {
  if (o.arch == "arm64" && o.gic == 2 && o.cpus > kGicV2MaxCpus)
    return "GICv2 serves at most " + std::to_string(kGicV2MaxCpus) + " CPUs (ARM IHI 0048B, 1.4.1), " +
           std::to_string(o.cpus) + " asked: use --gic 3";
  if (o.arch == "x86_64" && o.cpus > kPcMaxCpus && o.accel != "kvm")
    return "QEMU starts at most " + std::to_string(kPcMaxCpus) + " x86_64 CPUs with xAPIC ids; more need x2APIC, " +
           "which QEMU 7.2's TCG lacks: use --accel kvm (" + std::to_string(o.cpus) + " asked)";
  if (o.arch == "x86_64" && o.cpus > kQ35MaxCpus)
    return "QEMU 7.2's q35 machine starts at most " + std::to_string(kQ35MaxCpus) + " CPUs, " +
           std::to_string(o.cpus) + " asked";
  return {};
}

namespace {
/// QEMU's own words on why it stopped: its stderr on one line, bounded.
std::string qemu_said(const std::string& err) {
  constexpr std::size_t kShown = 600;
  std::string line;
  for (const char c : err.substr(0, kShown)) line += (c == '\n' || c == '\r') ? ' ' : c;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return err.size() > kShown ? line + " ..." : line;
}
}  // namespace

namespace {

/// QEMU started with its stdout and stderr on pipes (the ends this process reads).
struct QemuProcess {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
};

/// Starts `command`; on failure says why in `why` and returns a process with pid -1.
QemuProcess spawn_qemu(std::vector<std::string>& command, std::string& why) {
  QemuProcess q;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    why = std::string("pipe: ") + std::strerror(errno);
    return q;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> argv;
  for (std::string& a : command) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawnp(&q.pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    why = "cannot start " + command[0] + ": " + std::strerror(rc);
    q.pid = -1;
    return q;
  }
  q.out = out[0];
  q.err = err[0];
  return q;
}

/// Feeds QEMU's serial output to the parser line by line as it arrives (and to `on_line`).
class LineFeed {
 public:
  LineFeed(const BootOptions& o, BootResult& r, SerialParser& parser, Clock::time_point start)
      : o_(o), r_(r), parser_(parser), start_(start) {}

  void add(const char* data, std::size_t n) {
    r_.output.append(data, n);
    pending_.append(data, n);
    std::size_t begin = 0;
    for (std::size_t nl; (nl = pending_.find('\n', begin)) != std::string::npos; begin = nl + 1)
      deliver(std::string_view(pending_.data() + begin, nl - begin));
    pending_.erase(0, begin);
  }
  /// The output ended: a last line without its newline counts too.
  void flush() {
    if (!pending_.empty()) deliver(pending_);
    pending_.clear();
  }

 private:
  void deliver(std::string_view line) {
    if (r_.seconds_to_online < 0 &&
        line.find(std::string(proto::kLinePrefix) + proto::kOnline + " ") != std::string_view::npos)
      r_.seconds_to_online = since(start_);
    parser_.line(line);
    if (o_.on_line) o_.on_line(line);
  }

  const BootOptions& o_;
  BootResult& r_;
  SerialParser& parser_;
  Clock::time_point start_;
  std::string pending_;
};

/// How reading QEMU's output ended.
struct PumpEnd {
  bool timed_out = false;
  bool too_much = false;
};

/// Reads stdout (into `feed`, at most o.max_output bytes) and stderr (kept bounded) until both
/// close or the deadline passes.
PumpEnd pump(const BootOptions& o, const QemuProcess& q, BootResult& r, LineFeed& feed, Clock::time_point start) {
  PumpEnd end;
  bool out_open = true, err_open = true;
  const auto deadline = start + o.timeout;
  char buf[65536];
  while (out_open || err_open) {
    const auto now = Clock::now();
    if (now >= deadline) {
      end.timed_out = true;
      return end;
    }
    const int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    pollfd fds[2] = {{out_open ? q.out : -1, POLLIN, 0}, {err_open ? q.err : -1, POLLIN, 0}};
    const int n = poll(fds, 2, wait_ms);
    if (n < 0 && errno != EINTR) return end;
    if (n <= 0) continue;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t got = read(q.out, buf, sizeof buf);
      if (got <= 0) {
        out_open = false;
      } else if (r.output.size() + static_cast<std::size_t>(got) > o.max_output) {
        end.too_much = true;
        return end;
      } else {
        feed.add(buf, static_cast<std::size_t>(got));
      }
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t got = read(q.err, buf, sizeof buf);
      if (got <= 0) {
        err_open = false;
      } else if (r.qemu_stderr.size() < kMaxStderr) {
        r.qemu_stderr.append(buf, std::min(static_cast<std::size_t>(got), kMaxStderr - r.qemu_stderr.size()));
      }
    }
  }
  return end;
}

}  // namespace

BootResult run_boot(const BootOptions& o) {
  BootResult r;
  r.command = qemu_command(o);
  if (const std::string problem = boot_limits_problem(o); !problem.empty()) {
    r.status = BootStatus::kLaunchError;
    r.reason = problem;
    return r;
  }
  const auto start = Clock::now();
  const QemuProcess q = spawn_qemu(r.command, r.reason);
  if (q.pid < 0) return r;
  if (o.on_started) o.on_started(q.pid);
  SerialParser parser(r);
  LineFeed feed(o, r, parser, start);
  const PumpEnd end = pump(o, q, r, feed, start);
  if (end.timed_out || end.too_much) kill(q.pid, SIGKILL);
  close(q.out);
  close(q.err);
  int status = 0;
  while (waitpid(q.pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.seconds = since(start);
  feed.flush();
  int exit_code = (!end.timed_out && !end.too_much && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  // Without semihosting the kernel cannot set QEMU's status (PSCI SYSTEM_OFF exits with 0): its
  // END line is the verdict, as the status would have been.
  if (o.arch == "arm64" && !o.semihosting && exit_code == 0 && r.end_seen)
    exit_code = r.end_passed ? proto::kExitPass : proto::kExitFail;
  parser.finish(exit_code, end.timed_out);
  if (r.status == BootStatus::kBadExit && !r.qemu_stderr.empty())
    r.reason += "; QEMU said: " + qemu_said(r.qemu_stderr);
  if (end.too_much) {
    r.status = BootStatus::kFailed;
    r.reason = "serial output exceeded " + std::to_string(o.max_output) + " bytes; QEMU killed in stage '" + r.last_stage + "'";
  }
  return r;
}

bool kvm_usable(std::string* why) {
  const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (why != nullptr) *why = std::string("/dev/kvm: ") + std::strerror(errno);
    return false;
  }
  close(fd);
  return true;
}

bool kernel_debug_from_environment() noexcept {
  const char* v = std::getenv("KERNEL_DEBUG");
  return v != nullptr && v[0] != '\0' && !(v[0] == '0' && v[1] == '\0');
}

}  // namespace lockstep::sim
