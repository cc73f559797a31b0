// The host parser of the kernels' serial protocol, on logs written with the same encoder the
// kernels use (base64 + CRC-32 from serial_protocol.hpp).

#include <gtest/gtest.h>

#include <cstring>
#include <lockstep/baremetal/serial_protocol.hpp>
#include <lockstep/sim/boot.hpp>
#include <string>
#include <vector>

namespace {

namespace proto = lockstep::baremetal::protocol;
using lockstep::core::TraceRecord;
using lockstep::core::TraceType;
using lockstep::sim::BootStatus;

std::vector<TraceRecord> records(std::uint16_t cpu, int n) {
  std::vector<TraceRecord> v;
  for (int i = 0; i < n; ++i)
    v.push_back(TraceRecord{1000u + static_cast<std::uint64_t>(i), cpu, TraceType::kMarker, 0, static_cast<std::uint32_t>(i), 7});
  return v;
}

std::string trace_section(int cpu, const std::vector<TraceRecord>& recs, bool corrupt_crc = false) {
  std::string s = "LOCKSTEP TRACE CPU " + std::to_string(cpu) + " records=" + std::to_string(recs.size()) + " lost=0\n";
  std::uint32_t crc = 0;
  for (std::size_t i = 0; i < recs.size(); i += proto::kTraceRecordsPerLine) {
    const std::size_t n = std::min(proto::kTraceRecordsPerLine, recs.size() - i);
    const auto* bytes = reinterpret_cast<const unsigned char*>(&recs[i]);
    crc = proto::crc32_update(crc, bytes, n * sizeof(TraceRecord));
    char text[proto::base64_size(proto::kTraceRecordsPerLine * sizeof(TraceRecord))];
    const std::size_t len = proto::base64_encode(bytes, n * sizeof(TraceRecord), text);
    s += "LOCKSTEP TRACE D " + std::string(text, len) + "\n";
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", corrupt_crc ? crc ^ 1 : crc);
  return s + "LOCKSTEP TRACE CPU-END " + std::to_string(cpu) + " crc32=" + hex + "\n";
}

std::string good_log(bool corrupt_crc = false) {
  return "noise before the kernel\n"
         "LOCKSTEP BOOT arch=x86_64 protocol=1 trace-format=1 cpus=2\n"
         "LOCKSTEP STAGE core-init\n"
         "LOCKSTEP CPU 0 hw=0 online\nLOCKSTEP CPU 1 hw=1 online\nLOCKSTEP ONLINE 2 2\n"
         "LOCKSTEP STAGE workload boot\nLOCKSTEP RESULT boot PASS ok\n"
         "LOCKSTEP RESULT ipi-storm PASS ok\n"
         "LOCKSTEP REPORT BEGIN\n== per-CPU ==\nLOCKSTEP REPORT END\n"
         "LOCKSTEP TRACE BEGIN cpus=2 format=1\n" +
         trace_section(0, records(0, 7)) + trace_section(1, records(1, 3), corrupt_crc) +
         "LOCKSTEP TRACE END\nLOCKSTEP END PASS\n";
}

TEST(SerialProtocol, Base64RoundTripsEveryLength) {
  unsigned char in[10] = {0, 1, 2, 250, 251, 252, 253, 254, 255, 42};
  for (std::size_t len = 0; len <= sizeof in; ++len) {
    char text[32];
    const std::size_t n = proto::base64_encode(in, len, text);
    unsigned char out[16];
    ASSERT_EQ(proto::base64_decode(text, n, out, sizeof out), static_cast<long>(len));
    EXPECT_EQ(std::memcmp(in, out, len), 0);
  }
  unsigned char out[8];
  EXPECT_EQ(proto::base64_decode("abc", 3, out, sizeof out), -1);
  EXPECT_EQ(proto::base64_decode("a=bc", 4, out, sizeof out), -1);
  EXPECT_EQ(proto::base64_decode("ab!c", 4, out, sizeof out), -1);
  EXPECT_EQ(proto::base64_decode("AAAAAAAAAAAA", 12, out, sizeof out), -1);  // overflow
}

TEST(SerialProtocol, GoodLogPassesWithDecodedTrace) {
  const auto r = lockstep::sim::parse_serial_log(good_log(), proto::kExitPass);
  EXPECT_EQ(r.status, BootStatus::kPassed) << r.reason;
  EXPECT_EQ(r.arch, "x86_64");
  EXPECT_EQ(r.online, 2u);
  ASSERT_EQ(r.cpus.size(), 2u);
  ASSERT_EQ(r.workloads.size(), 2u);
  ASSERT_EQ(r.trace.size(), 2u);
  ASSERT_EQ(r.trace[0].size(), 7u);
  EXPECT_EQ(r.trace[0][6].a, 6u);
  EXPECT_EQ(r.trace[1][2].cpu, 1u);
  EXPECT_NE(r.report.find("per-CPU"), std::string::npos);
}

TEST(SerialProtocol, ChecksumMismatchFails) {
  const auto r = lockstep::sim::parse_serial_log(good_log(true), proto::kExitPass);
  EXPECT_EQ(r.status, BootStatus::kFailed);
  EXPECT_NE(r.reason.find("checksum"), std::string::npos) << r.reason;
}

TEST(SerialProtocol, FailedWorkloadFailsTheRun) {
  std::string log = good_log();
  log.replace(log.find("ipi-storm PASS ok"), 17, "ipi-storm FAIL call ran twice");
  const auto r = lockstep::sim::parse_serial_log(log, proto::kExitFail);
  EXPECT_EQ(r.status, BootStatus::kFailed);
  EXPECT_NE(r.reason.find("call ran twice"), std::string::npos) << r.reason;
}

TEST(SerialProtocol, MissingEndIsABadExitNamingTheStage) {
  std::string log = good_log();
  log.resize(log.find("LOCKSTEP RESULT ipi-storm"));
  const auto r = lockstep::sim::parse_serial_log(log, 0);
  EXPECT_EQ(r.status, BootStatus::kBadExit);
  EXPECT_NE(r.reason.find("workload boot"), std::string::npos) << r.reason;
}

TEST(SerialProtocol, FaultLineFails) {
  const auto r = lockstep::sim::parse_serial_log(
      "LOCKSTEP STAGE boot-aps\nLOCKSTEP FAULT cpu=1 vector=14 (#PF page fault)\nLOCKSTEP END FAIL\n", proto::kExitFail);
  EXPECT_EQ(r.status, BootStatus::kFailed);
  EXPECT_NE(r.reason.find("#PF"), std::string::npos) << r.reason;
}

TEST(SerialProtocol, LockupLineFailsAPassingRunWithItsReport) {
  std::string log = good_log();
  log.insert(log.find("LOCKSTEP RESULT ipi-storm"),
             "LOCKSTEP LOCKUP spinlock lockup suspected: cpu 1 (task 4) spun on lock 'ipi.table' held by cpu 0 for "
             "4000000000 cycles since cycle 77\n");
  const auto r = lockstep::sim::parse_serial_log(log, proto::kExitPass);
  EXPECT_EQ(r.status, BootStatus::kFailed);
  EXPECT_EQ(r.reason.rfind("spinlock lockup suspected: cpu 1 (task 4) spun on lock 'ipi.table' held by cpu 0", 0), 0u)
      << r.reason;
  EXPECT_NE(r.reason.find("in stage 'workload boot'"), std::string::npos) << r.reason;
}

/// A log of the IPI benchmark mode (lockstep.ipi_bench): the IPI-BENCH line instead of RESULT lines.
std::string ipi_bench_log(const std::string& line) {
  std::string log = good_log();
  const std::size_t from = log.find("LOCKSTEP STAGE workload boot");
  const std::size_t to = log.find("LOCKSTEP REPORT BEGIN");
  return log.replace(from, to - from, "LOCKSTEP STAGE ipi-bench\n" + line + "\n");
}

TEST(SerialProtocol, IpiBenchLineGivesTheFiguresAndPassesWithoutWorkloads) {
  const auto r = lockstep::sim::parse_serial_log(
      ipi_bench_log("LOCKSTEP IPI-BENCH round-trip=5120 self=1830 ratio=2.79 samples=1000 hz=62500000"),
      proto::kExitPass);
  EXPECT_EQ(r.status, BootStatus::kPassed) << r.reason;
  EXPECT_TRUE(r.workloads.empty());
  ASSERT_TRUE(r.ipi_bench.seen);
  EXPECT_TRUE(r.ipi_bench.passed) << r.ipi_bench.reason;
  EXPECT_EQ(r.ipi_bench.round_trip, 5120u);
  EXPECT_EQ(r.ipi_bench.self, 1830u);
  EXPECT_EQ(r.ipi_bench.samples, 1000u);
  EXPECT_EQ(r.ipi_bench.hz, 62500000u);
  EXPECT_NEAR(r.ipi_bench.ratio(), 2.80, 0.01);
}

TEST(SerialProtocol, IpiBenchFailureOrMalformedLineFailsTheRun) {
  const auto failed =
      lockstep::sim::parse_serial_log(ipi_bench_log("LOCKSTEP IPI-BENCH FAIL cpu 1 did not answer"), proto::kExitFail);
  EXPECT_EQ(failed.status, BootStatus::kFailed);
  EXPECT_NE(failed.reason.find("ipi-bench failed: cpu 1 did not answer"), std::string::npos) << failed.reason;
  const auto zero = lockstep::sim::parse_serial_log(
      ipi_bench_log("LOCKSTEP IPI-BENCH round-trip=0 self=1830 ratio=0.00 samples=1000 hz=1"), proto::kExitPass);
  EXPECT_EQ(zero.status, BootStatus::kFailed);
  EXPECT_NE(zero.reason.find("malformed IPI-BENCH line"), std::string::npos) << zero.reason;
}

TEST(BootLimits, MachinesQemuCannotStartAreNamedBeforeItRuns) {
  lockstep::sim::BootOptions o;
  o.arch = "arm64";
  o.gic = 2;
  o.cpus = 9;
  EXPECT_NE(lockstep::sim::boot_limits_problem(o).find("GICv2 serves at most 8 CPUs"), std::string::npos);
  o.gic = 3;
  EXPECT_EQ(lockstep::sim::boot_limits_problem(o), "");
  o.arch = "x86_64";
  o.cpus = 300;
  EXPECT_NE(lockstep::sim::boot_limits_problem(o).find("use --accel kvm"), std::string::npos);
  o.cpus = 255;
  EXPECT_EQ(lockstep::sim::boot_limits_problem(o), "");
  o.accel = "kvm";  // Past 255 on q35 with x2APIC interrupt remapping, up to q35's 288.
  o.cpus = 288;
  EXPECT_EQ(lockstep::sim::boot_limits_problem(o), "");
  o.cpus = 289;
  EXPECT_NE(lockstep::sim::boot_limits_problem(o).find("at most 288 CPUs"), std::string::npos);
  o.accel = "tcg";
  o.cpus = 300;
  const auto r = lockstep::sim::run_boot(o);  // Refused before any QEMU is started.
  EXPECT_EQ(r.status, BootStatus::kLaunchError);
  EXPECT_NE(r.reason.find("x2APIC"), std::string::npos) << r.reason;
}

TEST(SerialProtocol, ExitStatusMustAgreeWithEndLine) {
  EXPECT_EQ(lockstep::sim::parse_serial_log(good_log(), proto::kExitFail).status, BootStatus::kFailed);
  EXPECT_EQ(lockstep::sim::parse_serial_log(good_log(), 0).status, BootStatus::kBadExit);
}

TEST(SerialProtocol, TruncatedTraceSectionFails) {
  std::string log = good_log();
  const std::size_t d = log.find("LOCKSTEP TRACE D ");
  log.erase(d, log.find('\n', d) - d + 1);  // drop one data line
  const auto r = lockstep::sim::parse_serial_log(log, proto::kExitPass);
  EXPECT_EQ(r.status, BootStatus::kFailed);
}

TEST(SerialProtocol, QemuCommandCarriesTheOptions) {
  lockstep::sim::BootOptions o;
  o.kernel = "k.elf";
  o.cpus = 4;
  o.accel = "kvm";
  o.verbose = true;
  const auto c = lockstep::sim::qemu_command(o);
  const std::string joined = [&] {
    std::string s;
    for (const auto& a : c) s += a + " ";
    return s;
  }();
  EXPECT_NE(joined.find("-smp 4"), std::string::npos);
  EXPECT_NE(joined.find("-cpu qemu64,+x2apic"), std::string::npos);
  EXPECT_NE(joined.find("isa-debug-exit,iobase=0xf4,iosize=0x04"), std::string::npos);
  EXPECT_NE(joined.find("-append lockstep.verbose"), std::string::npos);
  EXPECT_EQ(joined.find("intel-iommu"), std::string::npos) << "q35 and the IOMMU only past 255 CPUs";
  o.cpus = 288;
  std::string big;
  for (const auto& a : lockstep::sim::qemu_command(o)) big += a + " ";
  EXPECT_NE(big.find("-M q35,kernel-irqchip=split -device intel-iommu,intremap=on,eim=on"), std::string::npos) << big;
}

}  // namespace
