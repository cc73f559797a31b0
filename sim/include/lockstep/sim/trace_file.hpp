#pragma once
// The trace file (docs/TRACE_FORMAT.md): a header with the run's full configuration and the
// build id, one section of core::TraceRecord per CPU, the run's outcome, and a checksum.
// The writer streams; the reader validates every length and count before it trusts it.

#include <cstdint>
#include <cstdio>
#include <lockstep/core/trace.hpp>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/checksum.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lockstep::sim {

/// "LSTRACE" and a NUL: the first eight bytes of every trace file.
inline constexpr char kTraceMagic[8] = {'L', 'S', 'T', 'R', 'A', 'C', 'E', '\0'};
/// Version of the file layout around the records (the records carry core::kTraceFormatVersion).
inline constexpr std::uint32_t kTraceFileVersion = 4;
/// The oldest version this build still reads (2: no memory model in the header, so "sc").
inline constexpr std::uint32_t kTraceOldestFileVersion = 2;
/// Bounds the reader enforces (a longer string or more CPUs is a corrupt file).
inline constexpr std::uint32_t kTraceMaxString = 4096;
inline constexpr std::uint32_t kTraceMaxCpus = 1024;
/// A schedule (the decisions of a --schedule run) may be longer than the other strings.
inline constexpr std::uint32_t kTraceMaxSchedule = 16u << 20;

/// Everything needed to re-run the recorded run.
struct TraceConfig {
  std::string build_id;
  std::string scenario;
  std::string strategy;  ///< emu::to_string(Strategy)
  std::string faults;    ///< emu::format_faults, empty for none
  std::string engine;    ///< "det" or "parallel"
  std::uint32_t cpus = 0;
  std::uint64_t seed = 0;
  std::uint32_t pct_depth = 0;
  std::uint64_t pct_horizon = 0;
  std::uint64_t tick_period = 0;
  std::uint64_t ring_capacity = 0;  ///< Trace records kept per CPU.
  std::uint64_t max_steps = 0;      ///< Liveness guards of the run.
  std::uint64_t max_cycles = 0;
  std::string schedule;             ///< strategy "schedule": emu::format_schedule text.
  std::string memory_model = "sc";  ///< emu::to_string(MemoryModel); version 2 files: "sc".
  bool races = false;               ///< The race detector was on; files before version 4: off.
};

/// How the recorded run ended.
struct TraceOutcome {
  bool passed = false;
  std::string reason;
  std::uint64_t event_hash = 0;  ///< The deterministic engine's event hash.
  std::uint64_t steps = 0;
  std::uint64_t virtual_time = 0;
};

/// A trace file read back.
struct TraceData {
  std::uint32_t file_version = 0;
  std::uint32_t record_version = 0;
  TraceConfig config;
  std::vector<std::vector<core::TraceRecord>> cpus;  ///< Per CPU, oldest first.
  std::vector<std::uint64_t> lost;                   ///< Per CPU.
  TraceOutcome outcome;
};

/// Streams a trace file: header, then each CPU's section in CPU order, then finish().
/// Nothing is visible at `path` until finish() succeeds. Throws InputError on I/O errors.
class TraceWriter {
 public:
  TraceWriter(const std::string& path, const TraceConfig& config);
  /// Writes CPU `cpu`'s section. CPUs must come in order 0, 1, ... config.cpus - 1.
  void write_cpu(std::uint32_t cpu, std::span<const core::TraceRecord> records, std::uint64_t lost);
  /// Writes the outcome and checksum and publishes the file.
  void finish(const TraceOutcome& outcome);

 private:
  void put(const void* data, std::size_t len);
  void put_u32(std::uint32_t v) { put(&v, sizeof v); }
  void put_u64(std::uint64_t v) { put(&v, sizeof v); }
  void put_string(const std::string& s, std::uint32_t max = kTraceMaxString);

  AtomicFile file_;
  Checksum sum_;
  std::uint32_t cpus_;
  std::uint32_t next_cpu_ = 0;
};

/// Reads and validates a trace from an open stream (a file, or fmemopen() for the fuzzer).
/// Throws InputError with a one-line message naming the problem.
TraceData read_trace(std::FILE* in, const std::string& name);

/// Reads and validates the trace file at `path`.
TraceData read_trace_file(const std::string& path);

}  // namespace lockstep::sim
