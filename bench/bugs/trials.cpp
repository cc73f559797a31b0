#include "trials.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <lockstep/sim/isolated_run.hpp>
#include <stdexcept>

namespace lockstep::bugs {
namespace {

/// Runs seeds first_seed, first_seed+1, ... in this (child) process until one fails; with
/// `count`, runs them all and reports the number that failed in `runs`.
Trial run_trial(sim::RunOptions o, std::uint64_t first_seed, std::uint64_t budget, bool count = false) {
  const auto start = std::chrono::steady_clock::now();
  Trial t;
  for (std::uint64_t i = 0; i < budget; ++i) {
    o.machine.seed = first_seed + i;
    if (sim::run_here(o).passed) continue;
    if (count) {
      ++t.runs;
      continue;
    }
    t.runs = i + 1;
    break;
  }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (t.runs == 0) t.seconds /= static_cast<double>(budget);
  return t;
}

struct Running {
  pid_t pid;
  int fd;
  unsigned index;
};

Running start_trial(const sim::RunOptions& o, unsigned index, std::uint64_t first_seed, std::uint64_t budget,
                    bool count = false) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    const Trial t = run_trial(o, first_seed, budget, count);
    const bool ok = ::write(fds[1], &t, sizeof t) == static_cast<ssize_t>(sizeof t);
    ::_exit(ok ? 0 : 3);
  }
  ::close(fds[1]);
  return {pid, fds[0], index};
}

/// Waits for `r` (its pipe closes when it exits, whatever the way).
Trial finish_trial(const Running& r, const std::string& scenario) {
  Trial t;
  const bool got = ::read(r.fd, &t, sizeof t) == static_cast<ssize_t>(sizeof t);
  ::close(r.fd);
  int status = 0;
  ::waitpid(r.pid, &status, 0);
  if (!got) throw std::runtime_error(fmt::format("trial {} of {} died", r.index, scenario));
  return t;
}

}  // namespace

std::vector<Trial> run_trials(const sim::RunOptions& o, unsigned trials, std::uint64_t budget, unsigned jobs,
                              std::uint64_t first_seed) {
  std::vector<Trial> out(trials);
  std::vector<Running> running;
  unsigned next = 0;
  while (next < trials || !running.empty()) {
    for (; next < trials && running.size() < std::max(1u, jobs); ++next)
      running.push_back(start_trial(o, next, first_seed + std::uint64_t{next} * budget, budget));
    const Running r = running.front();
    running.erase(running.begin());
    out[r.index] = finish_trial(r, o.scenario);
  }
  return out;
}

std::uint64_t count_failures(const sim::RunOptions& o, std::uint64_t first_seed, std::uint64_t runs) {
  return finish_trial(start_trial(o, 0, first_seed, runs, true), o.scenario).runs;
}

}  // namespace lockstep::bugs
