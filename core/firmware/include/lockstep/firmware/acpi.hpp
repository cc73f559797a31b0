#pragma once
// Portable, freestanding parsers of the ACPI tables that enumerate CPUs: the RSDP, the root
// tables (RSDT/XSDT) and the MADT. The x86_64 kernel runs exactly this code on the firmware's
// tables and the host unit tests run it on tables compiled by iasl, good and malformed.
//
// Every parser reads only inside the span it is given and checks each length before it uses
// it; a table that lies about its length, is truncated or fails its checksum yields an
// AcpiStatus other than kOk, never a read past the bytes. No allocation, no hosted library.

#include <cstddef>
#include <cstdint>
#include <span>

namespace lockstep::firmware {

using Bytes = std::span<const std::byte>;

enum class AcpiStatus : std::uint8_t {
  kOk,
  kNotFound,       ///< No RSDP in the region, or no table with that signature.
  kTruncated,      ///< Fewer bytes than the structure's fixed part or its length field.
  kBadSignature,
  kBadChecksum,
  kBadLength,      ///< A length field smaller than the structure it describes, or absurd.
  kBadEntry,       ///< A MADT entry whose length is below its type's size or runs past the table.
  kTooMany,        ///< More CPUs than the caller's array holds (the array is filled).
  kUnmapped,       ///< A physical address the memory accessor cannot provide.
};

/// Short lower-case name of a status ("bad-checksum"). Any context.
const char* acpi_status_name(AcpiStatus s) noexcept;

// Sizes and signatures: ACPI 6.5 5.2.5.3 (RSDP), 5.2.6 (header), 5.2.7/5.2.8 (RSDT/XSDT),
// 5.2.12 (MADT).
inline constexpr std::size_t kRsdpV1Size = 20;
inline constexpr std::size_t kRsdpV2Size = 36;
inline constexpr std::size_t kSdtHeaderSize = 36;
inline constexpr std::size_t kMadtFixedSize = 44;
/// Tables larger than this are rejected as lying (the largest real MADTs are a few KiB).
inline constexpr std::size_t kMaxTableSize = 1u << 20;

struct Rsdp {
  std::uint8_t revision = 0;      ///< 0: ACPI 1.0 (RSDT only); 2+: XSDT present.
  std::uint32_t rsdt_address = 0;
  std::uint64_t xsdt_address = 0; ///< 0 when revision < 2.
  char oem_id[7] = {};
};

/// Validates an RSDP at the start of `bytes`: signature "RSD PTR ", the ACPI 1.0 checksum over
/// 20 bytes and, for revision 2+, the length field and the extended checksum.
AcpiStatus parse_rsdp(Bytes bytes, Rsdp& out) noexcept;

/// Scans `region` (which starts at physical address `region_phys`) on 16-byte boundaries for
/// a valid RSDP (ACPI 6.5 5.2.5.1). kNotFound if none; a candidate with the right signature but
/// a bad checksum is skipped (its status is returned when nothing valid follows).
AcpiStatus find_rsdp(Bytes region, std::uint64_t region_phys, std::uint64_t& rsdp_phys) noexcept;

struct SdtHeader {
  char signature[5] = {};
  std::uint32_t length = 0;
  std::uint8_t revision = 0;
  char oem_id[7] = {};
  char oem_table_id[9] = {};
};

/// Validates a table header and checksum. `bytes` must hold the whole table (length field);
/// `signature` (4 characters) is checked unless null.
AcpiStatus parse_sdt(Bytes bytes, const char* signature, SdtHeader& out) noexcept;

/// Access to physical memory: returns exactly [phys, phys + len) or an empty span when that
/// range cannot be read. The kernel maps identity; the tests serve a byte image.
struct PhysMemory {
  Bytes (*map)(void* ctx, std::uint64_t phys, std::size_t len) noexcept;
  void* ctx;
};

/// Reads the table at `phys`: its header first, then exactly its length, then validates it.
AcpiStatus load_table(const PhysMemory& mem, std::uint64_t phys, const char* signature, Bytes& table) noexcept;

/// Finds the first valid table named `signature` through the XSDT (revision 2+ and a non-zero
/// address) or else the RSDT. Tables that fail validation are skipped; if the only candidates
/// with that signature are invalid, their status is returned.
AcpiStatus find_table(const PhysMemory& mem, const Rsdp& rsdp, const char* signature, Bytes& table,
                      bool* used_xsdt = nullptr) noexcept;

/// One processor as the MADT lists it.
struct MadtCpu {
  std::uint32_t apic_id = 0;
  std::uint32_t uid = 0;           ///< ACPI processor UID.
  bool enabled = false;            ///< Flags bit 0: usable now.
  bool online_capable = false;     ///< Flags bit 1 (ACPI 6.3+): may be enabled at run time.
  bool x2apic_entry = false;       ///< Listed by a Local x2APIC entry (type 9).
};

struct MadtInfo {
  std::uint64_t lapic_address = 0;  ///< 32-bit field, or the type-5 override.
  std::uint32_t flags = 0;          ///< Bit 0: PC-AT compatible 8259s present.
  std::uint32_t cpus = 0;           ///< Entries written to the caller's array.
  std::uint32_t skipped_disabled = 0;  ///< Neither enabled nor online capable: not a CPU.
  std::uint32_t duplicates = 0;     ///< Same APIC id listed twice (kept once).
  std::uint32_t dropped = 0;        ///< Did not fit the array (status kTooMany).
  std::uint32_t ioapics = 0;
  std::uint32_t entries = 0;        ///< All interrupt controller structures walked.
};

// MADT entry types and flags: ACPI 6.5 5.2.12.2, 5.2.12.8, 5.2.12.12; Table 5.23.
inline constexpr std::uint8_t kMadtLocalApic = 0;
inline constexpr std::uint8_t kMadtIoApic = 1;
inline constexpr std::uint8_t kMadtLapicOverride = 5;
inline constexpr std::uint8_t kMadtLocalX2Apic = 9;
inline constexpr std::uint32_t kMadtCpuEnabled = 1u << 0;
inline constexpr std::uint32_t kMadtCpuOnlineCapable = 1u << 1;

/// Parses a whole MADT (validated as a table first). CPUs that are enabled or online capable
/// go into `cpus` in table order; disabled ones are counted and skipped. On kTooMany the
/// array holds the first cpus.size() CPUs. Any other non-kOk status: `info`/`cpus` partial.
AcpiStatus parse_madt(Bytes table, MadtInfo& info, std::span<MadtCpu> cpus) noexcept;

}  // namespace lockstep::firmware
