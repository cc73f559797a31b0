#pragma once
// The deterministic engine's side of the spin rule (emu/spin_wait.hpp): which vCPUs wait, and
// for what. Between two spin points a vCPU collects the locations it reads (a spin loop's
// body); at the spin it starts waiting on them, and a change of any of them (an atomic
// operation that changed the value) or a signal to it (an IPI) ends the wait. Waking only the
// CPUs that watch the changed location keeps the cost of a write independent of how many
// CPUs spin elsewhere: waking every spinner on every write made a 64-CPU `mixed` run spend
// most of its points re-checking unchanged lock words.

#include <algorithm>
#include <cstdint>
#include <lockstep/emu/pos.hpp>
#include <lockstep/hal/types.hpp>
#include <vector>

namespace lockstep::emu::detail {

class SpinWatch {
 public:
  /// Reads a spin loop may watch; a loop reading more wakes on any change.
  static constexpr std::uint32_t kWatched = 4;

  explicit SpinWatch(hal::CpuId cpus = 0) : cpus_(cpus) {}

  bool waiting(hal::CpuId c) const noexcept { return cpus_[c].waiting; }

  /// From now on every start and end of a wait is told to `pos` (its index of waiting CPUs).
  void report_to(Pos* pos) noexcept { pos_ = pos; }

  /// `c` reads (or writes without changing) `location` on its way to a possible spin.
  void on_read(hal::CpuId c, const void* location) noexcept {
    Cpu& cpu = cpus_[c];
    if (cpu.any) return;
    for (std::uint32_t i = 0; i < cpu.count; ++i)
      if (cpu.watched[i] == location) return;
    if (cpu.count == kWatched) {
      cpu.any = true;
    } else {
      cpu.watched[cpu.count++] = location;
    }
  }

  /// `c` spins: it waits on what it read since its last spin (on anything if it read nothing).
  void on_spin(hal::CpuId c) noexcept {
    Cpu& cpu = cpus_[c];
    if (cpu.count == 0) cpu.any = true;
    if (!cpu.waiting) {
      cpu.waiting = true;
      waiters_.push_back(c);
      if (pos_ != nullptr) pos_->set_waiting(c, true);
    }
  }

  /// `c` made progress (a step that was not a spin check): it starts collecting afresh.
  void on_progress(hal::CpuId c) noexcept {
    Cpu& cpu = cpus_[c];
    cpu.count = 0;
    cpu.any = false;
  }

  /// `location` changed: its watchers (and those watching anything) stop waiting.
  void on_change(const void* location) noexcept {
    for (std::size_t i = 0; i < waiters_.size();) {
      const Cpu& cpu = cpus_[waiters_[i]];
      if (cpu.any || std::find(cpu.watched, cpu.watched + cpu.count, location) != cpu.watched + cpu.count) {
        wake_at(i);
      } else {
        ++i;
      }
    }
  }

  /// A signal to `c` (an IPI), or `c` itself running on (it was chosen while every CPU waited):
  /// it stops waiting.
  void wake(hal::CpuId c) noexcept {
    if (!cpus_[c].waiting) return;
    for (std::size_t i = 0; i < waiters_.size(); ++i)
      if (waiters_[i] == c) return wake_at(i);
  }

 private:
  struct Cpu {
    const void* watched[kWatched] = {};
    std::uint32_t count = 0;
    bool any = false;
    bool waiting = false;
  };

  void wake_at(std::size_t i) noexcept {
    Cpu& cpu = cpus_[waiters_[i]];
    if (pos_ != nullptr) pos_->set_waiting(waiters_[i], false);
    cpu.waiting = false;
    cpu.count = 0;
    cpu.any = false;
    waiters_[i] = waiters_.back();
    waiters_.pop_back();
  }

  std::vector<Cpu> cpus_;
  std::vector<hal::CpuId> waiters_;
  Pos* pos_ = nullptr;
};

}  // namespace lockstep::emu::detail
