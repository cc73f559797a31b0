#pragma once
// Loading an ELF64 AArch64 executable into guest RAM, with every header bounds-checked.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace lockstep::emu::unicorn {

struct ElfImage {
  std::uint64_t entry = 0;
  struct Segment {
    std::uint64_t addr;
    std::uint64_t file_size;
    std::uint64_t mem_size;
    std::uint64_t file_offset;
    bool executable;
  };
  std::vector<Segment> segments;
  std::unordered_map<std::string, std::uint64_t> symbols;
  std::vector<std::uint8_t> bytes;  ///< The whole file.
};

/// Parses `path`; on error returns nullopt with `error` naming the problem.
std::optional<ElfImage> load_elf(const std::string& path, std::string& error);

}  // namespace lockstep::emu::unicorn
