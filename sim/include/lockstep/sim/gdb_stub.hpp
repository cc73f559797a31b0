#pragma once
// A GDB remote stub for the Unicorn machine (GDB manual, Appendix E): every vCPU is a thread,
// the AArch64 core registers, memory, breakpoints, single steps on the chosen vCPU while the
// others run by the seed's schedule, Ctrl-C, and reverse step / reverse continue, which the
// machine does by re-running the seed (emu::unicorn::Debugger).

#include <cstdint>
#include <lockstep/emu/unicorn/debugger.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::sim::gdb {

class Stub {
 public:
  explicit Stub(emu::unicorn::Debugger& debugger) : debugger_(debugger) {}

  /// Answers one packet's payload. Commands that run the machine call `poll` between slices (it
  /// returns true when gdb sent Ctrl-C). `notices` receives console-output packets (`O...`) to
  /// send before the reply. An empty reply is the protocol's "not supported".
  std::string handle(std::string_view packet, const emu::unicorn::StopPoll& poll, std::vector<std::string>& notices);

  /// gdb detached or killed the target: the session is over.
  bool finished() const noexcept { return finished_; }
  /// The peer asked for QStartNoAckMode: no more '+' after this reply.
  bool no_ack() const noexcept { return no_ack_; }

 private:
  std::string query(std::string_view q, std::vector<std::string>& notices);
  std::string stop_reply(const emu::unicorn::DebugStop& s, std::vector<std::string>& notices);
  std::string registers(std::uint32_t cpu) const;
  std::string write_registers(std::string_view hex);
  std::string read_register(std::string_view args) const;
  std::string write_register(std::string_view args);
  std::string read_memory(std::string_view args) const;
  std::string write_memory(std::string_view args);
  std::string breakpoint(std::string_view args, bool on);
  std::string select_thread(std::string_view args);
  std::string monitor(std::string_view hex, std::vector<std::string>& notices);
  /// The vCPU a thread id names (1-based; -1 and 0 name the current one), or -1.
  std::int64_t cpu_of(std::string_view thread) const;

  emu::unicorn::Debugger& debugger_;
  std::uint32_t current_ = 0;  ///< The thread of the last stop, and of g/m/p unless Hg chose.
  std::uint32_t regs_cpu_ = 0;
  std::uint32_t step_cpu_ = 0;
  std::string last_stop_ = "T05thread:1;";  ///< At the first instruction, on vCPU 0.
  bool finished_ = false;
  bool no_ack_ = false;
  bool swbreak_ = false;
  std::uint64_t edits_ = 0;  ///< Register and memory writes (lost by reverse execution).
};

/// The AArch64 target description gdb reads through qXfer:features:read:target.xml.
std::string_view target_xml();

}  // namespace lockstep::sim::gdb
