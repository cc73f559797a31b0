#include "device_tree.hpp"

#include <fmt/format.h>
#include <libfdt.h>

#include <stdexcept>

#include "gic_v2.hpp"

namespace lockstep::emu::unicorn {
namespace {

void ok(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(fmt::format("device tree: {}: {}", what, fdt_strerror(rc)));
}

void prop_cells(void* fdt, const char* name, std::initializer_list<std::uint32_t> cells) {
  std::vector<fdt32_t> be;
  for (auto c : cells) be.push_back(cpu_to_fdt32(c));
  ok(fdt_property(fdt, name, be.data(), static_cast<int>(be.size() * sizeof(fdt32_t))), name);
}

void prop_strings(void* fdt, const char* name, std::initializer_list<const char*> strings) {
  std::string joined;
  for (auto s : strings) {
    joined += s;
    joined += '\0';
  }
  ok(fdt_property(fdt, name, joined.data(), static_cast<int>(joined.size())), name);
}

constexpr std::uint32_t kGicPhandle = 1;
constexpr std::uint32_t kIrqTypePpi = 1, kIrqTypeSpi = 0;
constexpr std::uint32_t kPpiLevelAllCpus = 0xf04;  // Level-high, CPU mask for the GICv2 binding.

}  // namespace

std::vector<std::uint8_t> build_device_tree(std::uint32_t cpus, std::uint64_t ram_bytes) {
  std::vector<std::uint8_t> buf(64 * 1024);
  void* fdt = buf.data();
  ok(fdt_create(fdt, static_cast<int>(buf.size())), "create");
  ok(fdt_finish_reservemap(fdt), "reservemap");
  ok(fdt_begin_node(fdt, ""), "root");
  prop_cells(fdt, "#address-cells", {2});
  prop_cells(fdt, "#size-cells", {2});
  prop_strings(fdt, "compatible", {"linux,dummy-virt"});
  prop_cells(fdt, "interrupt-parent", {kGicPhandle});

  ok(fdt_begin_node(fdt, "psci"), "psci");
  prop_strings(fdt, "compatible", {"arm,psci-1.0", "arm,psci-0.2", "arm,psci"});
  prop_strings(fdt, "method", {"hvc"});
  ok(fdt_end_node(fdt), "psci end");

  const std::string memory = fmt::format("memory@{:x}", kRamBase);
  ok(fdt_begin_node(fdt, memory.c_str()), "memory");
  prop_strings(fdt, "device_type", {"memory"});
  prop_cells(fdt, "reg", {0, static_cast<std::uint32_t>(kRamBase), static_cast<std::uint32_t>(ram_bytes >> 32),
                          static_cast<std::uint32_t>(ram_bytes)});
  ok(fdt_end_node(fdt), "memory end");

  ok(fdt_begin_node(fdt, "cpus"), "cpus");
  prop_cells(fdt, "#address-cells", {1});
  prop_cells(fdt, "#size-cells", {0});
  for (std::uint32_t c = 0; c < cpus; ++c) {
    const auto mpidr = static_cast<std::uint32_t>(mpidr_affinity(c));
    const std::string name = fmt::format("cpu@{:x}", mpidr);
    ok(fdt_begin_node(fdt, name.c_str()), "cpu");
    prop_strings(fdt, "device_type", {"cpu"});
    prop_strings(fdt, "compatible", {"arm,cortex-a72"});
    prop_cells(fdt, "reg", {mpidr});
    prop_strings(fdt, "enable-method", {"psci"});
    ok(fdt_end_node(fdt), "cpu end");
  }
  ok(fdt_end_node(fdt), "cpus end");

  const std::string intc = fmt::format("intc@{:x}", kGicDistBase);
  ok(fdt_begin_node(fdt, intc.c_str()), "intc");
  prop_strings(fdt, "compatible", {"arm,cortex-a15-gic"});
  ok(fdt_property(fdt, "interrupt-controller", nullptr, 0), "interrupt-controller");
  prop_cells(fdt, "#interrupt-cells", {3});
  prop_cells(fdt, "reg", {0, static_cast<std::uint32_t>(kGicDistBase), 0, static_cast<std::uint32_t>(kGicRegionSize), 0,
                          static_cast<std::uint32_t>(kGicCpuBase), 0, static_cast<std::uint32_t>(kGicRegionSize)});
  prop_cells(fdt, "phandle", {kGicPhandle});
  ok(fdt_end_node(fdt), "intc end");

  ok(fdt_begin_node(fdt, "timer"), "timer");
  prop_strings(fdt, "compatible", {"arm,armv8-timer", "arm,armv7-timer"});
  // Secure physical, non-secure physical, virtual, hypervisor PPIs (13, 14, 11, 10).
  prop_cells(fdt, "interrupts", {kIrqTypePpi, 13, kPpiLevelAllCpus, kIrqTypePpi, 14, kPpiLevelAllCpus, kIrqTypePpi, 11,
                                 kPpiLevelAllCpus, kIrqTypePpi, 10, kPpiLevelAllCpus});
  ok(fdt_property(fdt, "always-on", nullptr, 0), "always-on");
  ok(fdt_end_node(fdt), "timer end");

  const std::string uart = fmt::format("pl011@{:x}", kUartBase);
  ok(fdt_begin_node(fdt, uart.c_str()), "uart");
  prop_strings(fdt, "compatible", {"arm,pl011", "arm,primecell"});
  prop_cells(fdt, "reg", {0, static_cast<std::uint32_t>(kUartBase), 0, 0x1000});
  prop_cells(fdt, "interrupts", {kIrqTypeSpi, 1, 4});
  ok(fdt_end_node(fdt), "uart end");

  ok(fdt_begin_node(fdt, "chosen"), "chosen");
  const std::string stdout_path = "/" + uart;
  prop_strings(fdt, "stdout-path", {stdout_path.c_str()});
  ok(fdt_end_node(fdt), "chosen end");

  ok(fdt_end_node(fdt), "root end");
  ok(fdt_finish(fdt), "finish");
  buf.resize(fdt_totalsize(fdt));
  return buf;
}

}  // namespace lockstep::emu::unicorn
