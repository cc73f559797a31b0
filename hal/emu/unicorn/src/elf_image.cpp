#include "elf_image.hpp"

#include <elf.h>

#include <cstring>
#include <fmt/format.h>
#include <fstream>

namespace lockstep::emu::unicorn {
namespace {

constexpr std::size_t kMaxImageBytes = 512u << 20;

template <class T>
bool read_at(const std::vector<std::uint8_t>& b, std::uint64_t off, T& out) {
  if (off > b.size() || b.size() - off < sizeof(T)) return false;
  std::memcpy(&out, b.data() + off, sizeof(T));
  return true;
}

}  // namespace

std::optional<ElfImage> load_elf(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = fmt::format("cannot open image '{}'", path);
    return std::nullopt;
  }
  const auto size = static_cast<std::uint64_t>(in.tellg());
  if (size > kMaxImageBytes) {
    error = fmt::format("image '{}' is {} bytes, more than the {} allowed", path, size, kMaxImageBytes);
    return std::nullopt;
  }
  ElfImage img;
  img.bytes.resize(size);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(img.bytes.data()), static_cast<std::streamsize>(size));
  Elf64_Ehdr eh;
  if (!read_at(img.bytes, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    error = fmt::format("'{}' is not an ELF file", path);
    return std::nullopt;
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_AARCH64) {
    error = fmt::format("'{}' is not a little-endian ELF64 AArch64 image", path);
    return std::nullopt;
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64) {
    error = fmt::format("'{}' has a bad program header table", path);
    return std::nullopt;
  }
  img.entry = eh.e_entry;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read_at(img.bytes, eh.e_phoff + std::uint64_t{i} * sizeof ph, ph)) {
      error = fmt::format("'{}': program header {} lies outside the file", path, i);
      return std::nullopt;
    }
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_filesz > ph.p_memsz || ph.p_offset > size || size - ph.p_offset < ph.p_filesz) {
      error = fmt::format("'{}': segment {} has inconsistent sizes or lies outside the file", path, i);
      return std::nullopt;
    }
    img.segments.push_back({ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_offset, (ph.p_flags & PF_X) != 0});
  }
  if (img.segments.empty()) {
    error = fmt::format("'{}' has no loadable segment", path);
    return std::nullopt;
  }
  // Symbols (optional: a stripped image still boots, it just has no trace export).
  if (eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shnum < 4096) {
    for (unsigned i = 0; i < eh.e_shnum; ++i) {
      Elf64_Shdr sh;
      if (!read_at(img.bytes, eh.e_shoff + std::uint64_t{i} * sizeof sh, sh) || sh.sh_type != SHT_SYMTAB) continue;
      Elf64_Shdr strtab;
      if (!read_at(img.bytes, eh.e_shoff + std::uint64_t{sh.sh_link} * sizeof strtab, strtab)) continue;
      if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_offset > size || size - sh.sh_offset < sh.sh_size) continue;
      if (strtab.sh_offset > size || size - strtab.sh_offset < strtab.sh_size) continue;
      for (std::uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        if (!read_at(img.bytes, sh.sh_offset + off, sym) || sym.st_name >= strtab.sh_size) continue;
        const char* name = reinterpret_cast<const char*>(img.bytes.data() + strtab.sh_offset + sym.st_name);
        const std::size_t max_len = strtab.sh_size - sym.st_name;
        const std::size_t len = strnlen(name, max_len);
        if (len == max_len || len == 0) continue;
        img.symbols.emplace(std::string(name, len), sym.st_value);
      }
    }
  }
  return img;
}

}  // namespace lockstep::emu::unicorn
