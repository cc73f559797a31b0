#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <lockstep/sim/trace_file.hpp>

namespace lockstep::sim {
namespace {

/// Reads with bounds: every read is checked against the bytes the stream still holds.
class Reader {
 public:
  Reader(std::FILE* in, const std::string& name) : in_(in), name_(name) {
    if (std::fseek(in_, 0, SEEK_END) != 0) fail("cannot seek (not a regular file?)");
    const long size = std::ftell(in_);
    if (size < 0 || std::fseek(in_, 0, SEEK_SET) != 0) fail("cannot determine its size");
    size_ = static_cast<std::uint64_t>(size);
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("{}: {}", name_, what));
  }

  std::uint64_t remaining() const noexcept { return size_ - offset_; }
  std::uint64_t offset() const noexcept { return offset_; }

  void bytes(void* out, std::uint64_t len, const char* what) {
    if (len > remaining())
      fail(fmt::format("truncated: {} needs {} bytes at offset {}, the file has {} left", what, len, offset_, remaining()));
    if (len != 0 && std::fread(out, 1, len, in_) != len) fail(fmt::format("read error: {}", std::strerror(errno)));
    sum_.update(out, len);
    offset_ += len;
  }
  std::uint32_t u32(const char* what) {
    std::uint32_t v;
    bytes(&v, sizeof v, what);
    return v;
  }
  std::uint64_t u64(const char* what) {
    std::uint64_t v;
    bytes(&v, sizeof v, what);
    return v;
  }
  std::string string(const char* what, std::uint32_t max = kTraceMaxString) {
    const std::uint32_t len = u32(what);
    if (len > max) fail(fmt::format("{} is {} bytes long (at most {} allowed): corrupt header", what, len, max));
    if (len > remaining()) fail(fmt::format("truncated: {} needs {} bytes, the file has {} left", what, len, remaining()));
    std::string s(len, '\0');
    bytes(s.data(), len, what);
    return s;
  }
  std::uint64_t checksum() const noexcept { return sum_.value(); }

 private:
  std::FILE* in_;
  const std::string& name_;
  std::uint64_t size_ = 0;
  std::uint64_t offset_ = 0;
  Checksum sum_;
};

void check_record(Reader& r, const core::TraceRecord& rec, std::uint32_t cpu, std::uint64_t index) {
  const auto type = static_cast<std::uint8_t>(rec.type);
  if (type == 0 || type > core::kTraceTypeMax)
    r.fail(fmt::format("CPU {} record {} has unknown type {}", cpu, index, type));
  if (rec.cpu != cpu) r.fail(fmt::format("CPU {} record {} claims CPU {}", cpu, index, rec.cpu));
}

}  // namespace

TraceData read_trace(std::FILE* in, const std::string& name) {
  Reader r(in, name);
  TraceData t;
  char magic[sizeof kTraceMagic];
  if (r.remaining() < sizeof magic) r.fail("not a lockstep trace (too short for the header)");
  r.bytes(magic, sizeof magic, "magic");
  if (std::memcmp(magic, kTraceMagic, sizeof magic) != 0) r.fail("not a lockstep trace (wrong magic)");
  t.file_version = r.u32("file version");
  if (t.file_version < kTraceOldestFileVersion || t.file_version > kTraceFileVersion)
    r.fail(fmt::format("unknown trace file version {} (this build reads versions {} to {})", t.file_version,
                       kTraceOldestFileVersion, kTraceFileVersion));
  t.record_version = r.u32("record format version");
  if (t.record_version != core::kTraceFormatVersion)
    r.fail(fmt::format("unknown trace record format version {} (this build reads version {})", t.record_version,
                       core::kTraceFormatVersion));
  const std::uint32_t record_size = r.u32("record size");
  if (record_size != sizeof(core::TraceRecord))
    r.fail(fmt::format("record size {} (expected {})", record_size, sizeof(core::TraceRecord)));

  TraceConfig& c = t.config;
  c.build_id = r.string("build id");
  c.scenario = r.string("scenario name");
  c.strategy = r.string("strategy");
  c.faults = r.string("faults");
  c.engine = r.string("engine");
  c.cpus = r.u32("CPU count");
  if (c.cpus == 0 || c.cpus > kTraceMaxCpus) r.fail(fmt::format("CPU count {} out of range 1..{}", c.cpus, kTraceMaxCpus));
  c.seed = r.u64("seed");
  c.pct_depth = r.u32("PCT depth");
  c.pct_horizon = r.u64("PCT horizon");
  c.tick_period = r.u64("tick period");
  c.ring_capacity = r.u64("ring capacity");
  c.max_steps = r.u64("step limit");
  c.max_cycles = r.u64("cycle limit");
  c.schedule = r.string("schedule", kTraceMaxSchedule);
  c.memory_model = t.file_version >= 3 ? r.string("memory model") : "sc";
  if (t.file_version >= 4) {
    const std::uint32_t races = r.u32("race detector flag");
    if (races > 1) r.fail(fmt::format("race detector flag {} is neither 0 nor 1", races));
    c.races = races == 1;
  }

  t.cpus.resize(c.cpus);
  t.lost.resize(c.cpus);
  for (std::uint32_t cpu = 0; cpu < c.cpus; ++cpu) {
    const std::uint32_t id = r.u32("section CPU");
    if (id != cpu) r.fail(fmt::format("section {} is labelled CPU {}", cpu, id));
    if (r.u32("section reserved word") != 0) r.fail(fmt::format("section {} has a non-zero reserved word", cpu));
    const std::uint64_t count = r.u64("record count");
    t.lost[cpu] = r.u64("lost count");
    if (count > r.remaining() / sizeof(core::TraceRecord))
      r.fail(fmt::format("CPU {} claims {} records but only {} bytes remain (truncated or corrupt)", cpu, count,
                         r.remaining()));
    auto& records = t.cpus[cpu];
    records.resize(count);
    r.bytes(records.data(), count * sizeof(core::TraceRecord), "records");
    for (std::uint64_t i = 0; i < count; ++i) check_record(r, records[i], cpu, i);
  }
  const std::uint32_t passed = r.u32("outcome");
  if (passed > 1) r.fail(fmt::format("outcome flag {} is neither 0 nor 1", passed));
  t.outcome.passed = passed == 1;
  t.outcome.reason = r.string("outcome reason");
  t.outcome.event_hash = r.u64("event hash");
  t.outcome.steps = r.u64("step count");
  t.outcome.virtual_time = r.u64("virtual time");
  const std::uint64_t expected = r.checksum();
  std::uint64_t stored = 0;
  if (r.remaining() < sizeof stored) r.fail("truncated: the checksum is missing");
  std::uint64_t raw;
  r.bytes(&raw, sizeof raw, "checksum");
  stored = raw;
  if (stored != expected)
    r.fail(fmt::format("bad checksum (stored {:016x}, computed {:016x}): the file was modified or damaged", stored, expected));
  if (r.remaining() != 0) r.fail(fmt::format("{} unexpected bytes after the checksum", r.remaining()));
  return t;
}

TraceData read_trace_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw InputError(fmt::format("cannot open trace '{}': {}", path, std::strerror(errno)));
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  return read_trace(f, path);
}

}  // namespace lockstep::sim
