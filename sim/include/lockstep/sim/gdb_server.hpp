#pragma once
// The GDB stub on a TCP port of 127.0.0.1: one gdb connection, served until it detaches, kills
// the target, disconnects or stays silent past the idle limit.

#include <chrono>
#include <cstdint>
#include <functional>
#include <lockstep/emu/unicorn/debugger.hpp>
#include <string>

namespace lockstep::sim::gdb {

struct ServeOptions {
  std::uint16_t port = 0;                     ///< 0: a free one (reported through on_listening).
  std::chrono::seconds accept_timeout{3600};  ///< Waiting for gdb to connect.
  std::chrono::seconds idle_timeout{3600};    ///< Waiting for gdb's next packet.
  std::function<void(std::uint16_t port)> on_listening;
};

struct ServeResult {
  bool listened = false;  ///< The port could be bound.
  bool served = false;    ///< gdb connected and the session ended normally.
  std::string error;      ///< Otherwise why not (port taken, timeout, connection lost).
  std::uint64_t packets = 0;
  std::uint64_t bad_packets = 0;  ///< Checksum errors and overlong packets.
};

ServeResult serve(emu::unicorn::Debugger& debugger, const ServeOptions& options);

}  // namespace lockstep::sim::gdb
