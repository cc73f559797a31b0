// The ACPI parsers the x86_64 kernel runs, on tables compiled by iasl and on malformed tables
// derived from them. Every malformed input is passed in a heap buffer of exactly its size, so
// the ASan build catches any read past it.

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <lockstep/firmware/acpi.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace lockstep::firmware;
using Table = std::vector<std::byte>;

Table load(const std::string& name) {
  const std::string path = std::string(LOCKSTEP_ACPI_TABLE_DIR) + "/" + name + ".aml";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing " << path;
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Table t(raw.size());
  std::memcpy(t.data(), raw.data(), raw.size());
  return t;
}

void put32(Table& t, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) t[off + i] = static_cast<std::byte>(v >> (8 * i));
}

/// Recomputes an SDT's checksum (byte 9) over `len` bytes, so a mutation tests what it means to.
void fix_checksum(Table& t, std::size_t len, std::size_t checksum_offset = 9) {
  t[checksum_offset] = std::byte{0};
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < len; ++i) sum = static_cast<std::uint8_t>(sum + static_cast<std::uint8_t>(t[i]));
  t[checksum_offset] = static_cast<std::byte>(-sum);
}

/// Sparse physical memory for find_table(): regions at fixed addresses.
struct Memory {
  std::map<std::uint64_t, Table> regions;
  static Bytes map(void* ctx, std::uint64_t phys, std::size_t len) noexcept {
    for (const auto& [base, bytes] : static_cast<Memory*>(ctx)->regions)
      if (phys >= base && phys - base <= bytes.size() && len <= bytes.size() - (phys - base))
        return Bytes(bytes.data() + (phys - base), len);
    return {};
  }
  PhysMemory phys() { return PhysMemory{&Memory::map, this}; }
};

Memory firmware_image() {
  Memory m;
  m.regions[0x7000] = load("rsdt");
  m.regions[0x7100] = load("xsdt");
  m.regions[0x8000] = load("madt_qemu4");
  m.regions[0x9000] = load("hpet");
  return m;
}

TEST(AcpiRsdp, ParsesIaslRevision2) {
  const Table t = load("rsdp_v2");
  Rsdp r;
  ASSERT_EQ(parse_rsdp(t, r), AcpiStatus::kOk);
  EXPECT_EQ(r.revision, 2);
  EXPECT_EQ(r.rsdt_address, 0x7000u);
  EXPECT_EQ(r.xsdt_address, 0x7100u);
  EXPECT_STREQ(r.oem_id, "LOCKST");
}

TEST(AcpiRsdp, ParsesIaslRevision0WithoutXsdt) {
  const Table t = load("rsdp_v1");
  ASSERT_EQ(t.size(), kRsdpV1Size);
  Rsdp r;
  ASSERT_EQ(parse_rsdp(t, r), AcpiStatus::kOk);
  EXPECT_EQ(r.revision, 0);
  EXPECT_EQ(r.xsdt_address, 0u);
}

TEST(AcpiRsdp, RejectsMalformed) {
  const Table good = load("rsdp_v2");
  Rsdp r;
  Table t = good;
  t[10] ^= std::byte{1};  // OEM id: both checksums break; the 1.0 one is checked first.
  EXPECT_EQ(parse_rsdp(t, r), AcpiStatus::kBadChecksum);
  t = good;
  t[33] ^= std::byte{1};  // reserved: only the extended checksum covers it
  EXPECT_EQ(parse_rsdp(t, r), AcpiStatus::kBadChecksum);
  t = good;
  t[0] = std::byte{'X'};
  EXPECT_EQ(parse_rsdp(t, r), AcpiStatus::kBadSignature);
  for (std::size_t len = 0; len < good.size(); ++len) {
    const Table cut(good.begin(), good.begin() + static_cast<long>(len));
    EXPECT_NE(parse_rsdp(cut, r), AcpiStatus::kOk) << "accepted a " << len << "-byte RSDP";
  }
  t = good;
  put32(t, 20, 0x1000);  // length lies: longer than the bytes
  fix_checksum(t, 20, 8);
  EXPECT_EQ(parse_rsdp(t, r), AcpiStatus::kTruncated);
  t = good;
  put32(t, 20, 20);  // length below the 2.0 structure
  fix_checksum(t, 20, 8);
  EXPECT_EQ(parse_rsdp(t, r), AcpiStatus::kBadLength);
}

TEST(AcpiRsdp, SearchFindsAlignedValidCandidateSkippingDecoys) {
  const Table rsdp = load("rsdp_v2");
  Table region(0x100, std::byte{0});
  std::memcpy(region.data() + 0x10, "RSD PTR ", 8);  // decoy: bad checksum
  std::memcpy(region.data() + 0x48, rsdp.data(), rsdp.size());  // unaligned: must be ignored
  std::uint64_t found = 0;
  EXPECT_EQ(find_rsdp(region, 0xE0000, found), AcpiStatus::kBadChecksum);
  std::memcpy(region.data() + 0x80, rsdp.data(), rsdp.size());
  ASSERT_EQ(find_rsdp(region, 0xE0000, found), AcpiStatus::kOk);
  EXPECT_EQ(found, 0xE0080u);
  const Table empty(0x40, std::byte{0});
  EXPECT_EQ(find_rsdp(empty, 0xE0000, found), AcpiStatus::kNotFound);
  // A signature cut off by the end of the region is not read past it.
  Table tail(0x18, std::byte{0});
  std::memcpy(tail.data() + 0x10, "RSD PTR ", 8);
  EXPECT_EQ(find_rsdp(tail, 0xE0000, found), AcpiStatus::kTruncated);
}

TEST(AcpiMadt, ParsesQemuShapedTable) {
  const Table t = load("madt_qemu4");
  MadtInfo info;
  MadtCpu cpus[8];
  ASSERT_EQ(parse_madt(t, info, cpus), AcpiStatus::kOk);
  EXPECT_EQ(info.lapic_address, 0xFEE00000u);
  EXPECT_EQ(info.flags, 1u);
  EXPECT_EQ(info.entries, 7u);
  EXPECT_EQ(info.ioapics, 1u);
  ASSERT_EQ(info.cpus, 4u);
  for (std::uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(cpus[i].apic_id, i);
    EXPECT_EQ(cpus[i].uid, i);
    EXPECT_TRUE(cpus[i].enabled);
    EXPECT_FALSE(cpus[i].x2apic_entry);
  }
}

TEST(AcpiMadt, HonoursEnabledAndOnlineCapableFlagsAndX2apicEntries) {
  const Table t = load("madt_mixed");
  MadtInfo info;
  MadtCpu cpus[8];
  ASSERT_EQ(parse_madt(t, info, cpus), AcpiStatus::kOk);
  ASSERT_EQ(info.cpus, 3u);
  EXPECT_EQ(cpus[0].apic_id, 0u);
  EXPECT_TRUE(cpus[0].enabled);
  EXPECT_EQ(cpus[1].apic_id, 4u);  // online capable: listed, not enabled
  EXPECT_FALSE(cpus[1].enabled);
  EXPECT_TRUE(cpus[1].online_capable);
  EXPECT_EQ(cpus[2].apic_id, 0x100u);  // x2APIC id above 255
  EXPECT_TRUE(cpus[2].x2apic_entry);
  EXPECT_EQ(cpus[2].uid, 0x10u);
  EXPECT_EQ(info.skipped_disabled, 2u);  // Local APIC 2 and x2APIC 0x200
  EXPECT_EQ(info.duplicates, 1u);        // x2APIC entry for APIC id 0
  EXPECT_EQ(info.lapic_address, 0xFEE10000u);  // type-5 override
}

TEST(AcpiMadt, TooManyCpusFillsTheArrayAndSaysSo) {
  const Table t = load("madt_qemu4");
  MadtInfo info;
  MadtCpu cpus[2];
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kTooMany);
  EXPECT_EQ(info.cpus, 2u);
  EXPECT_EQ(info.dropped, 2u);
}

TEST(AcpiMadt, RejectsBadChecksumSignatureAndEveryTruncation) {
  const Table good = load("madt_qemu4");
  MadtInfo info;
  MadtCpu cpus[8];
  Table t = good;
  t[50] ^= std::byte{0x40};
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadChecksum);
  t = good;
  t[0] = std::byte{'F'};
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadSignature);
  for (std::size_t len = 0; len < good.size(); ++len) {
    const Table cut(good.begin(), good.begin() + static_cast<long>(len));
    const AcpiStatus s = parse_madt(cut, info, cpus);
    EXPECT_TRUE(s == AcpiStatus::kTruncated) << len << " bytes: " << acpi_status_name(s);
  }
}

TEST(AcpiMadt, RejectsLyingLengths) {
  const Table good = load("madt_qemu4");
  MadtInfo info;
  MadtCpu cpus[8];
  Table t = good;
  put32(t, 4, static_cast<std::uint32_t>(good.size() + 64));  // table length beyond the bytes
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kTruncated);
  t = good;
  put32(t, 4, 40);  // a header but not the MADT's fixed part
  fix_checksum(t, 40);
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadLength);
  t = good;
  put32(t, 4, 0xFFFFFFF0u);
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadLength);
  t = good;
  t[45] = std::byte{0};  // first entry length 0: would loop forever
  fix_checksum(t, t.size());
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadEntry);
  t = good;
  t[45] = std::byte{0xFF};  // first entry runs past the table
  fix_checksum(t, t.size());
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadEntry);
  t = good;
  t[45] = std::byte{4};  // Local APIC entry shorter than its 8 bytes
  fix_checksum(t, t.size());
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadEntry);
  // Table length cut inside the last entry (checksum made valid): the entry runs past it.
  t = good;
  put32(t, 4, static_cast<std::uint32_t>(good.size() - 3));
  t.resize(good.size() - 3);
  fix_checksum(t, t.size());
  EXPECT_EQ(parse_madt(t, info, cpus), AcpiStatus::kBadEntry);
}

TEST(AcpiMadt, RandomCorruptionNeverCrashesOrOverfills) {
  const Table good = load("madt_mixed");
  const std::uint32_t seed = 20261128;
  std::mt19937 rng(seed);
  for (int iter = 0; iter < 20000; ++iter) {
    Table t = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) t[rng() % t.size()] = static_cast<std::byte>(rng());
    if (rng() % 2) fix_checksum(t, t.size());
    if (rng() % 4 == 0) t.resize(rng() % t.size());
    MadtInfo info;
    MadtCpu cpus[4];
    const AcpiStatus s = parse_madt(t, info, cpus);
    ASSERT_LE(info.cpus, 4u) << "seed " << seed << " iteration " << iter;
    if (s == AcpiStatus::kOk) {
      ASSERT_EQ(info.dropped, 0u) << "seed " << seed << " iteration " << iter;
    }
  }
}

TEST(AcpiTables, FindsMadtThroughXsdtAndRsdt) {
  Memory m = firmware_image();
  Rsdp r2, r1;
  ASSERT_EQ(parse_rsdp(load("rsdp_v2"), r2), AcpiStatus::kOk);
  ASSERT_EQ(parse_rsdp(load("rsdp_v1"), r1), AcpiStatus::kOk);
  Bytes madt;
  bool xsdt = false;
  ASSERT_EQ(find_table(m.phys(), r2, "APIC", madt, &xsdt), AcpiStatus::kOk);
  EXPECT_TRUE(xsdt);
  EXPECT_EQ(madt.data(), m.regions[0x8000].data());
  ASSERT_EQ(find_table(m.phys(), r1, "APIC", madt, &xsdt), AcpiStatus::kOk);
  EXPECT_FALSE(xsdt);
  EXPECT_EQ(find_table(m.phys(), r2, "FACP", madt), AcpiStatus::kNotFound);
}

TEST(AcpiTables, ReportsBadOrMissingTablesBehindTheRoot) {
  Rsdp r2;
  ASSERT_EQ(parse_rsdp(load("rsdp_v2"), r2), AcpiStatus::kOk);
  Bytes madt;
  {
    Memory m = firmware_image();
    m.regions[0x8000][60] ^= std::byte{1};
    EXPECT_EQ(find_table(m.phys(), r2, "APIC", madt), AcpiStatus::kBadChecksum);
  }
  {
    Memory m = firmware_image();
    m.regions.erase(0x8000);  // the XSDT points at nothing: skipped
    EXPECT_EQ(find_table(m.phys(), r2, "APIC", madt), AcpiStatus::kNotFound);
  }
  {
    Memory m = firmware_image();
    m.regions.erase(0x7100);
    EXPECT_EQ(find_table(m.phys(), r2, "APIC", madt), AcpiStatus::kUnmapped);
  }
  {
    Memory m = firmware_image();
    Table& x = m.regions[0x7100];
    put32(x, 4, 0x10000);  // the XSDT claims 64 KiB: more than memory holds
    EXPECT_EQ(find_table(m.phys(), r2, "APIC", madt), AcpiStatus::kUnmapped);
  }
}

}  // namespace
