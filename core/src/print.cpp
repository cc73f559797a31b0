#include <lockstep/core/print.hpp>

namespace lockstep::core {

void TextBuffer::put_unsigned(std::uint64_t v, unsigned base, int width) noexcept {
  char digits[24];
  int n = 0;
  do {
    const unsigned d = static_cast<unsigned>(v % base);
    digits[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v != 0);
  while (n < width) digits[n++] = '0';
  while (n > 0) put(digits[--n]);
}

void TextBuffer::put_signed(std::int64_t v) noexcept {
  if (v < 0) {
    put('-');
    put_unsigned(~static_cast<std::uint64_t>(v) + 1, 10);
  } else {
    put_unsigned(static_cast<std::uint64_t>(v), 10);
  }
}

void TextBuffer::flush() noexcept {
  if (truncated_) {
    len_ = len_ >= 4 ? len_ - 4 : 0;
    put("...\n");
  }
  hal::console_write(buf_, len_);
  clear();
}

std::size_t copy_string(char* dst, std::size_t cap, const char* src) noexcept {
  if (cap == 0) return 0;
  std::size_t n = 0;
  while (src != nullptr && src[n] != '\0' && n + 1 < cap) {
    dst[n] = src[n];
    ++n;
  }
  dst[n] = '\0';
  return n;
}

}  // namespace lockstep::core
