#pragma once
// A portable, freestanding reader of flattened device trees (Devicetree Specification v0.4,
// chapter 5: "Flattened Devicetree (DTB) Format"). The arm64 kernel runs exactly this code on
// the tree QEMU (or the Unicorn machine) places in RAM; the host unit tests run it on blobs
// compiled by dtc, on QEMU's own (`-machine dumpdtb=`) and on malformed ones.
//
// Fdt::open() validates the whole blob once: header, block bounds and overlaps, the memory
// reservation map's terminator, every token of the structure block, every node name and
// property name terminated inside its block, every property value inside the structure block,
// balanced nesting. Afterwards the accessors still check every offset they follow, so no call
// ever reads outside the span the tree was opened on. No allocation, no hosted library.

#include <cstddef>
#include <cstdint>
#include <span>

namespace lockstep::firmware {

using FdtBytes = std::span<const std::byte>;

enum class FdtStatus : std::uint8_t {
  kOk,
  kTruncated,     ///< The span is shorter than the header or than the header's totalsize.
  kBadMagic,      ///< Not 0xd00dfeed.
  kBadVersion,    ///< last_comp_version above 17 or version below 17 (size_dt_struct needed).
  kBadHeader,     ///< A block offset or size outside totalsize, misaligned, or inside the header.
  kOverlap,       ///< Two blocks (reservation map, structure, strings) overlap.
  kBadReserveMap, ///< The memory reservation map has no terminating entry inside its space.
  kBadStructure,  ///< Unknown token, unbalanced nodes, data after FDT_END, missing FDT_END.
  kBadString,     ///< A node or property name not terminated inside its block.
  kBadProperty,   ///< A property value running past the structure block.
  kTooDeep,       ///< Nodes nested deeper than kFdtMaxDepth.
};

/// Short lower-case name of a status ("bad-magic"). Any context.
const char* fdt_status_name(FdtStatus s) noexcept;

// Devicetree Specification v0.4, 5.2 (header) and 5.4.1 (tokens).
inline constexpr std::uint32_t kFdtMagic = 0xd00dfeed;
inline constexpr std::size_t kFdtHeaderSize = 40;
inline constexpr std::uint32_t kFdtBeginNode = 1, kFdtEndNode = 2, kFdtProp = 3, kFdtNop = 4, kFdtEnd = 9;
inline constexpr std::uint32_t kFdtVersion = 17;
/// Deeper trees are rejected (real ones nest a handful of levels).
inline constexpr std::uint32_t kFdtMaxDepth = 32;

struct FdtHeader {
  std::uint32_t totalsize = 0, off_dt_struct = 0, off_dt_strings = 0, off_mem_rsvmap = 0;
  std::uint32_t version = 0, last_comp_version = 0, boot_cpuid_phys = 0;
  std::uint32_t size_dt_strings = 0, size_dt_struct = 0;
};

/// A node: the offset of its FDT_BEGIN_NODE token inside the structure block.
using FdtNode = std::uint32_t;
inline constexpr FdtNode kFdtNoNode = ~FdtNode{0};

struct FdtProperty {
  const char* name = nullptr;  ///< Terminated inside the strings block.
  FdtBytes value;              ///< Inside the structure block.
};

/// A validated device tree. Cheap to copy; refers to the caller's bytes, which must outlive it.
class Fdt {
 public:
  /// Validates `blob` (see the file comment) and, on kOk, makes this object refer to it. On any
  /// other status this object stays empty (every lookup finds nothing). Any context.
  FdtStatus open(FdtBytes blob) noexcept;

  bool valid() const noexcept { return !structure_.empty(); }
  const FdtHeader& header() const noexcept { return header_; }
  /// The blob as far as totalsize says.
  FdtBytes bytes() const noexcept { return blob_; }

  /// Memory reservation map entry `index` ({address, size}); false past the terminator.
  bool reserved(std::size_t index, std::uint64_t& address, std::uint64_t& size) const noexcept;

  FdtNode root() const noexcept { return root_; }
  /// The node's name with its unit address ("cpu@1"); "" for the root.
  const char* name(FdtNode node) const noexcept;
  FdtNode first_child(FdtNode node) const noexcept;
  FdtNode next_sibling(FdtNode node) const noexcept;
  /// Properties of `node` in order: start with index 0, false once past the last.
  bool property_at(FdtNode node, std::size_t index, FdtProperty& out) const noexcept;
  /// The value of property `name` of `node`; false if absent.
  bool property(FdtNode node, const char* name, FdtBytes& value) const noexcept;
  /// True if `node` has property `name` (an empty value counts).
  bool has_property(FdtNode node, const char* name) const noexcept;

  /// The node at an absolute path ("/", "/cpus", "/cpus/cpu@0"). A component without a unit
  /// address also matches a name with one ("/cpus/cpu" finds the first "cpu@..."), as in libfdt.
  FdtNode find_path(const char* path) const noexcept;
  /// The node whose "phandle" (or legacy "linux,phandle") is `phandle`.
  FdtNode find_phandle(std::uint32_t phandle) const noexcept;
  /// The first node (document order) after `after` (kFdtNoNode: from the root) whose
  /// "compatible" list contains `compatible`.
  FdtNode find_compatible(const char* compatible, FdtNode after = kFdtNoNode) const noexcept;
  /// Parent of `node` (kFdtNoNode for the root). Walks from the root: O(tree size).
  FdtNode parent(FdtNode node) const noexcept;

  /// "#address-cells" / "#size-cells" of `node` (the values its children's "reg" use),
  /// defaulting to 2 and 1 (Devicetree Specification 2.3.5) and clamped to 0..2/0..2 (a larger
  /// value makes reg_at() fail).
  std::uint32_t address_cells(FdtNode node) const noexcept;
  std::uint32_t size_cells(FdtNode node) const noexcept;

  /// Entry `index` of `node`'s "reg" with the parent's cell counts (`parent` is passed in to
  /// avoid a walk; use parent(node)). Addresses are not translated through "ranges": on the
  /// machines this kernel targets every bus maps 1:1.
  bool reg_at(FdtNode node, FdtNode parent, std::size_t index, std::uint64_t& address,
              std::uint64_t& size) const noexcept;

 private:
  /// The structure block (5.4): one root node, properties before subnodes, names and property
  /// names terminated, FDT_END last, then only padding. Sets root_.
  FdtStatus check_structure() noexcept;
  /// Reads the token at `off` of the structure block; false if it does not fit.
  bool token(std::uint32_t off, std::uint32_t& value) const noexcept;
  /// Offset just past the token at `off` (node header with its name, or property with its
  /// value); kFdtNoNode if malformed.
  std::uint32_t skip_token(std::uint32_t off) const noexcept;
  /// Offset of the first token after the node's name.
  std::uint32_t node_body(FdtNode node) const noexcept;
  /// Offset just past the node's FDT_END_NODE.
  std::uint32_t node_end(FdtNode node) const noexcept;
  /// Bounds-checked string in the strings block.
  const char* string_at(std::uint32_t off) const noexcept;

  FdtBytes blob_;
  FdtBytes structure_;
  FdtBytes strings_;
  FdtHeader header_;
  FdtNode root_ = kFdtNoNode;
};

// ---- Property value helpers (bounds-checked on the value span) ----

/// Big-endian 32-bit cell `index` of `value`; false if it does not fit.
bool fdt_cell(FdtBytes value, std::size_t index, std::uint32_t& out) noexcept;
/// A number of `cells` cells (1 or 2) starting at cell `index`.
bool fdt_cells(FdtBytes value, std::size_t index, std::uint32_t cells, std::uint64_t& out) noexcept;
/// True if `value` is a well-formed string list (every string terminated) containing `text`.
bool fdt_string_list_contains(FdtBytes value, const char* text) noexcept;
/// The single string `value` holds if it is terminated (and not empty), else nullptr.
const char* fdt_string(FdtBytes value) noexcept;

}  // namespace lockstep::firmware
