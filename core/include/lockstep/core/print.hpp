#pragma once
// Formatted text to the HAL console without a hosted library: "{}" placeholders, integers in
// decimal ("{}") or hex ("{:x}"), strings, bools, pointers. One call writes one line atomically
// with respect to other calls (the HAL console's guarantee).

#include <cstddef>
#include <cstdint>
#include <lockstep/hal/console.hpp>
#include <type_traits>

namespace lockstep::core {

/// A fixed buffer that formats into itself; text beyond its capacity is cut and marked "...".
class TextBuffer {
 public:
  static constexpr std::size_t kCapacity = 1024;  // A 4-CPU wait cycle with its held locks fits.

  void put(char c) noexcept {
    if (len_ < kCapacity) {
      buf_[len_++] = c;
    } else {
      truncated_ = true;
    }
  }
  void put(const char* s) noexcept {
    if (s == nullptr) s = "(null)";
    while (*s) put(*s++);
  }
  void put_unsigned(std::uint64_t v, unsigned base, int width = 0) noexcept;
  void put_signed(std::int64_t v) noexcept;

  template <class T>
  void put_value(const T& v, bool hex) noexcept {
    if constexpr (std::is_same_v<T, bool>) {
      put(v ? "true" : "false");
    } else if constexpr (std::is_same_v<T, char>) {
      put(v);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      if (hex) {
        put_unsigned(static_cast<std::uint64_t>(v), 16);
      } else {
        put_signed(v);
      }
    } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
      put_unsigned(static_cast<std::uint64_t>(v), hex ? 16 : 10);
    } else if constexpr (std::is_convertible_v<T, const char*>) {
      put(static_cast<const char*>(v));
    } else if constexpr (std::is_pointer_v<T>) {
      put("0x");
      put_unsigned(reinterpret_cast<std::uintptr_t>(v), 16);
    } else {
      static_assert(std::is_integral_v<T>, "unsupported argument type for core::print");
    }
  }

  /// Formats `fmt` with `args`, appending to the buffer.
  template <class... Args>
  void format(const char* fmt, const Args&... args) noexcept {
    (format_one(fmt, args), ...);
    put(fmt);
  }

  const char* data() const noexcept { return buf_; }
  std::size_t size() const noexcept { return len_; }
  void clear() noexcept { len_ = 0; truncated_ = false; }
  /// Writes the buffer to the console (with a "..." marker if it was cut).
  void flush() noexcept;

 private:
  template <class T>
  void format_one(const char*& fmt, const T& v) noexcept {
    while (*fmt) {
      if (fmt[0] == '{' && fmt[1] == '}') {
        put_value(v, false);
        fmt += 2;
        return;
      }
      if (fmt[0] == '{' && fmt[1] == ':' && fmt[2] == 'x' && fmt[3] == '}') {
        put_value(v, true);
        fmt += 4;
        return;
      }
      put(*fmt++);
    }
  }

  char buf_[kCapacity];
  std::size_t len_ = 0;
  bool truncated_ = false;
};

/// Formats and writes one piece of text to the console. Any context.
template <class... Args>
void print(const char* fmt, const Args&... args) noexcept {
  TextBuffer b;
  b.format(fmt, args...);
  b.flush();
}

/// Copies at most `cap - 1` bytes of `src` and terminates. Returns the length copied.
std::size_t copy_string(char* dst, std::size_t cap, const char* src) noexcept;

}  // namespace lockstep::core
