#include <lockstep/firmware/fdt_platform.hpp>

namespace lockstep::firmware {
namespace {

bool same(const char* a, const char* b) noexcept {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

bool string_is(const Fdt& fdt, FdtNode node, const char* prop, const char* text) noexcept {
  FdtBytes v;
  return fdt.property(node, prop, v) && fdt_string_list_contains(v, text);
}

bool compatible(const Fdt& fdt, FdtNode node, const char* text) noexcept { return string_is(fdt, node, "compatible", text); }

// Interrupt controller bindings (Linux Documentation/devicetree/bindings/interrupt-controller/
// arm,gic.yaml and arm,gic-v3.yaml).
constexpr const char* kGicV2Compatibles[] = {"arm,cortex-a15-gic", "arm,gic-400", "arm,cortex-a7-gic", "arm,cortex-a9-gic",
                                             "arm,arm11mp-gic", "arm,pl390"};
constexpr const char* kGicV3Compatible = "arm,gic-v3";
// GIC interrupt specifier: <type number flags>; type 0 = SPI (INTID 32 + n), 1 = PPI (16 + n).
constexpr std::uint32_t kSpecSpi = 0, kSpecPpi = 1, kPpiBase = 16, kSpiBase = 32;

GicVersion gic_version(const Fdt& fdt, FdtNode node) noexcept {
  if (node == kFdtNoNode) return GicVersion::kNone;
  if (compatible(fdt, node, kGicV3Compatible)) return GicVersion::kV3;
  for (const char* c : kGicV2Compatibles)
    if (compatible(fdt, node, c)) return GicVersion::kV2;
  return GicVersion::kNone;
}

FdtNode find_gic(const Fdt& fdt) noexcept {
  // The root's interrupt-parent names the controller; otherwise the first one in the tree.
  FdtBytes v;
  std::uint32_t phandle = 0;
  if (fdt.property(fdt.root(), "interrupt-parent", v) && fdt_cell(v, 0, phandle)) {
    const FdtNode n = fdt.find_phandle(phandle);
    if (gic_version(fdt, n) != GicVersion::kNone) return n;
  }
  FdtNode n = fdt.find_compatible(kGicV3Compatible);
  if (n != kFdtNoNode) return n;
  for (const char* c : kGicV2Compatibles) {
    n = fdt.find_compatible(c);
    if (n != kFdtNoNode) return n;
  }
  return kFdtNoNode;
}

void parse_memory(const Fdt& fdt, FdtArmPlatform& out) noexcept {
  const FdtNode root = fdt.root();
  for (FdtNode n = fdt.first_child(root); n != kFdtNoNode; n = fdt.next_sibling(n)) {
    if (!string_is(fdt, n, "device_type", "memory")) continue;
    if (string_is(fdt, n, "status", "disabled")) continue;
    std::uint64_t base = 0, size = 0;
    for (std::size_t i = 0; fdt.reg_at(n, root, i, base, size); ++i) {
      if (size == 0 || out.memory_ranges >= kFdtMaxMemoryRanges) continue;
      out.memory[out.memory_ranges++] = FdtRange{base, size};
    }
  }
}

/// The node /chosen's stdout-path names ("/pl011@9000000", "serial0:115200n8" via /aliases).
FdtNode stdout_node(const Fdt& fdt) noexcept {
  FdtBytes v;
  const FdtNode chosen = fdt.find_path("/chosen");
  if (chosen == kFdtNoNode || !fdt.property(chosen, "stdout-path", v)) return kFdtNoNode;
  const char* text = fdt_string(v);
  if (text == nullptr) return kFdtNoNode;
  char path[128];
  std::size_t n = 0;
  while (text[n] != '\0' && text[n] != ':' && n + 1 < sizeof path) {
    path[n] = text[n];
    ++n;
  }
  path[n] = '\0';
  if (path[0] == '/') return fdt.find_path(path);
  const FdtNode aliases = fdt.find_path("/aliases");
  if (aliases == kFdtNoNode || !fdt.property(aliases, path, v)) return kFdtNoNode;
  const char* target = fdt_string(v);
  return target == nullptr ? kFdtNoNode : fdt.find_path(target);
}

void parse_uart(const Fdt& fdt, FdtArmPlatform& out) noexcept {
  FdtNode n = stdout_node(fdt);
  if (n == kFdtNoNode || !compatible(fdt, n, "arm,pl011")) n = fdt.find_compatible("arm,pl011");
  std::uint64_t base = 0, size = 0;
  if (n != kFdtNoNode && fdt.reg_at(n, fdt.parent(n), 0, base, size)) out.uart = base;
}

void parse_chosen(const Fdt& fdt, FdtArmPlatform& out) noexcept {
  FdtBytes v;
  const FdtNode chosen = fdt.find_path("/chosen");
  if (chosen != kFdtNoNode && fdt.property(chosen, "bootargs", v)) {
    // An empty string is a valid (empty) command line; fdt_string() wants at least one char.
    if (v.size() == 1 && v[0] == std::byte{0}) {
      out.bootargs = reinterpret_cast<const char*>(v.data());
    } else {
      out.bootargs = fdt_string(v);
    }
  }
}

void parse_timer(const Fdt& fdt, FdtArmPlatform& out, std::uint32_t interrupt_cells) noexcept {
  FdtNode n = fdt.find_compatible("arm,armv8-timer");
  if (n == kFdtNoNode) n = fdt.find_compatible("arm,armv7-timer");
  if (n == kFdtNoNode) return;
  out.timer = true;
  FdtBytes v;
  if (fdt.property(n, "clock-frequency", v)) (void)fdt_cell(v, 0, out.timer_frequency);
  if (interrupt_cells < 2 || !fdt.property(n, "interrupts", v)) return;
  for (std::size_t i = 0; i < 4; ++i) {
    std::uint32_t type = 0, number = 0;
    if (!fdt_cell(v, i * interrupt_cells, type) || !fdt_cell(v, i * interrupt_cells + 1, number)) break;
    if (type == kSpecPpi && number < 16) out.timer_intid[i] = kPpiBase + number;
    else if (type == kSpecSpi && number < 988) out.timer_intid[i] = kSpiBase + number;
  }
}

FdtPlatformStatus parse_cpus(const Fdt& fdt, FdtArmPlatform& out, std::span<FdtCpu> cpus) noexcept {
  const FdtNode list = fdt.find_path("/cpus");
  if (list == kFdtNoNode) {
    out.what = "no /cpus node";
    return FdtPlatformStatus::kNoCpus;
  }
  const std::uint32_t ac = fdt.address_cells(list);
  if (ac < 1 || ac > 2) {
    out.what = "/cpus #address-cells is not 1 or 2";
    return FdtPlatformStatus::kBadCpu;
  }
  bool any = false;
  for (FdtNode n = fdt.first_child(list); n != kFdtNoNode; n = fdt.next_sibling(n)) {
    if (!string_is(fdt, n, "device_type", "cpu")) continue;  // cpu-map, l2-cache, ...
    FdtBytes reg;
    std::uint64_t mpidr = 0;
    if (!fdt.property(n, "reg", reg) || !fdt_cells(reg, 0, ac, mpidr)) {
      out.what = "a cpu node has no readable reg";
      return FdtPlatformStatus::kBadCpu;
    }
    any = true;
    FdtCpu cpu;
    cpu.mpidr = mpidr & kMpidrAffinityMask;
    FdtBytes status;
    if (fdt.property(n, "status", status)) {
      const char* s = fdt_string(status);
      cpu.enabled = s != nullptr && (same(s, "okay") || same(s, "ok"));
    }
    cpu.psci = string_is(fdt, n, "enable-method", "psci");
    if (!cpu.enabled) ++out.cpus_disabled;
    if (out.cpus < cpus.size()) {
      cpus[out.cpus++] = cpu;
    } else {
      ++out.cpus_dropped;
    }
  }
  if (!any) {
    out.what = "/cpus lists no cpu";
    return FdtPlatformStatus::kNoCpus;
  }
  if (out.cpus_dropped != 0) {
    out.what = "more CPUs than the kernel supports";
    return FdtPlatformStatus::kTooMany;
  }
  return FdtPlatformStatus::kOk;
}

FdtPlatformStatus parse_gic(const Fdt& fdt, FdtNode gic, FdtArmPlatform& out) noexcept {
  out.gic = gic_version(fdt, gic);
  if (out.gic == GicVersion::kNone) {
    out.what = "no GICv2 or GICv3 interrupt controller";
    return FdtPlatformStatus::kNoGic;
  }
  const FdtNode parent = fdt.parent(gic);
  FdtRange& second = out.gic == GicVersion::kV2 ? out.gicc : out.gicr;
  if (!fdt.reg_at(gic, parent, 0, out.gicd.base, out.gicd.size) || !fdt.reg_at(gic, parent, 1, second.base, second.size)) {
    out.what = "the interrupt controller's reg lacks the distributor or the CPU/redistributor region";
    out.gic = GicVersion::kNone;
    return FdtPlatformStatus::kNoGic;
  }
  if (out.gic == GicVersion::kV3) {
    FdtBytes v;
    out.gicr_regions = 1;
    if (fdt.property(gic, "#redistributor-regions", v)) (void)fdt_cell(v, 0, out.gicr_regions);
    if (fdt.property(gic, "redistributor-stride", v)) (void)fdt_cells(v, 0, v.size() >= 8 ? 2 : 1, out.gicr_stride);
  }
  return FdtPlatformStatus::kOk;
}

FdtPlatformStatus parse_psci(const Fdt& fdt, FdtArmPlatform& out) noexcept {
  // PSCI binding (Linux Documentation/devicetree/bindings/arm/psci.yaml).
  FdtNode n = fdt.find_compatible("arm,psci-1.0");
  if (n == kFdtNoNode) n = fdt.find_compatible("arm,psci-0.2");
  if (n == kFdtNoNode) n = fdt.find_compatible("arm,psci");
  if (n == kFdtNoNode) {
    out.what = "no PSCI node";
    return FdtPlatformStatus::kNoPsci;
  }
  out.psci_0_2 = compatible(fdt, n, "arm,psci-0.2") || compatible(fdt, n, "arm,psci-1.0");
  FdtBytes v;
  if (fdt.property(n, "cpu_on", v)) (void)fdt_cell(v, 0, out.psci_cpu_on);
  if (fdt.property(n, "cpu_off", v)) (void)fdt_cell(v, 0, out.psci_cpu_off);
  const char* method = fdt.property(n, "method", v) ? fdt_string(v) : nullptr;
  if (method != nullptr && same(method, "hvc")) out.psci = PsciConduit::kHvc;
  else if (method != nullptr && same(method, "smc")) out.psci = PsciConduit::kSmc;
  if (out.psci == PsciConduit::kNone) {
    out.what = "the PSCI node's method is neither hvc nor smc";
    return FdtPlatformStatus::kNoPsci;
  }
  if (!out.psci_0_2 && out.psci_cpu_on == 0) {
    out.what = "PSCI 0.1 node without a cpu_on function id";
    return FdtPlatformStatus::kNoPsci;
  }
  return FdtPlatformStatus::kOk;
}

}  // namespace

const char* fdt_platform_status_name(FdtPlatformStatus s) noexcept {
  switch (s) {
    case FdtPlatformStatus::kOk: return "ok";
    case FdtPlatformStatus::kNoCpus: return "no-cpus";
    case FdtPlatformStatus::kBadCpu: return "bad-cpu";
    case FdtPlatformStatus::kTooMany: return "too-many-cpus";
    case FdtPlatformStatus::kNoGic: return "no-gic";
    case FdtPlatformStatus::kNoPsci: return "no-psci";
  }
  return "?";
}

FdtPlatformStatus parse_arm_platform(const Fdt& fdt, FdtArmPlatform& out, std::span<FdtCpu> cpus) noexcept {
  out = FdtArmPlatform{};
  if (!fdt.valid()) {
    out.what = "the device tree was not opened";
    return FdtPlatformStatus::kNoCpus;
  }
  parse_memory(fdt, out);
  parse_uart(fdt, out);
  parse_chosen(fdt, out);
  const FdtNode gic = find_gic(fdt);
  std::uint32_t interrupt_cells = 3;
  FdtBytes v;
  if (gic != kFdtNoNode && fdt.property(gic, "#interrupt-cells", v)) (void)fdt_cell(v, 0, interrupt_cells);
  parse_timer(fdt, out, interrupt_cells);

  FdtPlatformStatus s = parse_cpus(fdt, out, cpus);
  if (s != FdtPlatformStatus::kOk && s != FdtPlatformStatus::kTooMany) return s;
  const FdtPlatformStatus g = parse_gic(fdt, gic, out);
  if (g != FdtPlatformStatus::kOk) return g;
  const char* cpu_what = out.what;
  const FdtPlatformStatus p = parse_psci(fdt, out);
  if (s == FdtPlatformStatus::kOk) return p;
  out.what = cpu_what;  // kTooMany: the first problem names itself.
  return s;
}

}  // namespace lockstep::firmware
