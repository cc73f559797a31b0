#pragma once
// What the deterministic engine knows of the C++ memory orders (docs/ARCHITECTURE.md, "Memory
// models"): the happens-before clocks every model keeps while the race detector or the arm
// model is on, and the arm model's store histories.
//
// The arm model is view based, after the operational models of C11Tester (Luo and Demsky,
// ASPLOS 2021) and Loom: each location keeps its last kHistory stores in modification order
// (mo), each carrying the view its writer released with it. A load may read any store of that
// history that is not older than what the loading vCPU has already seen of the location
// (coherence: its floor) and not older than the newest store that happens before it; which one
// is a seeded decision of the run (the engine's memory stream), so a failing seed replays.
// Acquire loads take the store's view; relaxed ones keep it for a later acquire fence;
// release stores and fences give the writer's clock; read-modify-writes read the newest store
// and carry its view on (release sequences); seq_cst operations and fences also meet in one
// global view (stronger than C++'s single total order: it loses no allowed outcome that
// matters to the litmus table, and gives no forbidden one). Loads respect multi-copy atomicity:
// once another vCPU has read a store, no load ordered after it (by an acquire) reads an older one
// (ARMv8 forbids IRIW with acquire loads or acquire fences; relaxed loads may still be
// satisfied early, back to the vCPU's last acquire). New stores go to the end of mo, except
// that a relaxed store may take a place before stores nobody but their writers has seen
// (2+2W). No load reads a value from the future (RC11: no load buffering, no out-of-thin-air);
// sizes are not mixed at one address.
//
// Under sc every load reads the newest store; under tso the vCPU's store buffer decides, and a
// buffered store publishes the view it was issued with when it reaches memory. In all three,
// the HAL's synchronisation points order what the contract says: send_ipi releases to the
// target's next interrupt entry, start_cpu releases to the started CPU.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <lockstep/emu/config.hpp>
#include <lockstep/emu/prng.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vector_clock.hpp"

namespace lockstep::emu::detail {

/// Where a tracked plain access was made (hal::Tracked fills it in from the call site).
struct AccessSite {
  const char* file = nullptr;
  unsigned line = 0;
  const char* function = nullptr;
};

/// One access to a tracked datum, as a race report names it.
struct AccessRecord {
  hal::CpuId cpu = hal::kInvalidCpu;  ///< kInvalidCpu: none recorded.
  Epoch epoch = 0;
  bool write = false;
  std::uint64_t step = 0;
  AccessSite site;
  AccessContext context;
};

/// Two accesses not ordered by happens-before, at least one a write.
struct Race {
  const void* location = nullptr;
  std::uint8_t size = 0;
  AccessRecord first, second;
};

std::string format_race(const Race& race);

class WeakMemory {
 public:
  /// Stores each location keeps under arm: enough for every litmus outcome (one older store
  /// per location) with room to spare; a bound keeps the loads' choices few.
  static constexpr std::uint32_t kHistory = 4;

  WeakMemory(MemoryModel model, hal::CpuId cpus);

  // Atomics of the running vCPU `c`. `memory` is what the location holds now (the newest store
  // in mo): the history is checked against it, so memory written outside the model (a new
  // object where an old one was) starts a new history.
  std::uint64_t load(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory,
                     std::memory_order order, Prng& rng);
  /// A store that reaches memory now (sc, arm; tso: seq_cst stores). Under arm it may take a
  /// place before stores no vCPU has seen yet (a seeded choice): false then, and memory keeps
  /// the newest store's value.
  bool store(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory, std::uint64_t bits,
             std::memory_order order, Prng& rng);
  /// tso: a store enters the buffer (its view is taken now, in program order) ...
  void issue_buffered(hal::CpuId c, std::memory_order order);
  /// ... and reaches memory later, oldest first.
  void publish_buffered(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory,
                        std::uint64_t bits);
  /// A read-modify-write reads the newest store; then writes (`rmw_write`) or, a failed
  /// compare-exchange, only reads (`rmw_fail`, with the failure order).
  std::uint64_t rmw_read(hal::CpuId c, const void* location, std::uint8_t size, std::uint64_t memory);
  void rmw_write(hal::CpuId c, std::uint64_t bits, std::memory_order order);
  void rmw_fail(hal::CpuId c, std::memory_order order);
  void fence(hal::CpuId c, std::memory_order order);
  /// An Atomic was constructed at `location`: what was stored there before is gone.
  void forget(const void* location) {
    CacheEntry& e = cache_[cache_slot(location)];
    if (e.key == location) e = {};
    locations_.erase(location);
  }

  /// `c` spun after loading a location: its next loads of that location read the newest store
  /// (a waiting core sees a new value in finite time; the engine's strategies pass over a
  /// waiting vCPU until the location changes, so a stale read there would wait for ever).
  void spin(hal::CpuId c) noexcept { cpus_[c].fresh = cpus_[c].last_loaded; }

  // The HAL's synchronisation points.
  void send_ipi(hal::CpuId from, hal::CpuId to);
  void interrupt_entry(hal::CpuId c);
  void start_cpu(hal::CpuId from, hal::CpuId to);

  /// A plain access to a tracked datum; the first race it completes, if any.
  std::optional<Race> plain_access(const AccessRecord& access, const void* location, std::uint8_t size);

  bool arm() const noexcept { return model_ == MemoryModel::kArm; }

 private:
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  struct Message {
    std::uint64_t bits = 0;
    std::uint32_t mo = 0;
    hal::CpuId writer = hal::kInvalidCpu;  ///< kInvalidCpu: the value found in memory.
    Epoch epoch = 0;
    /// arm: the load tick at which a vCPU other than its writer first read it; from then on it is
    /// visible to every vCPU (multi-copy atomicity). kNever: not yet.
    std::uint64_t visible_since = kNever;
    bool rmw = false;  ///< Written by a read-modify-write: nothing may come between it and what it read.
    VectorClock view;  ///< What a reader that acquires it has seen; empty: nothing.
  };
  struct Location {
    std::uint8_t size = 0;
    std::uint32_t next_mo = 0;
    std::uint32_t count = 0;  ///< Messages held; the newest is at (head + count - 1).
    std::uint32_t head = 0;
    std::array<Message, kHistory> ring;
    std::vector<std::uint32_t> floor;  ///< arm: per vCPU, the oldest mo it may still read.
    Message& newest() noexcept { return ring[(head + count - 1) % kHistory]; }
    Message& back(std::uint32_t k) noexcept { return ring[(head + count - 1 - k) % kHistory]; }
  };
  struct Cpu {
    VectorClock clock;
    VectorClock acquire_pending;  ///< Views of stores read relaxed: an acquire fence takes them.
    VectorClock release_fence;    ///< The clock at the last release fence: relaxed stores carry it.
    VectorClock inbox;            ///< Released by IPIs sent to this vCPU, taken at interrupt entry.
    /// arm: the load tick of its last acquire (load, read-modify-write or fence). No later load
    /// can be satisfied before it, so none reads a store older than one visible by then.
    std::uint64_t ordered_since = 0;
    const void* last_loaded = nullptr;
    const void* fresh = nullptr;
    Location* rmw = nullptr;       ///< The location a read-modify-write has read.
    std::deque<Message> buffered;  ///< tso: the views of the stores in the buffer, oldest first.
  };
  struct Datum {
    AccessRecord write;
    std::vector<AccessRecord> reads;  ///< Since the last write, at most one per vCPU.
  };

  Location& locate(const void* location, std::uint8_t size, std::uint64_t memory);
  bool happens_before(const Message& m, const VectorClock& clock) const noexcept {
    return m.writer == hal::kInvalidCpu || m.epoch <= clock[m.writer];
  }
  void acquire(Cpu& cpu, const Message& m, std::memory_order order);
  /// The view a store of `c` carries: its clock if it releases, else its last release fence's.
  void take_view(hal::CpuId c, std::memory_order order, Message& m);
  void append(Location& loc, hal::CpuId c, Message& m);
  /// How many of the newest stores the store just appended by `c` may go before in mo: ones
  /// that no vCPU but their writer has read, not `c`'s own, not seen by `c` (its floor before the
  /// store was `floor`), not happening before it, and not read-modify-writes.
  std::uint32_t places_back(Location& loc, hal::CpuId c, std::uint32_t floor) const noexcept;
  /// Moves the newest store `k` places back in mo, renumbering and keeping every floor on the
  /// store it named.
  void move_back(Location& loc, std::uint32_t k) noexcept;
  void after_release(hal::CpuId c, std::memory_order order);

  MemoryModel model_;
  hal::CpuId n_;
  std::vector<Cpu> cpus_;
  VectorClock sc_;          ///< Where seq_cst operations and fences meet.
  std::uint64_t tick_ = 0;  ///< arm: counts loads and read-modify-writes (visible_since, ordered_since).
  VectorClock scratch_;     ///< Storage reused by store() and rmw_write() (no allocation per operation).
  VectorClock rmw_view_;
  std::unordered_map<const void*, Location> locations_;
  /// The last locations looked up, direct mapped by address: most operations hit one of a few
  /// hot words (lock words, counters), and the map's lookup was the views' largest cost. Map
  /// nodes do not move on rehash; forget() clears the entry it erases.
  struct CacheEntry {
    const void* key = nullptr;
    Location* location = nullptr;
  };
  static constexpr std::size_t kCacheEntries = 256;
  static std::size_t cache_slot(const void* location) noexcept {
    return (reinterpret_cast<std::uintptr_t>(location) >> 3) % kCacheEntries;
  }
  std::array<CacheEntry, kCacheEntries> cache_{};
  std::unordered_map<const void*, Datum> data_;
};

}  // namespace lockstep::emu::detail
