// The stub's commands (GDB manual E.1 "Packets", E.3 "Stop Reply Packets", E.4 "General Query
// Packets"). Error replies use errno numbers as gdbserver does: E01 a bad argument, E0e (EFAULT)
// memory outside RAM, E16 (EINVAL) a malformed packet.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <lockstep/sim/gdb_rsp.hpp>
#include <lockstep/sim/gdb_stub.hpp>

namespace lockstep::sim::gdb {
namespace {

namespace uc = emu::unicorn;

constexpr std::string_view kBadArgument = "E01", kBadAddress = "E0e", kMalformed = "E16";
constexpr std::size_t kConsoleTail = 64 * 1024;  // Console forwarded per stop, at most.

bool starts(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// "addr,len" (and what follows a ':' in `rest`).
struct Range {
  std::uint64_t addr = 0, len = 0;
  std::string_view rest;
};
std::optional<Range> parse_range(std::string_view args) {
  const auto comma = args.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto colon = args.find(':', comma);
  auto addr = parse_hex(args.substr(0, comma));
  auto len = parse_hex(args.substr(comma + 1, colon == std::string_view::npos ? args.npos : colon - comma - 1));
  if (!addr || !len) return std::nullopt;
  return Range{*addr, *len, colon == std::string_view::npos ? std::string_view{} : args.substr(colon + 1)};
}

std::string target_description() {
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
      "<architecture>aarch64</architecture>\n<feature name=\"org.gnu.gdb.aarch64.core\">\n";
  for (int i = 0; i <= 30; ++i) xml += fmt::format("<reg name=\"x{}\" bitsize=\"64\"/>\n", i);
  xml +=
      "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n"
      "<reg name=\"cpsr\" bitsize=\"32\"/>\n</feature>\n</target>\n";
  return xml;
}

std::size_t register_bytes(std::size_t reg) { return reg == uc::kRegCpsr ? 4 : 8; }

/// A register's value from its bytes on the wire (little-endian, as to_hex_le writes them).
std::uint64_t little_endian(const std::string& bytes) {
  std::uint64_t value = 0;
  for (std::size_t b = bytes.size(); b-- > 0;) value = value << 8 | static_cast<std::uint8_t>(bytes[b]);
  return value;
}

/// Console text as `O` packets, each within the packet size.
void console_notices(std::string text, std::vector<std::string>& notices) {
  if (text.size() > kConsoleTail) text = "[...]\n" + text.substr(text.size() - kConsoleTail);
  constexpr std::size_t kChunk = kMaxPacket / 2 - 1;
  for (std::size_t at = 0; at < text.size(); at += kChunk) notices.push_back("O" + to_hex(text.substr(at, kChunk)));
}

}  // namespace

std::string_view target_xml() {
  static const std::string xml = target_description();
  return xml;
}

std::string Stub::handle(std::string_view p, const uc::StopPoll& poll, std::vector<std::string>& notices) {
  if (p.empty()) return "";
  const std::string_view args = p.substr(1);
  switch (p[0]) {
    case '?':
      return last_stop_;
    case 'g':
      return registers(regs_cpu_);
    case 'G':
      return write_registers(args);
    case 'p':
      return read_register(args);
    case 'P':
      return write_register(args);
    case 'm':
      return read_memory(args);
    case 'M':
      return write_memory(args);
    case 'Z':
      return breakpoint(args, true);
    case 'z':
      return breakpoint(args, false);
    case 'H':
      return select_thread(args);
    case 'T':
      return cpu_of(args) >= 0 ? "OK" : std::string(kBadArgument);  // Every vCPU is a thread, on or off.
    case 'c':
    case 'C':
      return stop_reply(debugger_.resume(poll), notices);
    case 's':
    case 'S':
      return stop_reply(debugger_.step(step_cpu_, poll), notices);
    case 'b':
      if (p == "bs") return stop_reply(debugger_.reverse_step(step_cpu_), notices);
      if (p == "bc") return stop_reply(debugger_.reverse_resume(), notices);
      return "";
    case 'D':
    case 'k':
      finished_ = true;
      return "OK";
    case 'q':
    case 'Q':
      return query(p, notices);
    case 'v':
      if (starts(p, "vKill")) {
        finished_ = true;
        return "OK";
      }
      return "";  // vCont, vMustReplyEmpty, vFile...: gdb falls back to Hc with s and c.
    default:
      return "";
  }
}

std::string Stub::query(std::string_view q, std::vector<std::string>& notices) {
  if (starts(q, "qSupported")) {
    swbreak_ = q.find("swbreak+") != std::string_view::npos;
    return fmt::format("PacketSize={:x};qXfer:features:read+;QStartNoAckMode+;ReverseStep+;ReverseContinue+{}",
                       kMaxPacket, swbreak_ ? ";swbreak+" : "");
  }
  if (q == "QStartNoAckMode") {
    no_ack_ = true;
    return "OK";
  }
  if (starts(q, "qXfer:features:read:target.xml:")) {
    auto r = parse_range(q.substr(std::string_view("qXfer:features:read:target.xml:").size()));
    if (!r) return std::string(kMalformed);
    const std::string_view xml = target_xml();
    if (r->addr >= xml.size()) return "l";
    const std::string_view part = xml.substr(r->addr, std::min<std::uint64_t>(r->len, kMaxPacket / 2));
    return (r->addr + part.size() < xml.size() ? "m" : "l") + std::string(part);
  }
  if (starts(q, "qXfer:")) return "";
  if (q == "qAttached") return "1";
  if (q == "qC") return fmt::format("QC{:x}", current_ + 1);
  if (q == "qfThreadInfo") {
    std::string ids = "m";
    for (std::uint32_t c = 0; c < debugger_.cpus(); ++c) ids += fmt::format("{}{:x}", c == 0 ? "" : ",", c + 1);
    return ids;
  }
  if (q == "qsThreadInfo") return "l";
  if (starts(q, "qThreadExtraInfo,")) {
    const std::int64_t cpu = cpu_of(q.substr(std::string_view("qThreadExtraInfo,").size()));
    if (cpu < 0) return std::string(kBadArgument);
    const auto c = static_cast<std::uint32_t>(cpu);
    return to_hex(fmt::format("vCPU {}, {}, {} instructions", c, debugger_.cpu_state(c), debugger_.executed(c)));
  }
  if (starts(q, "qRcmd,")) return monitor(q.substr(6), notices);
  if (starts(q, "qSymbol")) return "OK";
  return "";  // qOffsets, qTStatus, QNonStop, ...: not supported.
}

std::string Stub::monitor(std::string_view hex, std::vector<std::string>& notices) {
  const auto command = from_hex(hex);
  if (!command) return std::string(kMalformed);
  std::string text;
  if (*command == "vcpus" || *command == "info") {
    for (std::uint32_t c = 0; c < debugger_.cpus(); ++c)
      text += fmt::format("vCPU {} (thread {}): {:<18} {:>12} instructions  pc {:#x}\n", c, c + 1,
                          debugger_.cpu_state(c), debugger_.executed(c), debugger_.registers(c)[uc::kRegPc]);
    text +=
        fmt::format("{} re-executions of the seed so far; {} writes by the debugger (reverse execution drops them)\n",
                    debugger_.reexecutions(), edits_);
  } else {
    text = "lockstep monitor commands: vcpus (every vCPU's state, instruction count and pc)\n";
  }
  notices.push_back("O" + to_hex(text));
  return "OK";
}

std::string Stub::stop_reply(const uc::DebugStop& s, std::vector<std::string>& notices) {
  current_ = regs_cpu_ = step_cpu_ = s.cpu;
  console_notices(debugger_.take_console(), notices);
  const std::string thread = fmt::format("thread:{:x};", s.cpu + 1);
  switch (s.kind) {
    case uc::StopKind::kBreakpoint:
      last_stop_ = "T05" + thread + (swbreak_ ? "swbreak:;" : "");
      break;
    case uc::StopKind::kStep:
      last_stop_ = "T05" + thread;
      break;
    case uc::StopKind::kInterrupted:
      last_stop_ = "T02" + thread;
      break;
    case uc::StopKind::kBeginning:
      last_stop_ = "T05replaylog:begin;" + thread;
      break;
    case uc::StopKind::kEnded: {
      const uc::Result& r = debugger_.result();
      notices.push_back("O" + to_hex(fmt::format("lockstep: the machine stopped: {}\n", r.report)));
      last_stop_ = "T05replaylog:end;" + thread;
      break;
    }
  }
  return last_stop_;
}

std::string Stub::registers(std::uint32_t cpu) const {
  const auto values = debugger_.registers(cpu);
  std::string out;
  for (std::size_t i = 0; i < uc::kCoreRegisters; ++i) out += to_hex_le(values[i], register_bytes(i));
  return out;
}

std::string Stub::write_registers(std::string_view hex) {
  // Every register decoded before any is written: a malformed packet changes nothing.
  std::array<std::uint64_t, uc::kCoreRegisters> values{};
  std::size_t at = 0;
  for (std::size_t i = 0; i < uc::kCoreRegisters; ++i) {
    const std::size_t digits = 2 * register_bytes(i);
    const auto bytes = from_hex(hex.substr(at, digits));
    if (!bytes || bytes->size() != register_bytes(i)) return std::string(kMalformed);
    values[i] = little_endian(*bytes);
    at += digits;
  }
  for (std::size_t i = 0; i < uc::kCoreRegisters; ++i) debugger_.set_register(regs_cpu_, i, values[i]);
  ++edits_;
  return "OK";
}

std::string Stub::read_register(std::string_view args) const {
  const auto reg = parse_hex(args);
  if (!reg) return std::string(kMalformed);
  if (*reg >= uc::kCoreRegisters) return std::string(kBadArgument);
  return to_hex_le(debugger_.registers(regs_cpu_)[*reg], register_bytes(*reg));
}

std::string Stub::write_register(std::string_view args) {
  const auto eq = args.find('=');
  if (eq == std::string_view::npos) return std::string(kMalformed);
  const auto reg = parse_hex(args.substr(0, eq));
  const auto bytes = from_hex(args.substr(eq + 1));
  if (!reg || !bytes) return std::string(kMalformed);
  if (*reg >= uc::kCoreRegisters || bytes->size() != register_bytes(*reg)) return std::string(kBadArgument);
  if (!debugger_.set_register(regs_cpu_, *reg, little_endian(*bytes))) return std::string(kBadArgument);
  ++edits_;
  return "OK";
}

std::string Stub::read_memory(std::string_view args) const {
  const auto r = parse_range(args);
  if (!r || !r->rest.empty() || args.find(':') != std::string_view::npos) return std::string(kMalformed);
  if (r->len > kMaxPacket / 2) return std::string(kBadArgument);
  std::vector<std::byte> bytes(r->len);
  if (!debugger_.read_memory(r->addr, bytes)) return std::string(kBadAddress);
  return to_hex(bytes);
}

std::string Stub::write_memory(std::string_view args) {
  const auto r = parse_range(args);
  if (!r || args.find(':') == std::string_view::npos) return std::string(kMalformed);
  const auto bytes = from_hex(r->rest);
  if (!bytes || bytes->size() != r->len) return std::string(kMalformed);
  if (!debugger_.write_memory(r->addr, std::as_bytes(std::span(bytes->data(), bytes->size()))))
    return std::string(kBadAddress);
  ++edits_;
  return "OK";
}

std::string Stub::breakpoint(std::string_view args, bool on) {
  // Z0 (software) and Z1 (hardware) are the same here: checked before each instruction, never
  // written into guest memory, so the guest's own brk and memory reads are undisturbed.
  if (args.empty() || (args[0] != '0' && args[0] != '1')) return "";  // Watchpoints: not supported.
  if (args.size() < 2 || args[1] != ',') return std::string(kMalformed);
  const auto r = parse_range(args.substr(2));
  if (!r) return std::string(kMalformed);
  debugger_.set_breakpoint(r->addr, on);
  return "OK";
}

std::string Stub::select_thread(std::string_view args) {
  if (args.empty() || (args[0] != 'g' && args[0] != 'c')) return std::string(kMalformed);
  const std::int64_t cpu = cpu_of(args.substr(1));
  if (cpu < 0) return std::string(kBadArgument);
  (args[0] == 'g' ? regs_cpu_ : step_cpu_) = static_cast<std::uint32_t>(cpu);
  return "OK";
}

std::int64_t Stub::cpu_of(std::string_view thread) const {
  if (thread == "-1" || thread == "0") return current_;
  const auto id = parse_hex(thread);
  if (!id || *id == 0 || *id > debugger_.cpus()) return -1;
  return static_cast<std::int64_t>(*id - 1);
}

}  // namespace lockstep::sim::gdb
