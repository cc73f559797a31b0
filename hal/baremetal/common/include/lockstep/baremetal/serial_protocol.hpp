#pragma once
// The serial protocol of the bare-metal kernels, defined once for both kernels (which write it)
// and the host runner (which parses it). Header-only and freestanding: the kernels and the
// hosted sim/ include the same definitions. The format is documented in docs/BAREMETAL.md.
//
// Every machine-readable line starts with "LOCKSTEP " and is written by one console_write():
//   LOCKSTEP BOOT arch=<arch> protocol=<n> trace-format=<n> cpus=<platform cpus>
//   LOCKSTEP STAGE <name>                         progress (the host reports the last one)
//   LOCKSTEP CPU <id> hw=<hex> <state>            after boot_aps(), one per platform CPU
//   LOCKSTEP ONLINE <online> <enabled>            after boot_aps()
//   LOCKSTEP RESULT <workload> PASS|FAIL <reason> one per built-in workload
//   LOCKSTEP IPI-BENCH round-trip=<c> self=<c> ratio=<r> samples=<n> hz=<f>
//                                                 lockstep.ipi_bench only, instead of RESULT lines:
//                                                 medians in cycle_counter() ticks (f per second)
//   LOCKSTEP IPI-BENCH FAIL <reason>              the benchmark could not run (one CPU, no answer)
//   LOCKSTEP REPORT BEGIN ... LOCKSTEP REPORT END the core's report between the markers
//   LOCKSTEP TRACE BEGIN cpus=<n> format=<n>
//   LOCKSTEP TRACE CPU <cpu> records=<n> lost=<n>
//   LOCKSTEP TRACE D <base64 of up to kTraceRecordsPerLine records>
//   LOCKSTEP TRACE CPU-END <cpu> crc32=<8 hex digits over the raw record bytes>
//   LOCKSTEP TRACE END
//   LOCKSTEP FAULT ... / LOCKSTEP PANIC <message>
//   LOCKSTEP LOCKUP <report>                      the spin watchdog (core BootConfig::lockup_cycles)
//   LOCKSTEP END PASS|FAIL
// Other text (the verbose enumeration, the core's own messages) may appear between lines.

#include <cstddef>
#include <cstdint>

namespace lockstep::baremetal::protocol {

inline constexpr std::uint32_t kVersion = 1;
inline constexpr char kLinePrefix[] = "LOCKSTEP ";

// The words: a line's kind follows the prefix; BEGIN/END and PASS/FAIL follow some kinds. The
// kernels write and the host parses these, and nothing else.
inline constexpr char kBoot[] = "BOOT";
inline constexpr char kStage[] = "STAGE";
inline constexpr char kCpu[] = "CPU";
inline constexpr char kOnline[] = "ONLINE";
inline constexpr char kResult[] = "RESULT";
inline constexpr char kIpiBench[] = "IPI-BENCH";
inline constexpr char kReport[] = "REPORT";
inline constexpr char kTrace[] = "TRACE";
inline constexpr char kTraceData[] = "D";          ///< TRACE D <base64>
inline constexpr char kTraceCpuEnd[] = "CPU-END";  ///< TRACE CPU-END <cpu> crc32=<hex>
inline constexpr char kBegin[] = "BEGIN";
inline constexpr char kEnd[] = "END";
inline constexpr char kPass[] = "PASS";
inline constexpr char kFail[] = "FAIL";
// Problems: any of them fails the run (FAULT, PANIC, LOCKUP) or is reported with it.
inline constexpr char kFault[] = "FAULT";
inline constexpr char kPanic[] = "PANIC";
inline constexpr char kLockup[] = "LOCKUP";
inline constexpr char kError[] = "ERROR";
inline constexpr char kWarning[] = "WARNING";
inline constexpr char kApicError[] = "APIC-ERROR";
inline constexpr const char* kProblemWords[] = {kFault, kPanic, kLockup, kError, kWarning, kApicError};

/// Records per "TRACE D" line: 16 records = 384 bytes = 512 base64 characters. Every byte of the
/// console costs QEMU a write to its character device (about 1.3 us under TCG), so the dump is
/// most of a short boot; at 3 records a line the line's prefix alone was 16 % of it.
inline constexpr std::size_t kTraceRecordsPerLine = 16;

/// Process exit statuses of a finished run. x86_64 reaches them through isa-debug-exit
/// (status = value * 2 + 1), arm64 through semihosting SYS_EXIT.
inline constexpr int kExitPass = 33;
inline constexpr int kExitFail = 35;

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the same as zlib's crc32().
/// Start with crc = 0; feed chunks in order.
constexpr std::uint32_t crc32_update(std::uint32_t crc, const unsigned char* data, std::size_t len) noexcept {
  crc = ~crc;
  for (std::size_t i = 0; i < len; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Characters base64_encode writes for `len` bytes.
constexpr std::size_t base64_size(std::size_t len) noexcept { return 4 * ((len + 2) / 3); }

/// Encodes `len` bytes as standard base64 with '=' padding into `out` (capacity >=
/// base64_size(len)). Returns the characters written (no terminator).
constexpr std::size_t base64_encode(const unsigned char* in, std::size_t len, char* out) noexcept {
  std::size_t o = 0;
  for (std::size_t i = 0; i < len; i += 3) {
    const std::uint32_t b0 = in[i];
    const std::uint32_t b1 = i + 1 < len ? in[i + 1] : 0;
    const std::uint32_t b2 = i + 2 < len ? in[i + 2] : 0;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out[o++] = kBase64Alphabet[(v >> 18) & 63];
    out[o++] = kBase64Alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < len ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? kBase64Alphabet[v & 63] : '=';
  }
  return o;
}

/// Value of a base64 character, or -1.
constexpr int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// Decodes base64 text (length a multiple of 4, '=' padding only at the end) into `out`
/// (capacity `cap`). Returns the bytes written, or -1 on malformed input or overflow.
constexpr long base64_decode(const char* in, std::size_t len, unsigned char* out, std::size_t cap) noexcept {
  if (len % 4 != 0) return -1;
  std::size_t o = 0;
  for (std::size_t i = 0; i < len; i += 4) {
    int v[4] = {};
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=') {
        if (i + 4 != len || k < 2) return -1;
        ++pad;
        v[k] = 0;
        continue;
      }
      if (pad != 0) return -1;
      v[k] = base64_value(c);
      if (v[k] < 0) return -1;
    }
    const std::uint32_t bits = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) | (std::uint32_t(v[2]) << 6) | std::uint32_t(v[3]);
    const int n = 3 - pad;
    if (o + static_cast<std::size_t>(n) > cap) return -1;
    out[o++] = static_cast<unsigned char>(bits >> 16);
    if (n > 1) out[o++] = static_cast<unsigned char>(bits >> 8);
    if (n > 2) out[o++] = static_cast<unsigned char>(bits);
  }
  return static_cast<long>(o);
}

inline constexpr unsigned char kCrcCheckInput[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
static_assert(crc32_update(0, kCrcCheckInput, 9) == 0xCBF43926u, "CRC-32 check value (zlib)");

}  // namespace lockstep::baremetal::protocol
