#pragma once
// The one source of randomness of the emulated machines: SplitMix64 (Steele, Lea, Flood 2014).
// Specified bit for bit, unlike std:: distributions, so a seed means the same run everywhere.

#include <cstdint>

namespace lockstep::emu {

class Prng {
 public:
  explicit Prng(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, bound) by Lemire's multiply-shift (bias below 2^-32 for our bounds).
  std::uint64_t below(std::uint64_t bound) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

  /// True with probability `per_million` / 1e6.
  bool chance(std::uint32_t per_million) noexcept { return per_million != 0 && below(1'000'000) < per_million; }

 private:
  std::uint64_t state_;
};

}  // namespace lockstep::emu
