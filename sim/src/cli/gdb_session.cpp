#include "gdb_session.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <lockstep/sim/repro.hpp>
#include <utility>
#include <vector>

extern char** environ;

namespace lockstep::sim::cli {

GdbSession::~GdbSession() {
  if (pid_ > 0) finish(0);
}

std::string GdbSession::command(const std::string& then) const {
  return fmt::format("{} {} -ex 'target remote 127.0.0.1:{}'{}", gdb_, shell_quote(elf_), port_,
                     then.empty() ? "" : " " + then);
}

bool GdbSession::start_batch(const std::string& script) {
  const std::string target = fmt::format("target remote 127.0.0.1:{}", port_);
  std::vector<std::string> args = {gdb_,  "--batch", "-nx", "-ex",  "set tcp connect-timeout 30",
                                   "-ex", target,    "-x",  script, elf_};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawnp(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) == 0) return true;
  pid_ = -1;
  return false;
}

int GdbSession::finish(int grace_seconds) {
  if (pid_ <= 0) return -1;
  const pid_t pid = std::exchange(pid_, -1);
  int status = 0;
  for (int i = 0; i < grace_seconds * 10; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    usleep(100'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

}  // namespace lockstep::sim::cli
