// Worker processes for explore. Each worker runs its stripe of the shard's seeds in order and
// writes one fixed-size message per run to its pipe; the parent polls the pipes, shows
// progress, and stops everyone at the first failure unless asked to keep going.

#include <limits.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <lockstep/sim/atomic_file.hpp>
#include <lockstep/sim/lock_facts.hpp>

#include "explore.hpp"

namespace lockstep::sim::cli {
namespace {

constexpr std::size_t kReasonBytes = 2048;  // A whole report: the message stays below PIPE_BUF.

/// One run's result on the wire (below PIPE_BUF, so every write is atomic).
/// A run's verdict, or a fact the run's lock validator learned (sent before the verdict, so the
/// parent merges the graphs of all workers: lock_facts.hpp).
enum class MessageKind : std::uint32_t { kVerdict, kLockFact };
struct Message {
  MessageKind kind;
  std::uint32_t passed;       ///< kVerdict. (kLockFact: the fact's kind.)
  std::uint64_t seed;         ///< kVerdict: the seed. (kLockFact: the run that saw it.)
  std::uint64_t time;         ///< kLockFact: the clock of the CPU that saw it.
  std::uint32_t cpu;          ///< kLockFact: that CPU.
  std::uint32_t reason_len;
  char reason[kReasonBytes];  ///< kVerdict: why it failed. (kLockFact: "lock\0then\0file\0line".)
};
static_assert(sizeof(Message) <= PIPE_BUF);

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

Message message_for(std::uint64_t seed, const std::string& reason) {
  Message m{};
  m.kind = MessageKind::kVerdict;
  m.seed = seed;
  m.passed = reason.empty() ? 1 : 0;
  m.reason_len = static_cast<std::uint32_t>(std::min(reason.size(), kReasonBytes));
  std::memcpy(m.reason, reason.data(), m.reason_len);
  return m;
}

Message message_for(const LockFact& f) {
  Message m{};
  m.kind = MessageKind::kLockFact;
  m.passed = static_cast<std::uint32_t>(f.kind);
  m.seed = f.run;
  m.time = f.time;
  m.cpu = f.cpu;
  const std::string names = f.lock + '\0' + f.then + '\0' + f.file + '\0' + std::to_string(f.line);
  m.reason_len = static_cast<std::uint32_t>(std::min(names.size(), kReasonBytes));
  std::memcpy(m.reason, names.data(), m.reason_len);
  return m;
}

LockFact fact_of(const Message& m) {
  LockFact f;
  f.kind = static_cast<core::LockdepFactKind>(std::min<std::uint32_t>(m.passed, 3));
  f.run = m.seed;
  f.time = m.time;
  f.cpu = m.cpu;
  const std::string names(m.reason, std::min<std::size_t>(m.reason_len, kReasonBytes));
  std::vector<std::string> parts(4);
  for (std::size_t i = 0, from = 0; i < parts.size() && from <= names.size(); ++i) {
    const std::size_t cut = std::min(names.find('\0', from), names.size());
    parts[i] = names.substr(from, cut - from);
    from = cut + 1;
  }
  f.lock = parts[0];
  f.then = parts[1];
  f.file = parts[2];
  f.line = static_cast<std::uint32_t>(std::strtoul(parts[3].c_str(), nullptr, 10));
  return f;
}

/// Exit status of a run process that stopped at a failure and wants a fresh successor.
constexpr int kFailedContinue = 10;

/// A worker never runs a seed itself: a child process runs its seeds until one fails (which may
/// leave the scenario's state behind: isolated_run.hpp), and the next seeds go to a fresh child.
/// A child that dies is reported as the failure of the seed it was running.
[[noreturn]] void worker(int fd, const SeedRunner& run, const SeedPlan& plan, unsigned index, unsigned jobs, bool keep_going) {
  void* shared = ::mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) ::_exit(3);
  auto& next = *static_cast<volatile std::uint64_t*>(shared);  // Written by the child, read after it exits.
  next = index;
  while (next < plan.shard_runs()) {
    const pid_t pid = ::fork();
    if (pid < 0) ::_exit(3);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // Stopped with its worker (the sweep's first failure).
      if (::getppid() == 1) ::_exit(0);
      std::uint32_t facts_sent = 0;
      for (std::uint64_t j = next; j < plan.shard_runs(); j += jobs) {
        next = j;
        const std::string reason = run(plan.seed(j));
        for (const LockFact& f : new_lock_facts(facts_sent))
          if (const Message fm = message_for(f); !write_all(fd, &fm, sizeof fm)) ::_exit(3);
        const Message m = message_for(plan.seed(j), reason);
        if (!write_all(fd, &m, sizeof m)) ::_exit(3);
        next = j + jobs;
        if (!reason.empty()) ::_exit(keep_going ? kFailedContinue : 0);
      }
      ::_exit(0);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kFailedContinue) continue;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    const std::string how = WIFSIGNALED(status)
                                ? fmt::format("run process killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)))
                                : fmt::format("run process exited with status {}", WEXITSTATUS(status));
    const Message m = message_for(plan.seed(next), how);
    if (!write_all(fd, &m, sizeof m)) ::_exit(3);
    next = next + jobs;
    if (!keep_going) break;
  }
  ::_exit(0);
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  unsigned index = 0;
  std::uint64_t next_j = 0;  ///< Shard index of the run it works on now.
  std::string buffer;
};

class Progress {
 public:
  explicit Progress(std::uint64_t total) : total_(total), tty_(::isatty(STDERR_FILENO) != 0), start_(now()) {}

  void update(std::uint64_t done, std::size_t failures, bool final) {
    const double t = now() - start_;
    if (!final && t - last_ < (tty_ ? 0.2 : 5.0)) return;
    last_ = t;
    const double rate = t > 0 ? static_cast<double>(done) / t : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0;
    const std::string line = fmt::format("explore: {}/{} runs, {} failures, {:.0f} runs/s, ETA {:.0f}s", done, total_,
                                         failures, rate, eta);
    if (tty_) {
      fmt::print(stderr, "\r{:<79}{}", line, final ? "\n" : "");
    } else {
      fmt::print(stderr, "{}\n", line);
    }
  }
  double elapsed() const { return now() - start_; }

 private:
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  std::uint64_t total_;
  bool tty_;
  double start_;
  double last_ = -1;
};

}  // namespace

bool add_failure(std::vector<ExploreFailure>& failures, std::uint64_t seed, std::string reason, bool verdict) {
  for (ExploreFailure& f : failures) {
    if (f.seed != seed) continue;
    if (verdict) f.reason = std::move(reason);
    return false;
  }
  failures.push_back({seed, std::move(reason)});
  return true;
}

ExploreOutcome explore(const RunOptions& base, const SeedPlan& plan, unsigned jobs, bool keep_going) {
  RunOptions options = base;
  options.trace_records_per_cpu = 64;  // Rings do not affect the schedule; keep them cache-sized.
  return explore(
      [options](std::uint64_t seed) mutable {
        options.machine.seed = seed;
        const ScenarioRun run = run_scenario(options);
        return run.passed ? std::string() : run.reason;
      },
      plan, jobs, keep_going);
}

ExploreOutcome explore(const SeedRunner& run, const SeedPlan& plan, unsigned jobs, bool keep_going) {
  ExploreOutcome out;
  const std::uint64_t total = plan.shard_runs();
  jobs = static_cast<unsigned>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(jobs, total)));
  Progress progress(total);
  std::vector<Worker> workers;
  std::fflush(stdout);
  std::fflush(stderr);
  for (unsigned w = 0; w < jobs && total > 0; ++w) {
    int fds[2];
    if (::pipe(fds) != 0) throw InputError(fmt::format("pipe: {}", std::strerror(errno)));
    const pid_t pid = ::fork();
    if (pid < 0) throw InputError(fmt::format("fork: {}", std::strerror(errno)));
    if (pid == 0) {
      ::close(fds[0]);
      for (const auto& other : workers) ::close(other.fd);
      worker(fds[1], run, plan, w, jobs, keep_going);
    }
    ::close(fds[1]);
    workers.push_back(Worker{pid, fds[0], w, w, {}});
  }

  bool stop = false;
  // A report of the merged lock graph stops the sweep only a few runs later: the workers' own
  // verdicts may still show the same fault within one run, which is the better witness.
  std::uint64_t stop_at = ~std::uint64_t{0};
  auto fail = [&](std::uint64_t seed, std::string reason, bool verdict = true) {
    if (!add_failure(out.failures, seed, std::move(reason), verdict) || keep_going) return;
    if (verdict) stop = true;
    stop_at = std::min<std::uint64_t>(stop_at, out.completed + 2 * jobs);
  };
  core::lockdep_forget();  // This process's graph becomes the union of the workers' graphs.
  std::size_t open = workers.size();
  while (open > 0 && !stop) {
    std::vector<pollfd> fds;
    std::vector<Worker*> owners;
    for (auto& w : workers)
      if (w.fd >= 0) {
        fds.push_back({w.fd, POLLIN, 0});
        owners.push_back(&w);
      }
    const int ready = ::poll(fds.data(), fds.size(), 200);
    if (ready < 0 && errno != EINTR) throw InputError(fmt::format("poll: {}", std::strerror(errno)));
    for (std::size_t i = 0; i < fds.size() && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      Worker& w = *owners[i];
      char chunk[8192];
      const ssize_t n = ::read(w.fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        w.buffer.append(chunk, static_cast<std::size_t>(n));
        while (w.buffer.size() >= sizeof(Message)) {
          Message m;
          std::memcpy(&m, w.buffer.data(), sizeof m);
          w.buffer.erase(0, sizeof m);
          if (m.kind == MessageKind::kLockFact) {
            const LockFact fact = fact_of(m);
            if (const std::string report = merge_lock_facts({fact}); !report.empty())
              fail(fact.run, "lockdep: " + report, /*verdict=*/false);
            continue;
          }
          if (++out.completed >= stop_at) stop = true;
          w.next_j += jobs;
          if (!m.passed) fail(m.seed, std::string(m.reason, std::min<std::size_t>(m.reason_len, kReasonBytes)));
        }
        continue;
      }
      // End of the pipe: the worker finished, or died while running seed next_j.
      ::close(w.fd);
      w.fd = -1;
      --open;
      int status = 0;
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
      w.pid = -1;
      const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!clean && w.next_j < total) {
        const std::string how = WIFSIGNALED(status) ? fmt::format("killed by signal {} ({})", WTERMSIG(status),
                                                                  strsignal(WTERMSIG(status)))
                                                    : fmt::format("exited with status {}", WEXITSTATUS(status));
        ++out.completed;
        fail(plan.seed(w.next_j), fmt::format("worker process {}", how));
      }
    }
    progress.update(out.completed, out.failures.size(), false);
  }
  for (auto& w : workers) {
    if (w.pid > 0) {
      ::kill(w.pid, SIGKILL);
      while (::waitpid(w.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (w.fd >= 0) ::close(w.fd);
  }
  std::uint32_t cursor = 0;
  out.lock_facts = new_lock_facts(cursor);
  out.stopped_early = stop;
  out.seconds = progress.elapsed();
  progress.update(out.completed, out.failures.size(), true);
  std::sort(out.failures.begin(), out.failures.end(), [](const auto& a, const auto& b) { return a.seed < b.seed; });
  return out;
}

}  // namespace lockstep::sim::cli
