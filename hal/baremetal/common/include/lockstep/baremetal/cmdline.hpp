#pragma once
// Small pieces both kernels use to read their command line (QEMU -append; on arm64 the
// device tree's /chosen/bootargs). The words themselves are documented in docs/BAREMETAL.md.

#include <cstddef>
#include <cstdint>

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

}  // namespace lockstep::baremetal
