// The Unicorn machine. One uc_engine per CPU, all mapping one host buffer as RAM, driven from
// one host thread (engines on several threads break guest spinlocks; FACTS). Time slices end by
// a block hook (never a per-instruction hook) or at a wfi/wfe, which trap to the interrupt hook
// (SCR_EL3.TWI/TWE). This file sets the machine up, runs it
// and writes its report.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "machine_state.hpp"

namespace lockstep::emu::unicorn {
namespace {

constexpr std::uint64_t kScrEl3RwHce = 0x500;  // SCR_EL3.RW | HCE (FACTS: needed by Unicorn 2.0.1).
// SCR_EL3.TWI | TWE (Arm ARM D17.2.117): wfi and wfe trap to the interrupt hook before they run
// (Unicorn raises no hook of its own for them), so a wfi with an interrupt signalled goes on in
// the same slice instead of halting the engine.
constexpr std::uint64_t kScrEl3TrapWfx = (1u << 12) | (1u << 13);
const uc_arm64_cp_reg kScrEl3 = cp(3, 6, 1, 1, 0);
constexpr std::size_t kConsoleCapture = 4u << 20;

}  // namespace

Machine::~Machine() {
  for (auto& c : cpus_)
    if (c.uc != nullptr) uc_close(c.uc);
}

bool Machine::read(std::uint64_t addr, std::span<std::byte> out) const {
  if (addr < kRamBase || addr - kRamBase > ram_.size() || ram_.size() - (addr - kRamBase) < out.size()) return false;
  std::memcpy(out.data(), ram_.data() + (addr - kRamBase), out.size());
  return true;
}

std::uint64_t Machine::symbol(const std::string& name) const {
  auto it = image_.symbols.find(name);
  return it == image_.symbols.end() ? 0 : it->second;
}

bool Machine::setup() {
  const std::uint32_t n = cfg_.cpus;
  if (n == 0 || n > kGicMaxCpus)
    return bad(fmt::format("the Unicorn machine has 1 to {} CPUs (GICv2), not {}", kGicMaxCpus, n));
  if (cfg_.slice_min == 0 || cfg_.slice_min > cfg_.slice_max) return bad("slice lengths must satisfy 0 < min <= max");
  std::string error;
  auto img = load_elf(cfg_.image, error);
  if (!img) return bad(error);
  image_ = std::move(*img);
  if (!ram_.allocate(cfg_.ram_bytes)) return bad(fmt::format("cannot map {} bytes of guest RAM", cfg_.ram_bytes));
  stubs_.assign(4096, 0);
  for (const auto& s : image_.segments) {
    if (s.addr < kRamBase || s.addr - kRamBase > ram_.size() || ram_.size() - (s.addr - kRamBase) < s.mem_size)
      return bad(fmt::format("segment at {:#x} (+{:#x}) lies outside RAM [{:#x}, {:#x})", s.addr, s.mem_size, kRamBase,
                             kRamBase + ram_.size()));
    std::memcpy(ram_.data() + (s.addr - kRamBase), image_.bytes.data() + s.file_offset, s.file_size);
  }
  // The device tree sits at the base of RAM, as QEMU places it for an ELF image.
  const auto dtb = build_device_tree(n, ram_.size());
  for (const auto& s : image_.segments)
    if (s.addr < kRamBase + dtb.size()) return bad("the image overlaps the device tree at the base of RAM");
  std::memcpy(ram_.data(), dtb.data(), dtb.size());

  gic_ = GicV2(n);
  cpus_.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    Cpu& c = cpus_[i];
    c.machine = this;
    c.id = i;
    if (!open_engine(c)) return false;
  }
  if (!supports_strategy(cfg_.strategy))
    return bad(
        fmt::format("the Unicorn machine has no '{}' strategy (it sees time slices, not the memory "
                    "operations POS and schedules name): use random, pct or rr",
                    to_string(cfg_.strategy)));
  if (cfg_.strategy == Strategy::kPct) pct_ = Pct(n, cfg_.pct_depth, cfg_.pct_horizon, rng_);
  // CPU 0 starts at the entry, EL1h with everything masked, x0 = 0 (ELF: no DTB pointer).
  start_cpu(cpus_[0], image_.entry, 0);
  return true;
}

bool Machine::bad(std::string why) {
  result_.status = Status::kBadImage;
  result_.report = std::move(why);
  return false;
}

bool Machine::open_engine(Cpu& c) {
  auto check = [&](uc_err e, const char* what) {
    if (e != UC_ERR_OK) bad(fmt::format("unicorn: {}: {}", what, uc_strerror(e)));
    return e == UC_ERR_OK;
  };
  if (!check(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &c.uc), "uc_open")) return false;
  if (!check(uc_ctl_set_cpu_model(c.uc, UC_CPU_ARM64_A72), "cpu model")) return false;
  uc_arm64_cp_reg scr = kScrEl3;
  scr.val = kScrEl3RwHce | kScrEl3TrapWfx;
  if (!check(uc_reg_write(c.uc, UC_ARM64_REG_CP_REG, &scr), "SCR_EL3")) return false;
  if (!check(uc_mem_map_ptr(c.uc, kRamBase, ram_.size(), UC_PROT_ALL, ram_.data()), "map RAM")) return false;
  if (!check(uc_mem_map_ptr(c.uc, kStubBase, stubs_.size(), UC_PROT_READ | UC_PROT_EXEC, stubs_.data()), "map stubs"))
    return false;
  auto device = [&](std::uint64_t base, std::uint64_t size, uc_cb_mmio_read_t read, uc_cb_mmio_write_t write,
                    const char* what) { return check(uc_mmio_map(c.uc, base, size, read, &c, write, &c), what); };
  if (!device(kUartBase, 0x1000, &device_read<kUartBase>, &device_write<kUartBase>, "map PL011") ||
      !device(kGicDistBase, kGicRegionSize, &device_read<kGicDistBase>, &device_write<kGicDistBase>, "map GICD") ||
      !device(kGicCpuBase, kGicRegionSize, &device_read<kGicCpuBase>, &device_write<kGicCpuBase>, "map GICC"))
    return false;
  auto hook = [&](int type, auto* callback, const char* what) {
    uc_hook h;
    return check(uc_hook_add(c.uc, &h, type, reinterpret_cast<void*>(callback), &c, 1, 0), what);
  };
  auto insn_hook = [&](auto* callback, int insn, const char* what) {
    uc_hook h;
    return check(uc_hook_add(c.uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(callback), &c, 1, 0, insn), what);
  };
  if (debug_ != nullptr && !hook(UC_HOOK_CODE, &Machine::code_hook, "code hook")) return false;
  return hook(UC_HOOK_BLOCK, &Machine::block_hook, "block hook") &&
         hook(UC_HOOK_INTR, &Machine::intr_hook, "intr hook") &&
         insn_hook(&Machine::mrs_hook, UC_ARM64_INS_MRS, "mrs hook") &&
         insn_hook(&Machine::msr_hook, UC_ARM64_INS_MSR, "msr hook") &&
         hook(UC_HOOK_MEM_UNMAPPED, &Machine::unmapped_hook, "unmapped hook");
}

void Machine::run() {
  while (advance()) {
  }
}

bool Machine::advance() {
  if (started_ == std::chrono::steady_clock::time_point{}) started_ = std::chrono::steady_clock::now();
  if (Cpu* c = std::exchange(open_slice_, nullptr); c != nullptr) {
    c->resume_mid_block = true;
    c->quiet_until = 0;
    if (execute(*c)) end_slice(*c);
  } else if (result_.instructions >= cfg_.max_instructions || result_.slices >= cfg_.max_slices) {
    stop(Status::kInstructionLimit, "liveness guard: instruction or slice limit reached");
  } else if (Cpu* next = pick(); next == nullptr) {
    stop(Status::kDeadlock, "every CPU is parked in wfi and nothing can wake it");
  } else {
    run_slice(*next);
  }
  if (!stopped_) return true;
  result_.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  finish_report();
  return false;
}

void Machine::console_put(char ch) {
  if (cfg_.echo_console) std::fputc(ch, stderr);
  if (result_.console.size() < kConsoleCapture) {
    result_.console.push_back(ch);
  } else {
    ++result_.console_dropped;
  }
}

void Machine::fault(Cpu& c, std::string what) {
  stop(Status::kGuestError, fmt::format("cpu {}: {}", c.id, what));
  uc_emu_stop(c.uc);
}

void Machine::stop(Status s, std::string why) {
  if (stopped_) return;
  stopped_ = true;
  result_.status = s;
  result_.report = std::move(why);
}

void Machine::finish_report() {
  static constexpr const char* kStates[] = {"off", "runnable", "parked in wfi", "stopped (CPU_OFF)"};
  std::string text =
      fmt::format("{}: {}\n{} instructions in {} slices ({}, seed {})\n", to_string(result_.status), result_.report,
                  result_.instructions, result_.slices, to_string(cfg_.strategy), cfg_.seed);
  for (auto& c : cpus_) {
    CpuReport r;
    r.state = kStates[static_cast<int>(c.state)];
    r.instructions = c.clock;
    uc_reg_read(c.uc, UC_ARM64_REG_PC, &r.pc);
    text += fmt::format("  cpu {}: {:<18} instructions {:>12} pc {:#x}\n", c.id, r.state, r.instructions, r.pc);
    result_.cpus.push_back(std::move(r));
  }
  result_.report = std::move(text);
}

std::string_view to_string(Status s) noexcept {
  switch (s) {
    case Status::kPoweredOff: return "powered off";
    case Status::kDeadlock: return "deadlock";
    case Status::kInstructionLimit: return "instruction limit";
    case Status::kGuestError: return "guest error";
    case Status::kBadImage: return "bad image";
  }
  return "?";
}

Result run(const MachineConfig& config, const std::function<void(const GuestView&)>& on_finish) {
  Result result;
  result.schedule_hash = 0xcbf29ce484222325ULL;
  auto machine = std::make_unique<Machine>(config, result);
  if (!machine->setup()) return result;
  machine->run();
  if (on_finish) on_finish(*machine);
  return result;
}

}  // namespace lockstep::emu::unicorn
