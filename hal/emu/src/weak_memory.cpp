#include "weak_memory.hpp"

#include <fmt/format.h>

namespace lockstep::emu::detail {
namespace {

bool acquires(std::memory_order o) noexcept {
  return o == std::memory_order_acquire || o == std::memory_order_consume || o == std::memory_order_acq_rel ||
         o == std::memory_order_seq_cst;
}
bool releases(std::memory_order o) noexcept {
  return o == std::memory_order_release || o == std::memory_order_acq_rel || o == std::memory_order_seq_cst;
}

/// The file's last component, as the lock validator prints sites (no build machine's paths).
std::string_view base_name(const char* file) {
  if (file == nullptr) return "?";
  const std::string_view path(file);
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string describe(const AccessRecord& a) {
  std::string text = fmt::format("{} by vCPU {} at step {}", a.write ? "write" : "read", a.cpu, a.step);
  text +=
      a.context.task == AccessContext::kNoTask ? std::string(" (no task") : fmt::format(" (task {}", a.context.task);
  if (a.context.lock_count == AccessContext::kLocksUnknown) {
    text += ", locks not tracked: the lock validator is off)";
  } else if (a.context.lock_count == 0) {
    text += ", holding no lock)";
  } else {
    text += ", holding";
    const std::uint32_t shown = std::min(a.context.lock_count, AccessContext::kMaxLocks);
    for (std::uint32_t i = 0; i < shown; ++i) text += fmt::format("{} '{}'", i == 0 ? "" : ",", a.context.locks[i]);
    if (a.context.lock_count > shown) text += fmt::format(" and {} more", a.context.lock_count - shown);
    text += ")";
  }
  text += fmt::format(": {}:{} in {}", base_name(a.site.file), a.site.line,
                      a.site.function != nullptr ? a.site.function : "?");
  return text;
}

}  // namespace

std::string format_race(const Race& race) {
  return fmt::format(
      "data race on a tracked datum of {} bytes:\n  {}\n  {}\n  not ordered by happens-before (no release/acquire "
      "pair, "
      "IPI or CPU start between them)",
      race.size, describe(race.first), describe(race.second));
}

WeakMemory::WeakMemory(MemoryModel model, hal::CpuId cpus) : model_(model), n_(cpus), cpus_(cpus), sc_(cpus) {
  for (Cpu& c : cpus_) {
    c.clock = VectorClock(cpus);
    c.acquire_pending = VectorClock(cpus);
  }
  // Epoch 0 is "before the run": every vCPU starts at 1, so its first accesses are its own.
  for (hal::CpuId c = 0; c < n_; ++c) cpus_[c].clock.at(c) = 1;
}

WeakMemory::Location& WeakMemory::locate(const void* location, std::uint8_t size, std::uint64_t memory) {
  CacheEntry& cached = cache_[cache_slot(location)];
  if (cached.key != location) cached = {location, &locations_[location]};
  Location& loc = *cached.location;
  if (loc.count != 0 && loc.size == size && loc.newest().bits == memory) return loc;
  // New, or written outside the model: the value in memory is all there is, before everyone.
  loc.size = size;
  loc.head = 0;
  loc.count = 1;
  Message& m = loc.ring[0];
  m.bits = memory;
  m.mo = loc.next_mo++;
  m.writer = hal::kInvalidCpu;
  m.epoch = 0;
  m.visible_since = 0;
  m.rmw = false;
  m.view.clear();
  if (arm()) loc.floor.assign(n_, m.mo);
  return loc;
}

void WeakMemory::acquire(Cpu& cpu, const Message& m, std::memory_order order) {
  if (acquires(order)) {
    cpu.clock.join(m.view);
    cpu.ordered_since = tick_;
  } else {
    cpu.acquire_pending.join(m.view);
  }
}

void WeakMemory::take_view(hal::CpuId c, std::memory_order order, Message& m) {
  Cpu& cpu = cpus_[c];
  m.writer = c;
  m.epoch = cpu.clock[c];
  if (releases(order)) {
    m.view.assign(cpu.clock);
  } else if (!cpu.release_fence.empty()) {
    m.view.assign(cpu.release_fence);
  } else {
    m.view.clear();
  }
}

void WeakMemory::append(Location& loc, hal::CpuId c, Message& m) {
  // sc and tso keep only the newest store: no load can read an older one.
  const std::uint32_t keep = arm() ? kHistory : 1;
  if (loc.count == keep) {
    loc.head = (loc.head + 1) % kHistory;
    --loc.count;
  }
  Message& slot = loc.ring[(loc.head + loc.count) % kHistory];
  ++loc.count;
  slot.bits = m.bits;
  slot.mo = loc.next_mo++;
  slot.writer = m.writer;
  slot.epoch = m.epoch;
  slot.visible_since = kNever;
  slot.rmw = m.rmw;
  std::swap(slot.view, m.view);
  if (arm()) loc.floor[c] = slot.mo;
}

void WeakMemory::after_release(hal::CpuId c, std::memory_order order) {
  if (!releases(order)) return;
  Cpu& cpu = cpus_[c];
  if (order == std::memory_order_seq_cst) sc_.join(cpu.clock);
  ++cpu.clock.at(c);
}

std::uint64_t WeakMemory::load(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory,
                               std::memory_order order, Prng& rng) {
  Cpu& cpu = cpus_[c];
  Location& loc = locate(location, size, memory);
  if (order == std::memory_order_seq_cst) cpu.clock.join(sc_);
  std::uint32_t pick = 0;  // How far back from the newest.
  if (arm() && cpu.fresh != location) {
    // The readable stores: back from the newest, down to the vCPU's floor, the newest store
    // that happens before it, or the newest store already visible to all at its last acquire
    // (ARMv8 is other-multi-copy atomic: that is what forbids IRIW with acquire loads or
    // fences, which C++ alone would allow), whichever is newest.
    std::uint32_t readable = 1;
    while (readable < loc.count) {
      const Message& m = loc.back(readable - 1);
      if (happens_before(m, cpu.clock) || m.visible_since <= cpu.ordered_since) break;
      if (loc.back(readable).mo < loc.floor[c]) break;
      ++readable;
    }
    // The newest half the time: a load that reads stale values only would starve progress.
    if (readable > 1 && rng.below(2) == 0) pick = 1 + static_cast<std::uint32_t>(rng.below(readable - 1));
  }
  Message& m = loc.back(pick);
  ++tick_;
  if (arm()) {
    loc.floor[c] = m.mo;
    if (m.writer != c && m.visible_since == kNever) m.visible_since = tick_;
  }
  acquire(cpu, m, order);
  if (order == std::memory_order_seq_cst) sc_.join(cpu.clock);
  cpu.last_loaded = location;
  return m.bits;
}

bool WeakMemory::store(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory, std::uint64_t bits,
                       std::memory_order order, Prng& rng) {
  // A seq_cst store releases into the global view and takes nothing from it (a store acquires
  // nothing): SB with seq_cst stores and relaxed loads stays weak, as C++ and ARMv8 allow.
  Location& loc = locate(location, size, memory);
  const std::uint32_t floor = arm() ? loc.floor[c] : 0;
  Message m;
  m.view = std::move(scratch_);
  take_view(c, order, m);
  m.bits = bits;
  append(loc, c, m);
  scratch_ = std::move(m.view);
  after_release(c, order);
  // Coherence orders stores per location only: a relaxed store may land before others no vCPU
  // has seen (2+2W's weak outcome), a quarter of the time when it can. Not a release store, nor
  // one after a release fence: ARMv8 orders those after the writer's earlier stores (STLR,
  // dmb), which forbids 2+2W with them.
  if (!arm() || order != std::memory_order_relaxed || !cpus_[c].release_fence.empty()) return true;
  const std::uint32_t places = places_back(loc, c, floor);
  if (places == 0 || rng.below(4) != 0) return true;
  move_back(loc, 1 + static_cast<std::uint32_t>(rng.below(places)));
  return false;
}

std::uint32_t WeakMemory::places_back(Location& loc, hal::CpuId c, std::uint32_t floor) const noexcept {
  std::uint32_t places = 0;
  while (places + 1 < loc.count) {
    const Message& s = loc.back(places + 1);
    if (s.writer == c || s.writer == hal::kInvalidCpu || s.rmw || s.visible_since != kNever || s.mo <= floor ||
        happens_before(s, cpus_[c].clock))
      break;
    ++places;
  }
  return places;
}

void WeakMemory::move_back(Location& loc, std::uint32_t k) noexcept {
  for (std::uint32_t p = 0; p < k; ++p) {
    Message& newer = loc.back(p);  // The moving store.
    Message& older = loc.back(p + 1);
    const std::uint32_t older_mo = older.mo;
    std::swap(newer, older);  // The moving store is now at back(p + 1): give the numbers back.
    std::swap(newer.mo, older.mo);
    for (std::uint32_t& f : loc.floor) {
      if (f == older_mo) {
        f = older_mo + 1;  // Named the store that moved up.
      } else if (f == older_mo + 1) {
        f = older_mo;  // The writer's floor: its own store.
      }
    }
  }
}

void WeakMemory::issue_buffered(hal::CpuId c, std::memory_order order) {
  Message m;
  take_view(c, order, m);
  cpus_[c].buffered.push_back(std::move(m));
  after_release(c, order);
}

void WeakMemory::publish_buffered(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory,
                                  std::uint64_t bits) {
  Cpu& cpu = cpus_[c];
  Location& loc = locate(location, size, memory);
  Message m = std::move(cpu.buffered.front());
  cpu.buffered.pop_front();
  m.bits = bits;
  append(loc, c, m);
}

std::uint64_t WeakMemory::rmw_read(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory) {
  Location& loc = locate(location, size, memory);
  cpus_[c].rmw = &loc;
  Message& newest = loc.newest();
  ++tick_;
  if (newest.writer != c && newest.visible_since == kNever) newest.visible_since = tick_;
  return newest.bits;
}

void WeakMemory::rmw_write(hal::CpuId c, std::uint64_t bits, std::memory_order order) {
  Cpu& cpu = cpus_[c];
  Location& loc = *cpu.rmw;
  if (order == std::memory_order_seq_cst) cpu.clock.join(sc_);
  acquire(cpu, loc.newest(), order);
  // A read-modify-write continues the release sequence of the store it read: a reader that
  // acquires it also sees what that store released (C++20 [intro.races] 5).
  scratch_.assign(loc.newest().view);
  Message m;
  m.view = std::move(rmw_view_);  // Storage reused: append() hands back the dropped store's.
  m.rmw = true;
  take_view(c, order, m);
  m.view.join(scratch_);
  m.bits = bits;
  append(loc, c, m);
  rmw_view_ = std::move(m.view);
  after_release(c, order);
  cpu.last_loaded = nullptr;
}

void WeakMemory::rmw_fail(hal::CpuId c, std::memory_order order) {
  Cpu& cpu = cpus_[c];
  if (order == std::memory_order_seq_cst) cpu.clock.join(sc_);
  acquire(cpu, cpu.rmw->newest(), order);
  if (order == std::memory_order_seq_cst) sc_.join(cpu.clock);
}

void WeakMemory::fence(hal::CpuId c, std::memory_order order) {
  Cpu& cpu = cpus_[c];
  if (acquires(order)) {
    cpu.clock.join(cpu.acquire_pending);
    cpu.ordered_since = tick_;
  }
  if (order == std::memory_order_seq_cst) cpu.clock.join(sc_);
  if (releases(order)) cpu.release_fence.assign(cpu.clock);
  after_release(c, order);
}

void WeakMemory::send_ipi(hal::CpuId from, hal::CpuId to) {
  if (to >= n_) return;
  cpus_[to].inbox.join(cpus_[from].clock);
  ++cpus_[from].clock.at(from);
}

void WeakMemory::interrupt_entry(hal::CpuId c) {
  Cpu& cpu = cpus_[c];
  cpu.clock.join(cpu.inbox);
}

void WeakMemory::start_cpu(hal::CpuId from, hal::CpuId to) {
  if (to >= n_) return;
  cpus_[to].clock.join(cpus_[from].clock);
  ++cpus_[from].clock.at(from);
}

std::optional<Race> WeakMemory::plain_access(const AccessRecord& access, const void* location, std::uint8_t size) {
  const VectorClock& clock = cpus_[access.cpu].clock;
  Datum& d = data_[location];
  auto ordered = [&](const AccessRecord& earlier) {
    return earlier.cpu == access.cpu || earlier.epoch <= clock[earlier.cpu];
  };
  AccessRecord now = access;
  now.epoch = clock[access.cpu];
  if (d.write.cpu != hal::kInvalidCpu && !ordered(d.write)) return Race{location, size, d.write, now};
  if (access.write) {
    for (const AccessRecord& r : d.reads)
      if (!ordered(r)) return Race{location, size, r, now};
    d.reads.clear();
    d.write = now;
    return std::nullopt;
  }
  for (AccessRecord& r : d.reads)
    if (r.cpu == access.cpu) {
      r = now;
      return std::nullopt;
    }
  d.reads.push_back(now);
  return std::nullopt;
}

}  // namespace lockstep::emu::detail
