#pragma once
// gdb (or gdb-multiarch) attached to a stub on 127.0.0.1: the command a user types, or a batch
// script lockstep runs itself (the tests' way in), waited for with a bound.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>

namespace lockstep::sim::cli {

class GdbSession {
 public:
  /// `gdb`: the program; `elf`: the image whose symbols it loads; `port`: the stub's.
  GdbSession(std::string gdb, std::string elf, std::uint16_t port)
      : gdb_(std::move(gdb)), elf_(std::move(elf)), port_(port) {}
  GdbSession(const GdbSession&) = delete;
  GdbSession& operator=(const GdbSession&) = delete;
  ~GdbSession();

  /// The command a user types in another terminal; `then` are more -ex commands after connecting.
  std::string command(const std::string& then = "") const;
  /// Runs `script` in gdb's batch mode against the stub; false if gdb could not be started.
  bool start_batch(const std::string& script);
  /// gdb's exit status once it is done (killed after `grace_seconds` more), or -1.
  int finish(int grace_seconds = 30);

 private:
  std::string gdb_, elf_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace lockstep::sim::cli
