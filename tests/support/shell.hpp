#pragma once
// Running a command as users do: through the shell, stdout and stderr together, exit status as
// the shell reports it (128 + signal for a killed command). Output is capped at 64 MiB.

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace lockstep::test {

struct ShellResult {
  int status = -1;
  std::string output;  ///< stdout and stderr.
};

inline ShellResult sh(const std::string& command) {
  ShellResult r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && r.output.size() < (64u << 20)) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return r;
}

}  // namespace lockstep::test
