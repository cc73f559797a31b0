#pragma once
// This process's memory as the kernel counts it (proc(5)): the resident set now, its peak, and
// starting a new peak, so a test bounds what one run costs at its worst moment.

#include <cstddef>
#include <cstdio>
#include <cstring>

namespace lockstep::test {

/// A figure of /proc/self/status in bytes: "VmRSS" (resident now) or "VmHWM" (the peak); 0 if unread.
inline std::size_t status_bytes(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  std::size_t kib = 0;
  const std::size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, field, n) == 0 && std::sscanf(line + n, ": %zu kB", &kib) == 1) break;
  std::fclose(f);
  return kib * 1024;
}

/// Starts a new peak: VmHWM falls back to the current resident set (proc(5), clear_refs "5").
inline bool reset_peak_resident() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

}  // namespace lockstep::test
