#pragma once
// The GDB Remote Serial Protocol's framing (GDB manual, "Overview" of Appendix E): packets
// `$payload#cc` with a modulo-256 checksum in two hex digits, `}` escaping, `+`/`-`
// acknowledgements, and the bare 0x03 byte by which gdb interrupts a running target.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lockstep::sim::gdb {

/// The largest payload accepted (and announced in qSupported as PacketSize).
inline constexpr std::size_t kMaxPacket = 0x4000;
inline constexpr char kInterrupt = 0x03;

/// What the reader found in the byte stream.
struct Incoming {
  enum Kind : std::uint8_t {
    kPacket,     ///< A well-formed packet: `payload` (unescaped). Acknowledge with '+'.
    kBadPacket,  ///< Wrong checksum or not hex: answer '-' so gdb sends it again.
    kOverlong,   ///< Longer than kMaxPacket: discarded; answer with an error reply.
    kInterrupt,  ///< Ctrl-C.
  } kind;
  std::string payload;
};

/// Splits a byte stream into packets; bytes between packets (acks, noise) are skipped.
class PacketReader {
 public:
  /// Feeds one byte; returns an event when one is complete.
  std::optional<Incoming> feed(char byte);

 private:
  enum class State : std::uint8_t { kIdle, kPayload, kEscape, kSum1, kSum2 };
  State state_ = State::kIdle;
  std::string payload_;
  bool overlong_ = false;
  std::uint8_t sum_ = 0;
  int given_ = 0;  // The checksum's digits as received (-1: not hex).
};

/// `$payload#cc`, escaping the bytes the protocol reserves.
std::string frame(std::string_view payload);

std::string to_hex(std::span<const std::byte> bytes);
std::string to_hex(std::string_view text);
/// Little-endian hex of the low `bytes` bytes of `value` (register values on the wire).
std::string to_hex_le(std::uint64_t value, std::size_t bytes);
/// Hex digits to bytes; nullopt on an odd length or a non-hex digit.
std::optional<std::string> from_hex(std::string_view hex);
/// A hex number (no prefix, at most 16 digits); nullopt otherwise.
std::optional<std::uint64_t> parse_hex(std::string_view hex);

}  // namespace lockstep::sim::gdb
