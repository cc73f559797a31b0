#include <lockstep/firmware/acpi.hpp>

namespace lockstep::firmware {
namespace {

std::uint8_t u8(Bytes b, std::size_t off) noexcept { return static_cast<std::uint8_t>(b[off]); }
std::uint16_t u16(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint16_t>(u8(b, off) | (u8(b, off + 1) << 8));
}
std::uint32_t u32(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint32_t>(u16(b, off)) | (static_cast<std::uint32_t>(u16(b, off + 2)) << 16);
}
std::uint64_t u64(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint64_t>(u32(b, off)) | (static_cast<std::uint64_t>(u32(b, off + 4)) << 32);
}

bool sum_is_zero(Bytes b, std::size_t len) noexcept {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < len; ++i) sum = static_cast<std::uint8_t>(sum + u8(b, i));
  return sum == 0;
}

bool matches(Bytes b, std::size_t off, const char* text, std::size_t len) noexcept {
  for (std::size_t i = 0; i < len; ++i)
    if (static_cast<char>(b[off + i]) != text[i]) return false;
  return true;
}

void copy_text(char* dst, Bytes b, std::size_t off, std::size_t len) noexcept {
  for (std::size_t i = 0; i < len; ++i) dst[i] = static_cast<char>(b[off + i]);
  dst[len] = '\0';
}

constexpr char kRsdpSignature[] = "RSD PTR ";  // ACPI 6.5 5.2.5.3
constexpr std::size_t kRsdpRevisionOffset = 15, kRsdpRsdtOffset = 16, kRsdpLengthOffset = 20, kRsdpXsdtOffset = 24;
constexpr std::size_t kSdtLengthOffset = 4, kSdtRevisionOffset = 8, kSdtOemOffset = 10, kSdtOemTableOffset = 16;
constexpr std::size_t kMadtLapicOffset = 36, kMadtFlagsOffset = 40;

}  // namespace

const char* acpi_status_name(AcpiStatus s) noexcept {
  switch (s) {
    case AcpiStatus::kOk: return "ok";
    case AcpiStatus::kNotFound: return "not-found";
    case AcpiStatus::kTruncated: return "truncated";
    case AcpiStatus::kBadSignature: return "bad-signature";
    case AcpiStatus::kBadChecksum: return "bad-checksum";
    case AcpiStatus::kBadLength: return "bad-length";
    case AcpiStatus::kBadEntry: return "bad-entry";
    case AcpiStatus::kTooMany: return "too-many";
    case AcpiStatus::kUnmapped: return "unmapped";
  }
  return "?";
}

AcpiStatus parse_rsdp(Bytes b, Rsdp& out) noexcept {
  if (b.size() < kRsdpV1Size) return AcpiStatus::kTruncated;
  if (!matches(b, 0, kRsdpSignature, 8)) return AcpiStatus::kBadSignature;
  if (!sum_is_zero(b, kRsdpV1Size)) return AcpiStatus::kBadChecksum;
  Rsdp r;
  r.revision = u8(b, kRsdpRevisionOffset);
  r.rsdt_address = u32(b, kRsdpRsdtOffset);
  copy_text(r.oem_id, b, 9, 6);
  if (r.revision >= 2) {
    if (b.size() < kRsdpV2Size) return AcpiStatus::kTruncated;
    const std::uint32_t length = u32(b, kRsdpLengthOffset);
    if (length < kRsdpV2Size) return AcpiStatus::kBadLength;
    if (length > b.size()) return AcpiStatus::kTruncated;
    if (!sum_is_zero(b, length)) return AcpiStatus::kBadChecksum;
    r.xsdt_address = u64(b, kRsdpXsdtOffset);
  }
  out = r;
  return AcpiStatus::kOk;
}

AcpiStatus find_rsdp(Bytes region, std::uint64_t region_phys, std::uint64_t& rsdp_phys) noexcept {
  AcpiStatus last = AcpiStatus::kNotFound;
  // Candidates sit on 16-byte boundaries of physical memory.
  std::size_t off = static_cast<std::size_t>((16 - (region_phys & 15)) & 15);
  for (; off + 8 <= region.size(); off += 16) {
    if (!matches(region, off, kRsdpSignature, 8)) continue;
    Rsdp r;
    const AcpiStatus s = parse_rsdp(region.subspan(off), r);
    if (s == AcpiStatus::kOk) {
      rsdp_phys = region_phys + off;
      return s;
    }
    last = s;
  }
  return last;
}

AcpiStatus parse_sdt(Bytes b, const char* signature, SdtHeader& out) noexcept {
  if (b.size() < kSdtHeaderSize) return AcpiStatus::kTruncated;
  if (signature != nullptr && !matches(b, 0, signature, 4)) return AcpiStatus::kBadSignature;
  const std::uint32_t length = u32(b, kSdtLengthOffset);
  if (length < kSdtHeaderSize || length > kMaxTableSize) return AcpiStatus::kBadLength;
  if (length > b.size()) return AcpiStatus::kTruncated;
  if (!sum_is_zero(b, length)) return AcpiStatus::kBadChecksum;
  SdtHeader h;
  copy_text(h.signature, b, 0, 4);
  h.length = length;
  h.revision = u8(b, kSdtRevisionOffset);
  copy_text(h.oem_id, b, kSdtOemOffset, 6);
  copy_text(h.oem_table_id, b, kSdtOemTableOffset, 8);
  out = h;
  return AcpiStatus::kOk;
}

AcpiStatus load_table(const PhysMemory& mem, std::uint64_t phys, const char* signature, Bytes& table) noexcept {
  const Bytes header = mem.map(mem.ctx, phys, kSdtHeaderSize);
  if (header.size() != kSdtHeaderSize) return AcpiStatus::kUnmapped;
  if (signature != nullptr && !matches(header, 0, signature, 4)) return AcpiStatus::kBadSignature;
  const std::uint32_t length = u32(header, kSdtLengthOffset);
  if (length < kSdtHeaderSize || length > kMaxTableSize) return AcpiStatus::kBadLength;
  const Bytes whole = mem.map(mem.ctx, phys, length);
  if (whole.size() != length) return AcpiStatus::kUnmapped;
  SdtHeader h;
  const AcpiStatus s = parse_sdt(whole, signature, h);
  if (s == AcpiStatus::kOk) table = whole;
  return s;
}

AcpiStatus find_table(const PhysMemory& mem, const Rsdp& rsdp, const char* signature, Bytes& table,
                      bool* used_xsdt) noexcept {
  const bool xsdt = rsdp.revision >= 2 && rsdp.xsdt_address != 0;
  if (used_xsdt != nullptr) *used_xsdt = xsdt;
  Bytes root;
  const AcpiStatus s = load_table(mem, xsdt ? rsdp.xsdt_address : rsdp.rsdt_address, xsdt ? "XSDT" : "RSDT", root);
  if (s != AcpiStatus::kOk) return s;
  const std::size_t width = xsdt ? 8 : 4;
  const std::size_t count = (root.size() - kSdtHeaderSize) / width;
  AcpiStatus last = AcpiStatus::kNotFound;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t off = kSdtHeaderSize + i * width;
    const std::uint64_t phys = xsdt ? u64(root, off) : u32(root, off);
    const Bytes header = mem.map(mem.ctx, phys, 4);
    if (header.size() != 4 || !matches(header, 0, signature, 4)) continue;
    Bytes candidate;
    const AcpiStatus t = load_table(mem, phys, signature, candidate);
    if (t == AcpiStatus::kOk) {
      table = candidate;
      return t;
    }
    last = t;
  }
  return last;
}

AcpiStatus parse_madt(Bytes b, MadtInfo& info, std::span<MadtCpu> cpus) noexcept {
  info = MadtInfo{};
  SdtHeader h;
  if (const AcpiStatus s = parse_sdt(b, "APIC", h); s != AcpiStatus::kOk) return s;
  if (h.length < kMadtFixedSize) return AcpiStatus::kBadLength;
  const Bytes t = b.first(h.length);
  info.lapic_address = u32(t, kMadtLapicOffset);
  info.flags = u32(t, kMadtFlagsOffset);

  auto add = [&](std::uint32_t apic_id, std::uint32_t uid, std::uint32_t flags, bool x2) {
    const bool enabled = (flags & kMadtCpuEnabled) != 0;
    const bool capable = (flags & kMadtCpuOnlineCapable) != 0;
    if (!enabled && !capable) {
      ++info.skipped_disabled;
      return;
    }
    for (std::uint32_t i = 0; i < info.cpus; ++i) {
      if (cpus[i].apic_id == apic_id) {
        ++info.duplicates;
        return;
      }
    }
    if (info.cpus >= cpus.size()) {
      ++info.dropped;
      return;
    }
    cpus[info.cpus++] = MadtCpu{apic_id, uid, enabled, capable && !enabled, x2};
  };

  std::size_t off = kMadtFixedSize;
  while (off < t.size()) {
    if (t.size() - off < 2) return AcpiStatus::kBadEntry;
    const std::uint8_t type = u8(t, off);
    const std::uint8_t len = u8(t, off + 1);
    if (len < 2 || len > t.size() - off) return AcpiStatus::kBadEntry;
    const Bytes e = t.subspan(off, len);
    ++info.entries;
    switch (type) {
      case kMadtLocalApic:  // ACPI 6.5 5.2.12.2: uid u8 @2, APIC id u8 @3, flags u32 @4.
        if (len < 8) return AcpiStatus::kBadEntry;
        add(u8(e, 3), u8(e, 2), u32(e, 4), false);
        break;
      case kMadtIoApic:
        if (len < 12) return AcpiStatus::kBadEntry;
        ++info.ioapics;
        break;
      case kMadtLapicOverride:  // 5.2.12.8: 64-bit address @4.
        if (len < 12) return AcpiStatus::kBadEntry;
        info.lapic_address = u64(e, 4);
        break;
      case kMadtLocalX2Apic:  // 5.2.12.12: x2APIC id u32 @4, flags u32 @8, uid u32 @12.
        if (len < 16) return AcpiStatus::kBadEntry;
        add(u32(e, 4), u32(e, 12), u32(e, 8), true);
        break;
      default:
        break;  // Other controllers do not describe CPUs.
    }
    off += len;
  }
  return info.dropped != 0 ? AcpiStatus::kTooMany : AcpiStatus::kOk;
}

}  // namespace lockstep::firmware
