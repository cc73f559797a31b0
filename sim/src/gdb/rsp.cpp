// The Remote Serial Protocol's framing: a byte-at-a-time state machine, so a packet torn across
// reads or a malformed one never needs more than the bytes already seen.

#include <fmt/format.h>

#include <lockstep/sim/gdb_rsp.hpp>

namespace lockstep::sim::gdb {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kDigits[] = "0123456789abcdef";

}  // namespace

std::optional<Incoming> PacketReader::feed(char byte) {
  switch (state_) {
    case State::kIdle:
      if (byte == kInterrupt) return Incoming{Incoming::kInterrupt, {}};
      if (byte == '$') {
        state_ = State::kPayload;
        payload_.clear();
        overlong_ = false;
        sum_ = 0;
      }
      return std::nullopt;  // '+', '-' and anything else between packets.
    case State::kPayload:
    case State::kEscape:
      if (byte == '#' && state_ == State::kPayload) {
        state_ = State::kSum1;
        return std::nullopt;
      }
      if (byte == '$' && state_ == State::kPayload) {  // A new start: the old packet was torn.
        payload_.clear();
        overlong_ = false;
        sum_ = 0;
        return std::nullopt;
      }
      sum_ = static_cast<std::uint8_t>(sum_ + static_cast<std::uint8_t>(byte));
      if (state_ == State::kPayload && byte == '}') {
        state_ = State::kEscape;
        return std::nullopt;
      }
      if (payload_.size() < kMaxPacket) {
        payload_.push_back(state_ == State::kEscape ? static_cast<char>(byte ^ 0x20) : byte);
      } else {
        overlong_ = true;
      }
      state_ = State::kPayload;
      return std::nullopt;
    case State::kSum1:
      given_ = hex_digit(byte) < 0 ? -1 : hex_digit(byte) << 4;
      state_ = State::kSum2;
      return std::nullopt;
    case State::kSum2: {
      state_ = State::kIdle;
      const bool good = given_ >= 0 && hex_digit(byte) >= 0 && (given_ | hex_digit(byte)) == sum_;
      if (!good) return Incoming{Incoming::kBadPacket, {}};
      if (overlong_) return Incoming{Incoming::kOverlong, {}};
      return Incoming{Incoming::kPacket, std::move(payload_)};
    }
  }
  return std::nullopt;
}

std::string frame(std::string_view payload) {
  std::string out = "$";
  std::uint8_t sum = 0;
  for (char c : payload) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      out.push_back('}');
      sum = static_cast<std::uint8_t>(sum + '}');
      c = static_cast<char>(c ^ 0x20);
    }
    out.push_back(c);
    sum = static_cast<std::uint8_t>(sum + static_cast<std::uint8_t>(c));
  }
  out += fmt::format("#{:02x}", sum);
  return out;
}

std::string to_hex(std::span<const std::byte> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    out.push_back(kDigits[std::to_integer<unsigned>(b) >> 4]);
    out.push_back(kDigits[std::to_integer<unsigned>(b) & 15]);
  }
  return out;
}

std::string to_hex(std::string_view text) { return to_hex(std::as_bytes(std::span(text.data(), text.size()))); }

std::string to_hex_le(std::uint64_t value, std::size_t bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i, value >>= 8) {
    out.push_back(kDigits[(value >> 4) & 15]);
    out.push_back(kDigits[value & 15]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

std::optional<std::uint64_t> parse_hex(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : hex) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    value = value << 4 | static_cast<std::uint64_t>(d);
  }
  return value;
}

}  // namespace lockstep::sim::gdb
