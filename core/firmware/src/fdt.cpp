#include <lockstep/firmware/fdt.hpp>

namespace lockstep::firmware {
namespace {

std::uint32_t be32(FdtBytes b, std::size_t off) noexcept {
  return (static_cast<std::uint32_t>(b[off]) << 24) | (static_cast<std::uint32_t>(b[off + 1]) << 16) |
         (static_cast<std::uint32_t>(b[off + 2]) << 8) | static_cast<std::uint32_t>(b[off + 3]);
}

std::uint64_t be64(FdtBytes b, std::size_t off) noexcept {
  return (static_cast<std::uint64_t>(be32(b, off)) << 32) | be32(b, off + 4);
}

constexpr std::uint32_t align4(std::uint32_t v) noexcept { return (v + 3u) & ~3u; }

/// Length of the string at `off` in `b` if it is terminated inside `b`, else -1.
long terminated_length(FdtBytes b, std::size_t off) noexcept {
  for (std::size_t i = off; i < b.size(); ++i)
    if (b[i] == std::byte{0}) return static_cast<long>(i - off);
  return -1;
}

bool same(const char* a, const char* b) noexcept {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

/// Does node name `name` ("cpu@1") match path component [comp, comp + len)?
bool component_matches(const char* name, const char* comp, std::size_t len) noexcept {
  std::size_t i = 0;
  for (; i < len; ++i)
    if (name[i] != comp[i]) return false;
  // Exact, or the component omits the unit address.
  return name[i] == '\0' || (name[i] == '@' && [&] {
           for (std::size_t k = 0; k < len; ++k)
             if (comp[k] == '@') return false;
           return true;
         }());
}

constexpr std::size_t kHeaderWords = 10;
constexpr std::size_t kReserveEntrySize = 16;

// A header block [off, off + size) for the overlap check.
struct Block {
  std::uint64_t begin, end;
};
bool overlaps(Block a, Block b) noexcept { return a.begin < b.end && b.begin < a.end; }

}  // namespace

const char* fdt_status_name(FdtStatus s) noexcept {
  switch (s) {
    case FdtStatus::kOk: return "ok";
    case FdtStatus::kTruncated: return "truncated";
    case FdtStatus::kBadMagic: return "bad-magic";
    case FdtStatus::kBadVersion: return "bad-version";
    case FdtStatus::kBadHeader: return "bad-header";
    case FdtStatus::kOverlap: return "overlapping-blocks";
    case FdtStatus::kBadReserveMap: return "bad-reserve-map";
    case FdtStatus::kBadStructure: return "bad-structure";
    case FdtStatus::kBadString: return "unterminated-string";
    case FdtStatus::kBadProperty: return "bad-property";
    case FdtStatus::kTooDeep: return "too-deep";
  }
  return "?";
}

namespace {

/// The header's words (5.2), checked for version and size against the blob.
FdtStatus read_header(FdtBytes blob, FdtHeader& h) noexcept {
  if (blob.size() < kFdtHeaderSize) return FdtStatus::kTruncated;
  if (be32(blob, 0) != kFdtMagic) return FdtStatus::kBadMagic;
  std::uint32_t w[kHeaderWords];
  for (std::size_t i = 0; i < kHeaderWords; ++i) w[i] = be32(blob, 4 * i);
  h.totalsize = w[1];
  h.off_dt_struct = w[2];
  h.off_dt_strings = w[3];
  h.off_mem_rsvmap = w[4];
  h.version = w[5];
  h.last_comp_version = w[6];
  h.boot_cpuid_phys = w[7];
  h.size_dt_strings = w[8];
  h.size_dt_struct = w[9];
  if (h.version < kFdtVersion || h.last_comp_version > kFdtVersion) return FdtStatus::kBadVersion;
  if (h.totalsize < kFdtHeaderSize) return FdtStatus::kBadHeader;
  if (h.totalsize > blob.size()) return FdtStatus::kTruncated;
  return FdtStatus::kOk;
}

/// The blocks lie inside totalsize, past the header, aligned (5.1: struct 4, reservation map 8),
/// apart; the reservation map's {address, size} pairs end with an all-zero entry (5.3).
FdtStatus check_blocks(FdtBytes all, const FdtHeader& h) noexcept {
  const Block rsv{h.off_mem_rsvmap, h.off_mem_rsvmap};  // Extent found from its terminator below.
  const Block st{h.off_dt_struct, std::uint64_t{h.off_dt_struct} + h.size_dt_struct};
  const Block sr{h.off_dt_strings, std::uint64_t{h.off_dt_strings} + h.size_dt_strings};
  for (const Block& b : {rsv, st, sr})
    if (b.begin < kFdtHeaderSize || b.end > h.totalsize || b.begin > h.totalsize) return FdtStatus::kBadHeader;
  if (h.off_dt_struct % 4 != 0 || h.off_mem_rsvmap % 8 != 0 || h.size_dt_struct % 4 != 0) return FdtStatus::kBadHeader;
  if (overlaps(st, sr)) return FdtStatus::kOverlap;
  std::uint64_t rsv_end = h.off_mem_rsvmap;
  for (;;) {
    if (rsv_end + kReserveEntrySize > h.totalsize) return FdtStatus::kBadReserveMap;
    const Block entry{rsv_end, rsv_end + kReserveEntrySize};
    if (overlaps(entry, st) || overlaps(entry, sr)) return FdtStatus::kOverlap;
    const bool last = be64(all, rsv_end) == 0 && be64(all, rsv_end + 8) == 0;
    rsv_end += kReserveEntrySize;
    if (last) return FdtStatus::kOk;
  }
}

}  // namespace

FdtStatus Fdt::open(FdtBytes blob) noexcept {
  *this = Fdt{};
  FdtHeader h;
  if (const FdtStatus s = read_header(blob, h); s != FdtStatus::kOk) return s;
  const FdtBytes all = blob.first(h.totalsize);
  if (const FdtStatus s = check_blocks(all, h); s != FdtStatus::kOk) return s;
  blob_ = all;
  structure_ = all.subspan(h.off_dt_struct, h.size_dt_struct);
  strings_ = all.subspan(h.off_dt_strings, h.size_dt_strings);
  header_ = h;
  const FdtStatus s = check_structure();
  if (s != FdtStatus::kOk) *this = Fdt{};
  return s;
}

FdtStatus Fdt::check_structure() noexcept {
  std::uint32_t off = 0, depth = 0;
  bool root_seen = false;
  root_ = kFdtNoNode;
  for (bool ended = false; !ended;) {
    std::uint32_t tok = 0;
    if (!token(off, tok)) return FdtStatus::kBadStructure;
    switch (tok) {
      case kFdtBeginNode: {
        if (depth == 0 && root_seen) return FdtStatus::kBadStructure;  // A second root.
        if (!root_seen) root_ = off;
        root_seen = true;
        if (++depth > kFdtMaxDepth) return FdtStatus::kTooDeep;
        const long len = terminated_length(structure_, off + 4u);
        if (len < 0) return FdtStatus::kBadString;
        off = align4(off + 4u + static_cast<std::uint32_t>(len) + 1u);
        break;
      }
      case kFdtEndNode:
        if (depth == 0) return FdtStatus::kBadStructure;
        --depth;
        off += 4;
        break;
      case kFdtProp: {
        if (depth == 0) return FdtStatus::kBadStructure;
        if (std::uint64_t{off} + 12 > structure_.size()) return FdtStatus::kBadProperty;
        const std::uint32_t len = be32(structure_, off + 4u);
        const std::uint32_t nameoff = be32(structure_, off + 8u);
        if (std::uint64_t{off} + 12 + len > structure_.size()) return FdtStatus::kBadProperty;
        if (string_at(nameoff) == nullptr) return FdtStatus::kBadString;
        off = static_cast<std::uint32_t>(align4(off + 12u + len));
        break;
      }
      case kFdtNop:
        off += 4;
        break;
      case kFdtEnd:
        if (depth != 0 || !root_seen) return FdtStatus::kBadStructure;
        ended = true;
        off += 4;
        break;
      default:
        return FdtStatus::kBadStructure;
    }
  }
  // Only padding may follow FDT_END (dtc and QEMU emit none).
  for (; off < structure_.size(); ++off)
    if (structure_[off] != std::byte{0}) return FdtStatus::kBadStructure;
  return FdtStatus::kOk;
}

}  // namespace lockstep::firmware

namespace lockstep::firmware {

bool Fdt::token(std::uint32_t off, std::uint32_t& value) const noexcept {
  if (off % 4 != 0 || std::uint64_t{off} + 4 > structure_.size()) return false;
  value = be32(structure_, off);
  return true;
}

const char* Fdt::string_at(std::uint32_t off) const noexcept {
  if (off >= strings_.size() || terminated_length(strings_, off) < 0) return nullptr;
  return reinterpret_cast<const char*>(strings_.data() + off);
}

std::uint32_t Fdt::skip_token(std::uint32_t off) const noexcept {
  std::uint32_t tok = 0;
  if (!token(off, tok)) return kFdtNoNode;
  switch (tok) {
    case kFdtBeginNode: {
      const long len = terminated_length(structure_, off + 4u);
      return len < 0 ? kFdtNoNode : align4(off + 4u + static_cast<std::uint32_t>(len) + 1u);
    }
    case kFdtProp: {
      if (std::uint64_t{off} + 12 > structure_.size()) return kFdtNoNode;
      const std::uint32_t len = be32(structure_, off + 4u);
      if (std::uint64_t{off} + 12 + len > structure_.size()) return kFdtNoNode;
      return align4(off + 12u + len);
    }
    case kFdtEndNode:
    case kFdtNop:
    case kFdtEnd:
      return off + 4;
    default:
      return kFdtNoNode;
  }
}

bool Fdt::reserved(std::size_t index, std::uint64_t& address, std::uint64_t& size) const noexcept {
  if (!valid()) return false;
  std::uint64_t off = header_.off_mem_rsvmap;
  for (std::size_t i = 0;; ++i, off += kReserveEntrySize) {
    if (off + kReserveEntrySize > blob_.size()) return false;
    const std::uint64_t a = be64(blob_, off), s = be64(blob_, off + 8);
    if (a == 0 && s == 0) return false;
    if (i == index) {
      address = a;
      size = s;
      return true;
    }
  }
}

const char* Fdt::name(FdtNode node) const noexcept {
  std::uint32_t tok = 0;
  if (!token(node, tok) || tok != kFdtBeginNode || terminated_length(structure_, node + 4u) < 0) return "";
  return reinterpret_cast<const char*>(structure_.data() + node + 4);
}

std::uint32_t Fdt::node_body(FdtNode node) const noexcept {
  std::uint32_t tok = 0;
  if (!token(node, tok) || tok != kFdtBeginNode) return kFdtNoNode;
  return skip_token(node);
}

std::uint32_t Fdt::node_end(FdtNode node) const noexcept {
  std::uint32_t off = node_body(node);
  std::uint32_t depth = 1;
  while (off != kFdtNoNode) {
    std::uint32_t tok = 0;
    if (!token(off, tok)) return kFdtNoNode;
    if (tok == kFdtBeginNode) ++depth;
    if (tok == kFdtEnd) return kFdtNoNode;
    const std::uint32_t next = skip_token(off);
    if (tok == kFdtEndNode && --depth == 0) return next;
    off = next;
  }
  return kFdtNoNode;
}

FdtNode Fdt::first_child(FdtNode node) const noexcept {
  std::uint32_t off = node_body(node);
  while (off != kFdtNoNode) {
    std::uint32_t tok = 0;
    if (!token(off, tok)) return kFdtNoNode;
    if (tok == kFdtBeginNode) return off;
    if (tok == kFdtEndNode || tok == kFdtEnd) return kFdtNoNode;
    off = skip_token(off);
  }
  return kFdtNoNode;
}

FdtNode Fdt::next_sibling(FdtNode node) const noexcept {
  std::uint32_t off = node_end(node);
  while (off != kFdtNoNode) {
    std::uint32_t tok = 0;
    if (!token(off, tok)) return kFdtNoNode;
    if (tok == kFdtBeginNode) return off;
    if (tok != kFdtNop) return kFdtNoNode;
    off += 4;
  }
  return kFdtNoNode;
}

bool Fdt::property_at(FdtNode node, std::size_t index, FdtProperty& out) const noexcept {
  std::uint32_t off = node_body(node);
  std::size_t i = 0;
  while (off != kFdtNoNode) {
    std::uint32_t tok = 0;
    if (!token(off, tok)) return false;
    if (tok == kFdtProp) {
      if (i++ == index) {
        if (std::uint64_t{off} + 12 > structure_.size()) return false;
        const std::uint32_t len = be32(structure_, off + 4u);
        const char* n = string_at(be32(structure_, off + 8u));
        if (n == nullptr || std::uint64_t{off} + 12 + len > structure_.size()) return false;
        out.name = n;
        out.value = structure_.subspan(off + 12u, len);
        return true;
      }
    } else if (tok != kFdtNop) {
      return false;  // Properties come before subnodes (5.4.2).
    }
    off = skip_token(off);
  }
  return false;
}

bool Fdt::property(FdtNode node, const char* prop_name, FdtBytes& value) const noexcept {
  FdtProperty p;
  for (std::size_t i = 0; property_at(node, i, p); ++i) {
    if (same(p.name, prop_name)) {
      value = p.value;
      return true;
    }
  }
  return false;
}

bool Fdt::has_property(FdtNode node, const char* prop_name) const noexcept {
  FdtBytes unused;
  return property(node, prop_name, unused);
}

FdtNode Fdt::find_path(const char* path) const noexcept {
  if (path == nullptr || path[0] != '/') return kFdtNoNode;
  FdtNode node = root();
  const char* p = path;
  while (node != kFdtNoNode) {
    while (*p == '/') ++p;
    if (*p == '\0') return node;
    std::size_t len = 0;
    while (p[len] != '\0' && p[len] != '/') ++len;
    FdtNode child = first_child(node);
    while (child != kFdtNoNode && !component_matches(name(child), p, len)) child = next_sibling(child);
    node = child;
    p += len;
  }
  return kFdtNoNode;
}

FdtNode Fdt::find_phandle(std::uint32_t phandle) const noexcept {
  if (phandle == 0 || phandle == ~0u) return kFdtNoNode;
  // Nodes are the BEGIN_NODE tokens in document order: a linear scan of the structure block.
  for (std::uint32_t off = root(); off != kFdtNoNode; off = skip_token(off)) {
    std::uint32_t tok = 0;
    if (!token(off, tok) || tok == kFdtEnd) return kFdtNoNode;
    if (tok != kFdtBeginNode) continue;
    FdtBytes v;
    std::uint32_t id = 0;
    if ((property(off, "phandle", v) || property(off, "linux,phandle", v)) && fdt_cell(v, 0, id) && id == phandle)
      return off;
  }
  return kFdtNoNode;
}

FdtNode Fdt::find_compatible(const char* compatible, FdtNode after) const noexcept {
  // Nodes are the BEGIN_NODE tokens in document order: a linear scan of the structure block.
  std::uint32_t off = after == kFdtNoNode ? root() : skip_token(after);
  while (off != kFdtNoNode) {
    std::uint32_t tok = 0;
    if (!token(off, tok) || tok == kFdtEnd) return kFdtNoNode;
    if (tok == kFdtBeginNode) {
      FdtBytes v;
      if (property(off, "compatible", v) && fdt_string_list_contains(v, compatible)) return off;
    }
    off = skip_token(off);
  }
  return kFdtNoNode;
}

FdtNode Fdt::parent(FdtNode node) const noexcept {
  if (node == root() || node == kFdtNoNode) return kFdtNoNode;
  FdtNode stack[kFdtMaxDepth + 1];
  std::size_t depth = 0;
  std::uint32_t off = root();
  while (off != kFdtNoNode) {
    std::uint32_t tok = 0;
    if (!token(off, tok) || tok == kFdtEnd) return kFdtNoNode;
    if (tok == kFdtBeginNode) {
      if (off == node) return depth > 0 ? stack[depth - 1] : kFdtNoNode;
      if (depth > kFdtMaxDepth) return kFdtNoNode;
      stack[depth++] = off;
    } else if (tok == kFdtEndNode) {
      if (depth == 0) return kFdtNoNode;
      --depth;
    }
    off = skip_token(off);
  }
  return kFdtNoNode;
}

std::uint32_t Fdt::address_cells(FdtNode node) const noexcept {
  FdtBytes v;
  std::uint32_t n = 2;
  if (property(node, "#address-cells", v)) (void)fdt_cell(v, 0, n);
  return n;
}

std::uint32_t Fdt::size_cells(FdtNode node) const noexcept {
  FdtBytes v;
  std::uint32_t n = 1;
  if (property(node, "#size-cells", v)) (void)fdt_cell(v, 0, n);
  return n;
}

bool Fdt::reg_at(FdtNode node, FdtNode parent_node, std::size_t index, std::uint64_t& address,
                 std::uint64_t& size) const noexcept {
  const std::uint32_t ac = parent_node == kFdtNoNode ? 2 : address_cells(parent_node);
  const std::uint32_t sc = parent_node == kFdtNoNode ? 1 : size_cells(parent_node);
  if (ac < 1 || ac > 2 || sc > 2) return false;
  FdtBytes v;
  if (!property(node, "reg", v)) return false;
  const std::size_t first = index * (ac + sc);
  if (!fdt_cells(v, first, ac, address)) return false;
  size = 0;
  return sc == 0 || fdt_cells(v, first + ac, sc, size);
}

bool fdt_cell(FdtBytes value, std::size_t index, std::uint32_t& out) noexcept {
  if (index >= value.size() / 4) return false;
  out = be32(value, index * 4);
  return true;
}

bool fdt_cells(FdtBytes value, std::size_t index, std::uint32_t cells, std::uint64_t& out) noexcept {
  if (cells < 1 || cells > 2) return false;
  std::uint32_t hi = 0, lo = 0;
  if (cells == 1) {
    if (!fdt_cell(value, index, lo)) return false;
    out = lo;
    return true;
  }
  if (!fdt_cell(value, index, hi) || !fdt_cell(value, index + 1, lo)) return false;
  out = (std::uint64_t{hi} << 32) | lo;
  return true;
}

bool fdt_string_list_contains(FdtBytes value, const char* text) noexcept {
  if (value.empty() || value.back() != std::byte{0}) return false;
  std::size_t off = 0;
  while (off < value.size()) {
    const char* s = reinterpret_cast<const char*>(value.data() + off);
    const long len = terminated_length(value, off);
    if (len < 0) return false;
    if (same(s, text)) return true;
    off += static_cast<std::size_t>(len) + 1;
  }
  return false;
}

const char* fdt_string(FdtBytes value) noexcept {
  if (value.size() < 2 || value.back() != std::byte{0}) return nullptr;
  return reinterpret_cast<const char*>(value.data());
}

}  // namespace lockstep::firmware
