// The shared entry into the core and the serial protocol's writer.

#include <lockstep/baremetal/runtime.hpp>
#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/core/cpu.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/report.hpp>
#include <lockstep/core/trace.hpp>
#include <lockstep/core/workload.hpp>
#include <lockstep/hal/hal.hpp>

namespace lockstep::baremetal {
namespace {

alignas(64) std::byte g_cpu_stacks[kMaxKernelCpus * kCpuStackSize];
alignas(64) std::byte g_task_stacks[kKernelTasks * kTaskStackSize];
core::Task g_tasks[kKernelTasks];
core::TraceRecord g_trace[kMaxTraceRecords];
hal::Atomic<std::uint32_t> g_ending{0};

bool same(const char* a, const char* b) noexcept {
  while (*a && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

template <class... Args>
void line(const char* word, const char* fmt, const Args&... args) noexcept {
  protocol_line(word, fmt, args...);
}

/// Reasons go on one line: newlines become spaces.
void sanitize(char* text) noexcept {
  for (; *text; ++text)
    if (*text == '\n' || *text == '\r') *text = ' ';
}

void dump_trace() noexcept {
  const hal::CpuId cpus = core::cpu_count();
  line(protocol::kTrace, "{} cpus={} format={}", protocol::kBegin, cpus, core::kTraceFormatVersion);
  for (hal::CpuId c = 0; c < cpus; ++c) {
    const core::TraceRing& ring = core::trace_ring(c);
    const std::uint64_t kept = ring.written < ring.slots.size() ? ring.written : ring.slots.size();
    line(protocol::kTrace, "{} {} records={} lost={}", protocol::kCpu, c, kept, ring.lost());
    std::uint32_t crc = 0;
    core::TraceRecord batch[protocol::kTraceRecordsPerLine];
    std::size_t n = 0;
    auto flush = [&] {
      if (n == 0) return;
      const auto* bytes = reinterpret_cast<const unsigned char*>(batch);
      const std::size_t len = n * sizeof(core::TraceRecord);
      crc = protocol::crc32_update(crc, bytes, len);
      char text[32 + 4 * (protocol::kTraceRecordsPerLine * sizeof(core::TraceRecord) + 2) / 3];
      std::size_t o = 0;  // "LOCKSTEP TRACE D ", without a formatter: the line is long.
      for (const char* part : {protocol::kLinePrefix, protocol::kTrace, " ", protocol::kTraceData, " "})
        for (const char* h = part; *h; ++h) text[o++] = *h;
      o += protocol::base64_encode(bytes, len, text + o);
      text[o++] = '\n';
      hal::console_write(text, o);
      n = 0;
    };
    ring.for_each([&](const core::TraceRecord& r) {
      batch[n++] = r;
      if (n == protocol::kTraceRecordsPerLine) flush();
    });
    flush();
    core::TextBuffer b;  // The checksum is 8 hex digits, zero-padded: put_unsigned, not format.
    b.put(protocol::kLinePrefix);
    b.put(protocol::kTrace);
    b.put(' ');
    b.put(protocol::kTraceCpuEnd);
    b.format(" {} crc32=", c);
    b.put_unsigned(crc, 16, 8);
    b.put('\n');
    b.flush();
  }
  line(protocol::kTrace, "{}", protocol::kEnd);
}

[[noreturn]] void end_run(bool passed) noexcept {
  line(protocol::kEnd, "{}", passed ? protocol::kPass : protocol::kFail);
  platform_exit(passed);
}

}  // namespace

void protocol_line(const char* text) noexcept {
  core::TextBuffer b;
  b.put(protocol::kLinePrefix);
  b.put(text);
  b.put('\n');
  b.flush();
}

void run_kernel(const KernelInfo& info) noexcept {
  const hal::Cycles hz = info.cycles_per_second;
  core::BootConfig config;
  config.cpu_stacks = g_cpu_stacks;
  config.cpu_stack_size = kCpuStackSize;
  config.tasks = g_tasks;
  config.task_stacks = g_task_stacks;
  config.task_stack_size = kTaskStackSize;
  const std::size_t records = info.trace_records < kMaxTraceRecords ? info.trace_records : kMaxTraceRecords;
  config.trace = std::span<core::TraceRecord>(g_trace, records);
  config.ap_timeout = hz;        // One second per handshake stage: slow emulators start APs late.
  config.tick_period = hz / 1000;  // 1 ms scheduler tick.
  config.check_timing = info.check_timing;
  // Two seconds on one lock or one call is a lockup on any machine we boot (Linux waits one).
  config.lockup_cycles = 2 * hz;
  config.on_lockup = [](const char* report) { line(protocol::kLockup, "{}", report); };

  line(protocol::kBoot, "arch={} protocol={} trace-format={} cpus={}", info.arch, protocol::kVersion,
       core::kTraceFormatVersion, hal::platform_cpus().size());
  line(protocol::kStage, "core-init");
  core::init(config);
  line(protocol::kStage, "boot-aps");
  core::boot_aps();
  hal::CpuId enabled = 0;
  for (hal::CpuId c = 0; c < core::cpu_count(); ++c) {
    const core::PerCpu& cpu = core::cpu_record(c);
    if (cpu.enabled) ++enabled;
    line(protocol::kCpu, "{} hw={:x} {}", c, cpu.hw_id,
         cpu.enabled ? core::cpu_state_name(cpu.cpu_state()) : "disabled");
  }
  line(protocol::kOnline, "{} {}", core::online_count(), enabled);

  bool passed = true;
  for (const core::Workload& w : core::builtin_workloads()) {
    if (info.only_workload != nullptr && !same(info.only_workload, w.name)) continue;
    line(protocol::kStage, "workload {}", w.name);
    core::WorkloadResult r = core::run_workload(w);
    sanitize(r.reason);
    line(protocol::kResult, "{} {} {}", w.name, r.passed ? protocol::kPass : protocol::kFail, r.reason);
    passed = passed && r.passed;
  }
  line(protocol::kStage, "report");
  line(protocol::kReport, "{}", protocol::kBegin);
  core::print_report();
  line(protocol::kReport, "{}", protocol::kEnd);
  line(protocol::kStage, "shutdown");
  core::shutdown_others();
  line(protocol::kStage, "trace-dump");
  dump_trace();
  g_ending.store(1, std::memory_order_release);
  end_run(passed);
}

void on_cpu_halt(hal::CpuId cpu) noexcept {
  if (g_ending.load(std::memory_order_acquire) != 0) return;
  const char* panic = core::panic_message();
  if (panic == nullptr && cpu != 0) return;  // A secondary CPU stopping (hotplug, shutdown).
  std::uint32_t expected = 0;
  if (!g_ending.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return;
  if (panic != nullptr) {
    line(protocol::kPanic, "{}", panic);
  } else {
    line(protocol::kPanic, "boot cpu halted");
  }
  end_run(false);
}

void fatal_fault() noexcept {
  std::uint32_t expected = 0;
  if (g_ending.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) end_run(false);
  platform_exit(false);
}

}  // namespace lockstep::baremetal
