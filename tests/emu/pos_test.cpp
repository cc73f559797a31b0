// Partial Order Sampling's indexed pick (emu/pos.hpp) against the scan it replaces: the same
// CPUs chosen and the same random draws, in the same order, for every seed.

#include <gtest/gtest.h>

#include <cstdint>
#include <lockstep/emu/pos.hpp>
#include <lockstep/emu/prng.hpp>
#include <vector>

namespace lockstep::emu {
namespace {

/// The pick as it was before the index (a scan of the ready CPUs per scheduling point), with
/// the ready list kept as the deterministic engine keeps its runnable list (append, swap-remove).
class ScanPos {
 public:
  explicit ScanPos(std::uint32_t cpus) : events_(cpus), place_(cpus, kNone) {}

  void enter(std::uint32_t cpu) {
    place_[cpu] = static_cast<std::uint32_t>(ready_.size());
    ready_.push_back(cpu);
  }
  void leave(std::uint32_t cpu) {
    const std::uint32_t at = place_[cpu];
    const std::uint32_t last = ready_.back();
    ready_[at] = last;
    place_[last] = at;
    ready_.pop_back();
    place_[cpu] = kNone;
  }
  bool ready(std::uint32_t cpu) const { return place_[cpu] != kNone; }
  const std::vector<std::uint32_t>& list() const { return ready_; }

  void next_event(std::uint32_t cpu, const void* location, bool write, Prng& rng) {
    events_[cpu] = {rng.next(), location, write};
  }

  template <class Waiting>
  std::uint32_t pick(Waiting&& waiting, std::uint32_t current, Prng& rng) {
    std::uint32_t best = kNone;
    for (std::uint32_t c : ready_)
      if (!waiting(c) && (best == kNone || events_[c].priority > events_[best].priority)) best = c;
    if (best == kNone) best = next_in_id_order(ready_, current, static_cast<std::uint32_t>(events_.size()));
    const Event& run = events_[best];
    if (run.location != nullptr)
      for (std::uint32_t c : ready_) {
        Event& e = events_[c];
        if (c != best && e.location == run.location && (e.write || run.write)) e.priority = rng.next();
      }
    return best;
  }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  struct Event {
    std::uint64_t priority = 0;
    const void* location = nullptr;
    bool write = false;
  };
  std::vector<Event> events_;
  std::vector<std::uint32_t> place_;
  std::vector<std::uint32_t> ready_;
};

/// Random machines: CPUs entering and leaving the ready set, events on a few shared locations
/// (so that many race), CPUs starting and ending waits by the spin rule (from none to all of
/// them) and waits for an interrupt whose interrupt is due or not at each pick, as the engine's
/// predicate says; every pick and every draw is compared.
void compare(std::uint32_t cpus, std::uint32_t waiting_per_mille, std::uint64_t seed) {
  static const int kLocations[4] = {};
  Prng script(seed);
  Prng pos_rng(seed * 7 + 1), scan_rng(seed * 7 + 1);
  Pos pos(cpus);
  ScanPos scan(cpus);
  std::vector<char> flagged(cpus), in_wfi(cpus), due(cpus);
  std::uint32_t current = 0;
  pos.enter(0);
  scan.enter(0);
  const int steps = cpus >= 1024 ? 4000 : 20000;
  for (int step = 0; step < steps; ++step) {
    for (int change = 0; change < 3; ++change) {
      const std::uint32_t cpu = static_cast<std::uint32_t>(script.below(cpus));
      switch (script.below(8)) {
        case 0:
          if (!scan.ready(cpu)) pos.enter(cpu), scan.enter(cpu);
          break;
        case 1:
          if (scan.ready(cpu) && scan.list().size() > 1) pos.leave(cpu), scan.leave(cpu);
          break;
        case 2:
        case 3: {
          const bool w = script.below(1000) < waiting_per_mille;
          if (w != static_cast<bool>(flagged[cpu])) flagged[cpu] = w, pos.set_waiting(cpu, w);
          break;
        }
        case 4:
          in_wfi[cpu] = !in_wfi[cpu];
          pos.set_in_wfi(cpu, in_wfi[cpu]);
          break;
        default: {
          const std::uint64_t where = script.below(6);
          const void* location = where < 4 ? &kLocations[where] : nullptr;
          const bool write = script.below(2) == 0;
          pos.next_event(cpu, location, write, pos_rng);
          scan.next_event(cpu, location, write, scan_rng);
          break;
        }
      }
    }
    for (std::uint32_t c = 0; c < cpus; ++c) due[c] = script.below(2) == 0;
    const auto is_waiting = [&](std::uint32_t c) { return flagged[c] && !(in_wfi[c] && due[c]); };
    const std::uint32_t a = pos.pick(scan.list(), is_waiting, current, pos_rng);
    const std::uint32_t b = scan.pick(is_waiting, current, scan_rng);
    ASSERT_EQ(a, b) << "cpus " << cpus << ", waiting " << waiting_per_mille << "/1000, seed " << seed << ", step "
                    << step;
    ASSERT_EQ(pos_rng.next(), scan_rng.next())
        << "the draws differ: cpus " << cpus << ", seed " << seed << ", step " << step;
    current = a;
  }
}

TEST(Pos, IndexedPickChoosesAndDrawsAsTheScan) {
  for (std::uint32_t cpus : {Pos::kIndexedFrom, 64u, 1024u})
    for (std::uint32_t waiting : {0u, 300u, 980u, 1000u})
      for (std::uint64_t seed = 1; seed <= 3; ++seed) compare(cpus, waiting, seed);
}

TEST(Pos, SmallMachinesScan) { compare(4, 300, 1); }

}  // namespace
}  // namespace lockstep::emu
