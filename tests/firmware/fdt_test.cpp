// The portable device-tree reader (core/firmware/fdt*) on trees compiled by dtc from
// fdt_dts/*.dts, on QEMU's own (-machine virt,dumpdtb=) for several CPU counts and both GIC
// versions, and on malformed blobs: every result is a clear status, never a crash or a read
// outside the blob. Blobs are copied into exactly-sized heap buffers so that AddressSanitizer
// (the asan preset) sees any read past the end.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <lockstep/firmware/fdt.hpp>
#include <lockstep/firmware/fdt_platform.hpp>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace fw = lockstep::firmware;

namespace {

using Blob = std::vector<std::byte>;

Blob load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Blob b(chars.size());
  std::memcpy(b.data(), chars.data(), chars.size());
  return b;
}

Blob dtc(const std::string& name) { return load(std::string(LOCKSTEP_FDT_BLOB_DIR) + "/" + name + ".dtb"); }

/// An exactly-sized copy: reading one byte past `len` is a heap overflow ASan reports.
struct Exact {
  explicit Exact(const Blob& b, std::size_t len) : n(len), p(new std::byte[len == 0 ? 1 : len]) {
    if (len != 0) std::memcpy(p.get(), b.data(), len);
  }
  explicit Exact(const Blob& b) : Exact(b, b.size()) {}
  fw::FdtBytes span() const { return {p.get(), n}; }
  std::size_t n;
  std::unique_ptr<std::byte[]> p;
};

std::uint32_t get32(const Blob& b, std::size_t off) {
  return std::to_integer<std::uint32_t>(b[off]) << 24 | std::to_integer<std::uint32_t>(b[off + 1]) << 16 |
         std::to_integer<std::uint32_t>(b[off + 2]) << 8 | std::to_integer<std::uint32_t>(b[off + 3]);
}
void put32(Blob& b, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<std::byte>(v >> (24 - 8 * i));
}

// Header field offsets (Devicetree Specification v0.4, 5.2).
constexpr std::size_t kTotalsize = 4, kOffStruct = 8, kOffStrings = 12, kOffRsvmap = 16, kVersion = 20, kLastComp = 24;
constexpr std::size_t kSizeStrings = 32, kSizeStruct = 36;

/// A hand-made blob from raw structure and strings blocks, for precise malformations.
struct Builder {
  std::vector<std::uint32_t> words;  // structure block, host order (written big-endian)
  std::string strings;

  Builder& begin(const char* name, bool terminate = true) {
    words.push_back(fw::kFdtBeginNode);
    std::string n = name;
    if (terminate) n.push_back('\0');
    while (n.size() % 4 != 0) n.push_back(terminate ? '\0' : 'x');
    for (std::size_t i = 0; i < n.size(); i += 4)
      words.push_back(std::uint32_t(std::uint8_t(n[i])) << 24 | std::uint32_t(std::uint8_t(n[i + 1])) << 16 |
                      std::uint32_t(std::uint8_t(n[i + 2])) << 8 | std::uint8_t(n[i + 3]));
    return *this;
  }
  Builder& end() { return word(fw::kFdtEndNode); }
  Builder& word(std::uint32_t w) {
    words.push_back(w);
    return *this;
  }
  std::uint32_t name(const char* n) {
    const auto off = static_cast<std::uint32_t>(strings.size());
    strings += n;
    strings.push_back('\0');
    return off;
  }
  Builder& prop(const char* n, std::vector<std::uint32_t> cells) { return prop_at(name(n), cells, 4 * cells.size()); }
  Builder& prop_at(std::uint32_t nameoff, const std::vector<std::uint32_t>& cells, std::size_t len) {
    words.insert(words.end(), {fw::kFdtProp, static_cast<std::uint32_t>(len), nameoff});
    words.insert(words.end(), cells.begin(), cells.end());
    return *this;
  }
  Blob build() const {
    const std::size_t rsv = 40, st = rsv + 16, sz = 4 * words.size(), sr = st + sz;
    Blob b(sr + strings.size());
    put32(b, 0, fw::kFdtMagic);
    put32(b, kTotalsize, static_cast<std::uint32_t>(b.size()));
    put32(b, kOffStruct, static_cast<std::uint32_t>(st));
    put32(b, kOffStrings, static_cast<std::uint32_t>(sr));
    put32(b, kOffRsvmap, static_cast<std::uint32_t>(rsv));
    put32(b, kVersion, 17);
    put32(b, kLastComp, 16);
    put32(b, kSizeStrings, static_cast<std::uint32_t>(strings.size()));
    put32(b, kSizeStruct, static_cast<std::uint32_t>(sz));
    for (std::size_t i = 0; i < words.size(); ++i) put32(b, st + 4 * i, words[i]);
    std::memcpy(b.data() + sr, strings.data(), strings.size());
    return b;
  }
};

/// A minimal well-formed tree, the base of the hand-made malformations.
Builder minimal() {
  Builder b;
  b.begin("").prop("#address-cells", {2});
  b.begin("cpus").prop("#address-cells", {1}).begin("cpu@0").prop("reg", {0}).end().end();
  b.end().word(fw::kFdtEnd);
  return b;
}

fw::FdtStatus open_status(const Blob& b) {
  Exact e(b);
  fw::Fdt fdt;
  return fdt.open(e.span());
}

/// Opens, and if valid walks every node and property and runs the platform parser: the
/// full read surface of the API.
fw::FdtStatus exercise(const Blob& b) {
  Exact e(b);
  fw::Fdt fdt;
  const fw::FdtStatus s = fdt.open(e.span());
  if (s != fw::FdtStatus::kOk) {
    EXPECT_FALSE(fdt.valid());
    EXPECT_EQ(fdt.root(), fw::kFdtNoNode);
    return s;
  }
  std::vector<fw::FdtNode> stack{fdt.root()};
  std::size_t nodes = 0;
  while (!stack.empty() && nodes < 100000) {
    const fw::FdtNode n = stack.back();
    stack.pop_back();
    ++nodes;
    (void)std::strlen(fdt.name(n));
    fw::FdtProperty p;
    for (std::size_t i = 0; fdt.property_at(n, i, p); ++i) {
      (void)std::strlen(p.name);
      std::uint64_t v = 0;
      (void)fw::fdt_cells(p.value, 0, 2, v);
      (void)fw::fdt_string_list_contains(p.value, "okay");
    }
    std::uint64_t a = 0, sz = 0;
    (void)fdt.reg_at(n, fdt.parent(n), 0, a, sz);
    for (fw::FdtNode c = fdt.first_child(n); c != fw::kFdtNoNode; c = fdt.next_sibling(c)) stack.push_back(c);
  }
  std::uint64_t a = 0, sz = 0;
  for (std::size_t i = 0; fdt.reserved(i, a, sz) && i < 1000; ++i) {
  }
  (void)fdt.find_path("/cpus/cpu@0");
  (void)fdt.find_phandle(1);
  (void)fdt.find_compatible("arm,pl011");
  fw::FdtArmPlatform platform;
  fw::FdtCpu cpus[8];
  (void)fw::parse_arm_platform(fdt, platform, cpus);
  if (platform.bootargs != nullptr) (void)std::strlen(platform.bootargs);
  return s;
}

}  // namespace

// ---- Trees compiled by dtc ----

TEST(FdtDtc, VirtLikeTreeGicV2) {
  const Blob b = dtc("fdt_virt_gicv2");
  Exact e(b);
  fw::Fdt fdt;
  ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk);
  std::uint64_t addr = 0, size = 0;
  ASSERT_TRUE(fdt.reserved(0, addr, size));
  EXPECT_EQ(addr, 0x48000000u);
  EXPECT_EQ(size, 0x100000u);
  EXPECT_FALSE(fdt.reserved(1, addr, size));
  EXPECT_NE(fdt.find_path("/cpus/cpu@2"), fw::kFdtNoNode);
  EXPECT_NE(fdt.find_path("/cpus/cpu"), fw::kFdtNoNode) << "a component without unit address matches cpu@0";
  EXPECT_EQ(fdt.find_path("/cpus/cpu@9"), fw::kFdtNoNode);
  EXPECT_EQ(fdt.find_path("cpus"), fw::kFdtNoNode) << "paths are absolute";

  fw::FdtArmPlatform p;
  fw::FdtCpu cpus[8];
  ASSERT_EQ(fw::parse_arm_platform(fdt, p, cpus), fw::FdtPlatformStatus::kOk) << p.what;
  ASSERT_EQ(p.cpus, 4u) << "cpu-map is not a CPU";
  for (std::uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(cpus[i].mpidr, i);
    EXPECT_TRUE(cpus[i].enabled);
    EXPECT_TRUE(cpus[i].psci);
  }
  EXPECT_EQ(p.gic, fw::GicVersion::kV2);
  EXPECT_EQ(p.gicd.base, 0x8000000u);
  EXPECT_EQ(p.gicc.base, 0x8010000u);
  EXPECT_EQ(p.psci, fw::PsciConduit::kHvc);
  EXPECT_TRUE(p.psci_0_2);
  EXPECT_EQ(p.uart, 0x9000000u) << "stdout-path through /aliases with options";
  EXPECT_STREQ(p.bootargs, "lockstep.verbose lockstep.workload=boot");
  EXPECT_TRUE(p.timer);
  EXPECT_EQ(p.timer_intid[1], 30u);
  EXPECT_EQ(p.timer_intid[2], 27u);
  ASSERT_EQ(p.memory_ranges, 1u);
  EXPECT_EQ(p.memory[0].base, 0x40000000u);
  EXPECT_EQ(p.memory[0].size, 0x10000000u);
}

TEST(FdtDtc, GicV3SmcTwoCellCpuIds) {
  const Blob b = dtc("fdt_gicv3_smc");
  Exact e(b);
  fw::Fdt fdt;
  ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk);
  fw::FdtArmPlatform p;
  fw::FdtCpu cpus[8];
  ASSERT_EQ(fw::parse_arm_platform(fdt, p, cpus), fw::FdtPlatformStatus::kOk) << p.what;
  ASSERT_EQ(p.cpus, 4u);
  EXPECT_EQ(cpus[1].mpidr, 0x100u);
  EXPECT_EQ(cpus[2].mpidr, 0x100000000u) << "Aff3 from the second cell";
  EXPECT_FALSE(cpus[3].enabled);
  EXPECT_FALSE(cpus[3].psci);
  EXPECT_EQ(p.cpus_disabled, 1u);
  EXPECT_EQ(p.gic, fw::GicVersion::kV3);
  EXPECT_EQ(p.gicd.base, 0x2f000000u);
  EXPECT_EQ(p.gicr.base, 0x2f100000u);
  EXPECT_EQ(p.gicr.size, 0x200000u);
  EXPECT_EQ(p.gicr_regions, 2u);
  EXPECT_EQ(p.gicr_stride, 0x40000u);
  EXPECT_EQ(p.psci, fw::PsciConduit::kSmc);
  EXPECT_EQ(p.uart, 0x1c090000u) << "stdout-path by full path, reg with the soc bus's 1-cell layout";
  EXPECT_EQ(p.timer_frequency, 100000000u);
  EXPECT_EQ(p.timer_intid[3], 0u) << "only three interrupts listed";
  ASSERT_EQ(p.memory_ranges, 2u);
  EXPECT_EQ(p.memory[1].base, 0x880000000u);
  EXPECT_EQ(p.memory[1].size, 0x100000000u);
  EXPECT_EQ(p.bootargs, nullptr);
}

TEST(FdtDtc, Psci01UsesTheTreesFunctionIds) {
  const Blob b = dtc("fdt_psci01");
  Exact e(b);
  fw::Fdt fdt;
  ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk);
  fw::FdtArmPlatform p;
  fw::FdtCpu cpus[8];
  ASSERT_EQ(fw::parse_arm_platform(fdt, p, cpus), fw::FdtPlatformStatus::kOk) << p.what;
  EXPECT_FALSE(p.psci_0_2);
  EXPECT_EQ(p.psci_cpu_on, 0x95c10002u);
  EXPECT_EQ(p.psci_cpu_off, 0x95c10001u);
  EXPECT_EQ(p.gic, fw::GicVersion::kV2) << "arm,gic-400";
  EXPECT_EQ(p.gicc.base, 0x2c002000u);
  EXPECT_FALSE(p.timer);
  EXPECT_EQ(p.uart, 0u);
}

TEST(FdtDtc, MissingPiecesAreNamed) {
  {
    const Blob b = dtc("fdt_no_gic");
    Exact e(b);
    fw::Fdt fdt;
    ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk);
    fw::FdtArmPlatform p;
    fw::FdtCpu cpus[8];
    EXPECT_EQ(fw::parse_arm_platform(fdt, p, cpus), fw::FdtPlatformStatus::kNoGic);
    EXPECT_NE(std::string(p.what).find("GIC"), std::string::npos);
  }
  {
    const Blob b = dtc("fdt_virt_gicv2");
    Exact e(b);
    fw::Fdt fdt;
    ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk);
    fw::FdtArmPlatform p;
    fw::FdtCpu cpus[2];
    EXPECT_EQ(fw::parse_arm_platform(fdt, p, cpus), fw::FdtPlatformStatus::kTooMany);
    EXPECT_EQ(p.cpus, 2u);
    EXPECT_EQ(p.cpus_dropped, 2u);
    EXPECT_EQ(p.gic, fw::GicVersion::kV2) << "the rest is still read";
  }
  {
    fw::Fdt closed;
    fw::FdtArmPlatform p;
    fw::FdtCpu cpus[2];
    EXPECT_NE(fw::parse_arm_platform(closed, p, cpus), fw::FdtPlatformStatus::kOk);
  }
}

// ---- QEMU's own trees (generated at build time with -machine dumpdtb=) ----

struct QemuCase {
  int gic;
  int cpus;
};

class FdtQemu : public ::testing::TestWithParam<QemuCase> {};

TEST_P(FdtQemu, CpusGicPsciTimerUart) {
  const QemuCase c = GetParam();
  const std::string name = "qemu_virt_gicv" + std::to_string(c.gic) + "_smp" + std::to_string(c.cpus);
  const Blob b = load(std::string(LOCKSTEP_FDT_QEMU_DIR) + "/" + name + ".dtb");
  ASSERT_FALSE(b.empty()) << name;
  Exact e(b);
  fw::Fdt fdt;
  ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk) << name;
  fw::FdtArmPlatform p;
  fw::FdtCpu cpus[64];
  ASSERT_EQ(fw::parse_arm_platform(fdt, p, cpus), fw::FdtPlatformStatus::kOk) << p.what;
  ASSERT_EQ(p.cpus, static_cast<std::uint32_t>(c.cpus));
  for (int i = 0; i < c.cpus; ++i) {
    // QEMU virt: clusters of 16 with GICv3 (Aff1 = cpu / 16), of 8 with GICv2 (FACTS).
    const std::uint64_t expect = c.gic == 3 ? (std::uint64_t(i / 16) << 8 | (i % 16)) : std::uint64_t(i);
    EXPECT_EQ(cpus[i].mpidr, expect) << "cpu " << i;
    EXPECT_TRUE(cpus[i].enabled);
    EXPECT_EQ(cpus[i].psci, c.cpus > 1) << "QEMU names enable-method only with several CPUs";
  }
  EXPECT_EQ(p.gic, c.gic == 3 ? fw::GicVersion::kV3 : fw::GicVersion::kV2);
  EXPECT_EQ(p.gicd.base, 0x8000000u);
  if (c.gic == 3) {
    EXPECT_EQ(p.gicr.base, 0x80a0000u);
    EXPECT_GE(p.gicr.size, 0x20000u * static_cast<unsigned>(c.cpus < 123 ? c.cpus : 123));
  } else {
    EXPECT_EQ(p.gicc.base, 0x8010000u);
  }
  EXPECT_EQ(p.psci, fw::PsciConduit::kHvc);
  EXPECT_TRUE(p.psci_0_2);
  EXPECT_EQ(p.uart, 0x9000000u);
  EXPECT_EQ(p.timer_intid[2], 27u);
  ASSERT_GE(p.memory_ranges, 1u);
  EXPECT_EQ(p.memory[0].base, 0x40000000u);
  EXPECT_EQ(p.memory[0].size, 256u << 20);
  EXPECT_EQ(exercise(b), fw::FdtStatus::kOk);
}

INSTANTIATE_TEST_SUITE_P(Dumps, FdtQemu,
                         ::testing::Values(QemuCase{2, 1}, QemuCase{2, 2}, QemuCase{2, 4}, QemuCase{2, 8}, QemuCase{3, 4},
                                           QemuCase{3, 16}, QemuCase{3, 32}),
                         [](const auto& info) {
                           return "gicv" + std::to_string(info.param.gic) + "_smp" + std::to_string(info.param.cpus);
                         });

// ---- Malformed blobs ----

TEST(FdtMalformed, HeaderChecks) {
  const Blob good = minimal().build();
  ASSERT_EQ(open_status(good), fw::FdtStatus::kOk);
  auto with = [&](std::size_t off, std::uint32_t v) {
    Blob b = good;
    put32(b, off, v);
    return open_status(b);
  };
  EXPECT_EQ(with(0, 0xd00dfeee), fw::FdtStatus::kBadMagic);
  EXPECT_EQ(with(0, 0xedfe0dd0), fw::FdtStatus::kBadMagic) << "little-endian magic";
  EXPECT_EQ(with(kVersion, 16), fw::FdtStatus::kBadVersion);
  EXPECT_EQ(with(kLastComp, 18), fw::FdtStatus::kBadVersion);
  EXPECT_EQ(with(kTotalsize, static_cast<std::uint32_t>(good.size() + 1)), fw::FdtStatus::kTruncated) << "lying totalsize";
  EXPECT_EQ(with(kTotalsize, 39), fw::FdtStatus::kBadHeader);
  EXPECT_EQ(with(kOffStruct, 58), fw::FdtStatus::kBadHeader) << "misaligned structure block";
  EXPECT_EQ(with(kOffRsvmap, 44), fw::FdtStatus::kBadHeader) << "misaligned reservation map";
  EXPECT_EQ(with(kOffStruct, 8), fw::FdtStatus::kBadHeader) << "block inside the header";
  EXPECT_EQ(with(kOffStrings, 0xfffffff0u), fw::FdtStatus::kBadHeader) << "offset past totalsize";
  EXPECT_EQ(with(kSizeStruct, 0xfffffff0u), fw::FdtStatus::kBadHeader) << "size past totalsize (no 32-bit wrap)";
  EXPECT_EQ(with(kSizeStrings, 0xffffffffu), fw::FdtStatus::kBadHeader);
  EXPECT_EQ(open_status(Blob{}), fw::FdtStatus::kTruncated);
}

TEST(FdtMalformed, EveryTruncationIsRejected) {
  for (const Blob& good : {minimal().build(), dtc("fdt_virt_gicv2"), dtc("fdt_gicv3_smc")}) {
    for (std::size_t len = 0; len < good.size(); ++len) {
      Exact e(good, len);
      fw::Fdt fdt;
      EXPECT_NE(fdt.open(e.span()), fw::FdtStatus::kOk) << "prefix of " << len << " bytes";
    }
  }
}

TEST(FdtMalformed, OverlappingBlocks) {
  const Blob good = minimal().build();
  Blob b = good;
  put32(b, kOffStrings, get32(good, kOffStruct) + 4);  // strings inside the structure block
  EXPECT_EQ(open_status(b), fw::FdtStatus::kOverlap);
  b = good;
  put32(b, kOffRsvmap, get32(good, kOffStruct));  // the reservation map over the structure block
  const fw::FdtStatus s = open_status(b);
  EXPECT_TRUE(s == fw::FdtStatus::kOverlap || s == fw::FdtStatus::kBadReserveMap) << fw::fdt_status_name(s);
  // A reservation map whose terminator never comes runs into the structure block.
  b = good;
  put32(b, 40 + 12, 1);  // first entry's size = 1: not a terminator
  EXPECT_EQ(open_status(b), fw::FdtStatus::kOverlap);
}

TEST(FdtMalformed, ReserveMapWithoutTerminatorAtTheEnd) {
  Blob b = minimal().build();
  // Move the reservation map to the last 16 bytes, which are not zero.
  const std::size_t total = (b.size() + 7) / 8 * 8 + 16;  // 8-aligned, as the map must be
  b.resize(total);
  for (std::size_t i = total - 16; i < total; ++i) b[i] = std::byte{0xff};
  put32(b, kTotalsize, static_cast<std::uint32_t>(total));
  put32(b, kOffRsvmap, static_cast<std::uint32_t>(total - 16));
  EXPECT_EQ(open_status(b), fw::FdtStatus::kBadReserveMap);
}

TEST(FdtMalformed, UnterminatedStrings) {
  // A node name that runs to the end of the structure block.
  Builder n;
  n.begin("").begin("abcd", false);
  EXPECT_EQ(open_status(n.build()), fw::FdtStatus::kBadString);
  // A property name whose string is not terminated inside the strings block.
  Builder p = minimal();
  Blob b = p.build();
  put32(b, kSizeStrings, get32(b, kSizeStrings) - 1);  // drop the last NUL
  put32(b, kTotalsize, get32(b, kTotalsize) - 1);
  b.pop_back();
  EXPECT_EQ(open_status(b), fw::FdtStatus::kBadString);
  // nameoff outside the strings block.
  Builder q;
  q.begin("").prop_at(1000, {1}, 4).end().word(fw::kFdtEnd);
  EXPECT_EQ(open_status(q.build()), fw::FdtStatus::kBadString);
  // Valid structure, but a string property without its terminator: the helpers refuse it.
  Builder r;
  const std::uint32_t method = r.name("method");
  r.begin("").begin("psci").prop("compatible", {0x61726d2c, 0x70736369, 0x2d302e32, 0}).prop_at(method, {0x68766378}, 4);
  r.end().end().word(fw::kFdtEnd);
  const Blob rb = r.build();
  Exact e(rb);
  fw::Fdt fdt;
  ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk);
  fw::FdtBytes v;
  ASSERT_TRUE(fdt.property(fdt.find_path("/psci"), "method", v));
  EXPECT_EQ(fw::fdt_string(v), nullptr);
  EXPECT_FALSE(fw::fdt_string_list_contains(v, "hvcx"));
  fw::FdtBytes compatible;
  ASSERT_TRUE(fdt.property(fdt.find_path("/psci"), "compatible", compatible));
  EXPECT_TRUE(fw::fdt_string_list_contains(compatible, "arm,psci-0.2"));
  fw::FdtArmPlatform plat;
  fw::FdtCpu cpus[2];
  EXPECT_NE(fw::parse_arm_platform(fdt, plat, cpus), fw::FdtPlatformStatus::kOk);
}

TEST(FdtMalformed, StructureErrors) {
  auto status = [](Builder b) { return open_status(b.build()); };
  Builder missing_end;
  missing_end.begin("").end();
  EXPECT_EQ(status(missing_end), fw::FdtStatus::kBadStructure) << "no FDT_END";
  Builder unbalanced;
  unbalanced.begin("").begin("a").end().word(fw::kFdtEnd);
  EXPECT_EQ(status(unbalanced), fw::FdtStatus::kBadStructure) << "FDT_END inside a node";
  Builder extra_end;
  extra_end.begin("").end().end().word(fw::kFdtEnd);
  EXPECT_EQ(status(extra_end), fw::FdtStatus::kBadStructure);
  Builder two_roots;
  two_roots.begin("").end().begin("").end().word(fw::kFdtEnd);
  EXPECT_EQ(status(two_roots), fw::FdtStatus::kBadStructure);
  Builder unknown;
  unknown.begin("").word(7).end().word(fw::kFdtEnd);
  EXPECT_EQ(status(unknown), fw::FdtStatus::kBadStructure);
  Builder prop_outside;
  prop_outside.prop("x", {1}).begin("").end().word(fw::kFdtEnd);
  EXPECT_EQ(status(prop_outside), fw::FdtStatus::kBadStructure);
  Builder long_prop;
  long_prop.begin("").prop_at(long_prop.name("x"), {1}, 4000).end().word(fw::kFdtEnd);
  EXPECT_EQ(status(long_prop), fw::FdtStatus::kBadProperty) << "value runs past the block";
  Builder huge_prop;
  huge_prop.begin("").prop_at(huge_prop.name("x"), {1}, 0xfffffff8u).end().word(fw::kFdtEnd);
  EXPECT_EQ(status(huge_prop), fw::FdtStatus::kBadProperty) << "no 32-bit wrap";
  Builder deep;
  for (int i = 0; i < 40; ++i) deep.begin("n");
  for (int i = 0; i < 40; ++i) deep.end();
  deep.word(fw::kFdtEnd);
  EXPECT_EQ(status(deep), fw::FdtStatus::kTooDeep);
  Builder nops;
  nops.word(fw::kFdtNop).begin("").word(fw::kFdtNop).prop("a", {1}).end().word(fw::kFdtEnd);
  EXPECT_EQ(status(nops), fw::FdtStatus::kOk) << "NOPs anywhere are fine";
}

TEST(FdtMalformed, BadCellsInAValidTree) {
  // A cpu whose reg is shorter than #address-cells says: named, not read past.
  Builder b;
  b.begin("").prop("#address-cells", {2}).prop("#size-cells", {2});
  b.begin("cpus").prop("#address-cells", {2}).prop("#size-cells", {0});
  const std::uint32_t device_type = b.name("device_type");
  b.begin("cpu@0").prop_at(device_type, {0x63707500}, 4).prop("reg", {0}).end();
  b.end().end().word(fw::kFdtEnd);
  const Blob blob = b.build();
  Exact e(blob);
  fw::Fdt fdt;
  ASSERT_EQ(fdt.open(e.span()), fw::FdtStatus::kOk);
  fw::FdtArmPlatform p;
  fw::FdtCpu cpus[4];
  EXPECT_EQ(fw::parse_arm_platform(fdt, p, cpus), fw::FdtPlatformStatus::kBadCpu);
  EXPECT_NE(std::string(p.what).find("reg"), std::string::npos);
}

TEST(FdtMalformed, SeededRandomCorruptionsNeverReadOutside) {
  // Reproduce one case: the seed and the iteration are printed on failure.
  const std::vector<Blob> bases = {minimal().build(), dtc("fdt_virt_gicv2"), dtc("fdt_gicv3_smc"), dtc("fdt_psci01")};
  constexpr std::uint64_t kSeed = 0x6c6f636b73746570ULL;
  std::mt19937_64 rng(kSeed);
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    Blob b = bases[rng() % bases.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % 3 == 0 ? rng() % 40 : rng() % b.size();  // header-heavy
      switch (rng() % 3) {
        case 0: b[at] = static_cast<std::byte>(rng()); break;
        case 1: b[at] ^= static_cast<std::byte>(1u << (rng() % 8)); break;
        default: if (at + 4 <= b.size()) put32(b, at & ~std::size_t{3}, static_cast<std::uint32_t>(rng() % 64)); break;
      }
    }
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    SCOPED_TRACE("seed " + std::to_string(kSeed) + " iteration " + std::to_string(i));
    if (exercise(b) == fw::FdtStatus::kOk) ++ok;
  }
  EXPECT_GT(ok, 100) << "some corruptions (inside property values) must still open";
}
