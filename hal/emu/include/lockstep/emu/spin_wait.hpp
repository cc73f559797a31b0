#pragma once
// Spinning CPUs under the priority strategies (PCT, POS). A CPU that spins (relax, wait for
// interrupt) waits for another CPU to change memory. Running it is wasted work and, with a
// fixed priority, starves the CPU it waits for; demoting it (as a first PCT version did)
// changes priorities far more often than the strategy's analysis allows.
//
// The rule: a CPU that spun is *waiting* until memory it may be waiting for changes. Waiting
// CPUs are passed over, as a thread blocked on a mutex is, and the change makes them eligible
// again, as a mutex release re-enables its waiter. The deterministic engine watches the
// locations the spin loop read (hal/emu/src/spin_watch.hpp) and IPIs to the CPU; the Unicorn
// machine, which sees no memory operations, ends every wait when another CPU runs a slice
// that was not a spin (a progress epoch). Spin iterations only read, so
// skipping them changes nothing the other CPUs see: the schedules of the remaining steps are
// the strategy's schedules of the same program with blocking waits. Only when every ready
// CPU waits (a wait on time, or a livelock) do they take turns in CPU-id order.

#include <cstdint>

namespace lockstep::emu {

/// The CPU after `current` in id order (cyclically, among `cpus`) in a non-empty range of ids.
template <class Range>
std::uint32_t next_in_id_order(const Range& ready, std::uint32_t current, std::uint32_t cpus) {
  std::uint32_t best = *ready.begin();
  std::uint32_t best_distance = cpus + 1;
  for (std::uint32_t c : ready) {
    const std::uint32_t distance = c > current ? c - current : c + cpus - current;
    if (distance < best_distance) {
      best_distance = distance;
      best = c;
    }
  }
  return best;
}

}  // namespace lockstep::emu
