#pragma once
// Small pieces both kernels use to read their command line (QEMU -append; on arm64 the
// device tree's /chosen/bootargs). The words themselves are documented in docs/BAREMETAL.md.

#include <cstddef>
#include <cstdint>
#include <lockstep/baremetal/entry.hpp>
#include <lockstep/core/print.hpp>

namespace lockstep::baremetal {

/// True if `s` starts with `prefix`; then `*rest` points just past it.
inline bool starts_with(const char* s, const char* prefix, const char** rest) noexcept {
  while (*prefix) {
    if (*s++ != *prefix++) return false;
  }
  *rest = s;
  return true;
}

/// A decimal or 0x-prefixed hexadecimal number; parsing stops at the first other character.
inline std::uint64_t parse_number(const char* s) noexcept {
  std::uint64_t v = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (s += 2;; ++s) {
      const char c = *s;
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return v;
      v = v * 16 + static_cast<unsigned>(d);
    }
  }
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + static_cast<unsigned>(*s - '0');
  return v;
}

/// The words that ask a kernel to print its enumeration (`KERNEL_DEBUG=1` as kernel
/// developers know it).
inline bool is_verbose_word(const char* word) noexcept {
  const char* rest = nullptr;
  return starts_with(word, "lockstep.verbose", &rest) || starts_with(word, "KERNEL_DEBUG=1", &rest) ||
         starts_with(word, "verbose", &rest);
}

/// Copies the next space-separated word of `text` into `word` (cut to fit, terminated) and
/// advances `text` past it. False when only spaces remain.
template <std::size_t N>
bool next_word(const char*& text, char (&word)[N]) noexcept {
  while (*text == ' ') ++text;
  if (*text == '\0') return false;
  std::size_t n = 0;
  while (*text && *text != ' ') {
    if (n + 1 < N) word[n++] = *text;
    ++text;
  }
  word[n] = '\0';
  return true;
}

/// The command-line words both kernels know (docs/BAREMETAL.md).
struct KernelOptions {
  bool verbose = false;
  bool fault_test = false;  ///< lockstep.fault_test: fault on purpose after bring-up.
  bool has_extra_cpu = false;
  std::uint64_t extra_cpu = 0;  ///< lockstep.extra_cpu=ID: a CPU the firmware lists but the machine lacks.
  std::size_t trace_records = kDefaultTraceRecords;  ///< lockstep.trace=N
  char workload[64] = {};                            ///< lockstep.workload=NAME: run only this workload.
  std::uint32_t ipi_bench = 0;  ///< lockstep.ipi_bench[=N]: the IPI benchmark (N samples) instead of the workloads.
};

/// Reads the common words of `text` into `o`; every other word goes to `arch_word(word)`, for
/// the words of one architecture.
template <class ArchWord>
void parse_kernel_options(const char* text, KernelOptions& o, ArchWord arch_word) noexcept {
  if (text == nullptr) return;
  char word[128];
  while (next_word(text, word)) {
    const char* rest = nullptr;
    if (is_verbose_word(word)) {
      o.verbose = true;
    } else if (starts_with(word, "lockstep.fault_test", &rest)) {
      o.fault_test = true;
    } else if (starts_with(word, "lockstep.extra_cpu=", &rest)) {
      o.has_extra_cpu = true;
      o.extra_cpu = parse_number(rest);
    } else if (starts_with(word, "lockstep.trace=", &rest)) {
      o.trace_records = static_cast<std::size_t>(parse_number(rest));
    } else if (starts_with(word, "lockstep.workload=", &rest)) {
      core::copy_string(o.workload, sizeof o.workload, rest);
    } else if (starts_with(word, "lockstep.ipi_bench", &rest) && (*rest == '\0' || *rest == '=')) {
      const std::uint64_t n = *rest == '=' ? parse_number(rest + 1) : 0;
      o.ipi_bench = n == 0                    ? kDefaultIpiBenchSamples
                    : n > kMaxIpiBenchSamples ? kMaxIpiBenchSamples
                                              : static_cast<std::uint32_t>(n);
    } else {
      arch_word(static_cast<const char*>(word));
    }
  }
}

}  // namespace lockstep::baremetal
