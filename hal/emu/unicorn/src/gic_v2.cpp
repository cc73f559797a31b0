#include "gic_v2.hpp"

namespace lockstep::emu::unicorn {
namespace {
// Distributor (GICv2 spec 4.1.2).
constexpr std::uint64_t kGicdCtlr = 0x000, kGicdTyper = 0x004, kGicdIidr = 0x008;
constexpr std::uint64_t kGicdIsenabler = 0x100, kGicdIcenabler = 0x180, kGicdIspendr = 0x200, kGicdIcpendr = 0x280;
constexpr std::uint64_t kGicdIsactiver = 0x300, kGicdIcactiver = 0x380, kGicdIpriorityr = 0x400, kGicdItargetsr = 0x800;
constexpr std::uint64_t kGicdSgir = 0xF00;
// CPU interface (GICv2 spec 4.1.3).
constexpr std::uint64_t kGiccCtlr = 0x00, kGiccPmr = 0x04, kGiccIar = 0x0C, kGiccEoir = 0x10, kGiccRpr = 0x14;
constexpr std::uint64_t kGiccHppir = 0x18, kGiccIidr = 0xFC;
}  // namespace

std::uint32_t GicV2::best_candidate(const Cpu& c) const noexcept {
  if (!dist_enabled_ || !c.enabled_iface) return kSpuriousIntid;
  std::uint32_t running = 0x100;
  for (std::uint32_t id = 0; id < 32; ++id)
    if (c.active & (1u << id)) running = std::min<std::uint32_t>(running, c.priority[id]);
  std::uint32_t best = kSpuriousIntid;
  std::uint32_t best_prio = 0x100;
  const std::uint32_t ready = c.pending & c.enabled & ~c.active;
  for (std::uint32_t id = 0; id < 32; ++id) {
    if (!(ready & (1u << id))) continue;
    const std::uint32_t p = c.priority[id];
    if (p < c.pmr && p < running && p < best_prio) {
      best = id;
      best_prio = p;
    }
  }
  return best;
}

bool GicV2::irq_asserted(std::uint32_t cpu) const noexcept { return best_candidate(cpu_[cpu]) != kSpuriousIntid; }

void GicV2::raise_sgi(std::uint32_t from, std::uint32_t to, std::uint32_t sgi) noexcept {
  if (to >= cpus_) return;
  cpu_[to].sgi_sources[sgi] |= static_cast<std::uint8_t>(1u << from);
  cpu_[to].pending |= 1u << sgi;
}

void GicV2::set_ppi_level(std::uint32_t cpu, std::uint32_t intid, bool high) noexcept {
  Cpu& c = cpu_[cpu];
  const std::uint32_t bit = 1u << intid;
  if (high) {
    c.level |= bit;
    if (!(c.active & bit)) c.pending |= bit;
  } else {
    c.level &= ~bit;
    c.pending &= ~bit;
  }
}

std::uint64_t GicV2::dist_read(std::uint32_t cpu, std::uint64_t offset, unsigned size) const noexcept {
  const Cpu& c = cpu_[cpu];
  if (offset == kGicdCtlr) return dist_enabled_ ? 1 : 0;
  if (offset == kGicdTyper) return ((cpus_ - 1) << 5) | 1;  // CPUNumber, ITLinesNumber = 1 (64 ids).
  if (offset == kGicdIidr) return 0x0200043b;                  // Arm, GICv2.
  if (offset == kGicdIsenabler || offset == kGicdIcenabler) return c.enabled;
  if (offset == kGicdIspendr || offset == kGicdIcpendr) return c.pending;
  if (offset == kGicdIsactiver || offset == kGicdIcactiver) return c.active;
  if (offset >= kGicdIpriorityr && offset < kGicdIpriorityr + 32) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < size && offset - kGicdIpriorityr + i < 32; ++i)
      v |= std::uint64_t{c.priority[offset - kGicdIpriorityr + i]} << (8 * i);
    return v;
  }
  if (offset >= kGicdItargetsr && offset < kGicdItargetsr + 32) {  // Banked: this CPU only.
    std::uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= std::uint64_t{1u << cpu} << (8 * i);
    return v;
  }
  return 0;
}

void GicV2::dist_write(std::uint32_t cpu, std::uint64_t offset, unsigned size, std::uint64_t value) noexcept {
  Cpu& c = cpu_[cpu];
  const auto v32 = static_cast<std::uint32_t>(value);
  if (offset == kGicdCtlr) {
    dist_enabled_ = (value & 1) != 0;
  } else if (offset == kGicdIsenabler) {
    c.enabled |= v32;
  } else if (offset == kGicdIcenabler) {
    c.enabled &= ~v32;
  } else if (offset == kGicdIspendr) {
    c.pending |= v32 & 0xffff0000u;  // SGIs are made pending through GICD_SPENDSGIR, not here.
  } else if (offset == kGicdIcpendr) {
    c.pending &= ~v32;
    for (std::uint32_t id = 0; id < 16; ++id)
      if (v32 & (1u << id)) c.sgi_sources[id] = 0;
  } else if (offset == kGicdIcactiver) {
    c.active &= ~v32;
  } else if (offset >= kGicdIpriorityr && offset < kGicdIpriorityr + 32) {
    for (unsigned i = 0; i < size && offset - kGicdIpriorityr + i < 32; ++i)
      c.priority[offset - kGicdIpriorityr + i] = static_cast<std::uint8_t>(value >> (8 * i));
  } else if (offset == kGicdSgir) {
    const std::uint32_t sgi = v32 & 0xf;
    const std::uint32_t filter = (v32 >> 24) & 3;
    const std::uint32_t targets = (v32 >> 16) & 0xff;
    for (std::uint32_t to = 0; to < cpus_; ++to) {
      const bool hit = filter == 0 ? (targets & (1u << to)) != 0 : filter == 1 ? to != cpu : filter == 2 ? to == cpu : false;
      if (hit) raise_sgi(cpu, to, sgi);
    }
  }
}

std::uint64_t GicV2::cpu_read(std::uint32_t cpu, std::uint64_t offset, unsigned) noexcept {
  Cpu& c = cpu_[cpu];
  if (offset == kGiccCtlr) return c.enabled_iface ? 1 : 0;
  if (offset == kGiccPmr) return c.pmr;
  if (offset == kGiccIidr) return 0x0202143b;
  if (offset == kGiccHppir || offset == kGiccIar) {
    const std::uint32_t id = best_candidate(c);
    if (id == kSpuriousIntid) return kSpuriousIntid;
    std::uint32_t source = 0;
    if (id < 16) source = static_cast<std::uint32_t>(__builtin_ctz(c.sgi_sources[id]));
    if (offset == kGiccIar) {
      // Acknowledge: active, and no longer pending from this source.
      c.active |= 1u << id;
      if (id < 16) {
        c.sgi_sources[id] &= static_cast<std::uint8_t>(~(1u << source));
        if (c.sgi_sources[id] == 0) c.pending &= ~(1u << id);
      } else if (!(c.level & (1u << id))) {
        c.pending &= ~(1u << id);
      } else {
        c.pending &= ~(1u << id);  // Level: re-pends at EOI if still high.
      }
    }
    return id | (source << 10);
  }
  if (offset == kGiccRpr) {
    std::uint32_t running = 0xff;
    for (std::uint32_t id = 0; id < 32; ++id)
      if (c.active & (1u << id)) running = std::min<std::uint32_t>(running, c.priority[id]);
    return running;
  }
  return 0;
}

void GicV2::cpu_write(std::uint32_t cpu, std::uint64_t offset, unsigned, std::uint64_t value) noexcept {
  Cpu& c = cpu_[cpu];
  if (offset == kGiccCtlr) {
    c.enabled_iface = (value & 1) != 0;
  } else if (offset == kGiccPmr) {
    c.pmr = static_cast<std::uint8_t>(value);
  } else if (offset == kGiccEoir) {
    const std::uint32_t id = static_cast<std::uint32_t>(value) & 0x3ff;
    if (id < 32) {
      c.active &= ~(1u << id);
      if (c.level & (1u << id)) c.pending |= 1u << id;
    }
  }
}

}  // namespace lockstep::emu::unicorn
