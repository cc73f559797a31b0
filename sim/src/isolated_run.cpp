#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/isolated_run.hpp>

namespace lockstep::sim {
namespace {

/// The fixed part of the child's report; the reason and the decisions follow.
struct Header {
  std::uint32_t passed;
  std::uint32_t status;
  std::uint64_t steps, progress_steps, focus_steps, event_hash;
  std::uint64_t reason_len, decision_count;
};

bool write_all(int fd, const void* data, std::size_t len) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = ::write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string read_all(int fd) {
  std::string out;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

[[noreturn]] void child(int fd, const RunOptions& options) {
  const IsolatedRun r = run_here(options);
  const Header h{r.passed ? 1u : 0u, static_cast<std::uint32_t>(r.status), r.steps, r.progress_steps, r.focus_steps, r.event_hash,
                 r.reason.size(), r.decisions.size()};
  const bool ok = write_all(fd, &h, sizeof h) && write_all(fd, r.reason.data(), r.reason.size()) &&
                  write_all(fd, r.decisions.data(), r.decisions.size() * sizeof(emu::Decision));
  ::_exit(ok ? 0 : 3);
}

}  // namespace

IsolatedRun run_here(const RunOptions& options) {
  const ScenarioRun run = run_scenario(options);
  IsolatedRun r;
  r.completed = true;
  r.passed = run.passed;
  r.reason = run.reason;
  r.status = run.machine.status;
  r.steps = run.machine.steps;
  r.progress_steps = run.machine.progress_steps;
  r.focus_steps = run.machine.focus_steps;
  r.event_hash = run.machine.event_hash;
  r.decisions = run.machine.decisions;
  return r;
}

IsolatedRun run_isolated(const RunOptions& options) {
  int fds[2];
  if (::pipe(fds) != 0) throw InputError(fmt::format("pipe: {}", std::strerror(errno)));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw InputError(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1], options);
  }
  ::close(fds[1]);
  const std::string data = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  IsolatedRun r;
  Header h{};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || data.size() < sizeof h) {
    r.reason = WIFSIGNALED(status) ? fmt::format("the run's process was killed by signal {} ({})", WTERMSIG(status),
                                                 strsignal(WTERMSIG(status)))
                                   : fmt::format("the run's process exited with status {}", WEXITSTATUS(status));
    return r;
  }
  std::memcpy(&h, data.data(), sizeof h);
  if (data.size() != sizeof h + h.reason_len + h.decision_count * sizeof(emu::Decision)) {
    r.reason = "the run's process sent a short report";
    return r;
  }
  r.completed = true;
  r.passed = h.passed != 0;
  r.status = static_cast<emu::RunStatus>(h.status);
  r.steps = h.steps;
  r.progress_steps = h.progress_steps;
  r.focus_steps = h.focus_steps;
  r.event_hash = h.event_hash;
  r.reason.assign(data.data() + sizeof h, h.reason_len);
  r.decisions.resize(h.decision_count);
  if (h.decision_count != 0) {  // memcpy's pointers must be valid even for zero bytes
    std::memcpy(r.decisions.data(), data.data() + sizeof h + h.reason_len, h.decision_count * sizeof(emu::Decision));
  }
  return r;
}

}  // namespace lockstep::sim
