#pragma once
// Vector clocks (Lamport 1978; Mattern 1989) over the machine's vCPUs: the happens-before
// relation of the C++ memory model as the deterministic engine follows it. vCPU c's own entry
// is its epoch, raised after every release it performs, so "event (c, e) happens before the
// holder of clock V" is `e <= V[c]` (the epoch test of FastTrack, Flanagan and Freund, PLDI
// 2009).

#include <algorithm>
#include <cstdint>
#include <lockstep/hal/types.hpp>
#include <vector>

namespace lockstep::emu::detail {

using Epoch = std::uint32_t;

class VectorClock {
 public:
  VectorClock() = default;
  explicit VectorClock(hal::CpuId cpus) : c_(cpus, 0) {}

  /// An empty clock orders nothing (a relaxed store's view when no release fence came first).
  bool empty() const noexcept { return c_.empty(); }
  Epoch operator[](hal::CpuId cpu) const noexcept { return cpu < c_.size() ? c_[cpu] : 0; }
  Epoch& at(hal::CpuId cpu) noexcept { return c_[cpu]; }

  /// Everything `other` has seen, this one has now seen too.
  void join(const VectorClock& other) noexcept {
    if (other.c_.empty()) return;
    if (c_.size() < other.c_.size()) c_.resize(other.c_.size(), 0);
    for (std::size_t i = 0; i < other.c_.size(); ++i) c_[i] = std::max(c_[i], other.c_[i]);
  }
  /// Becomes a copy of `other`, keeping its storage (views are copied at every release).
  void assign(const VectorClock& other) { c_.assign(other.c_.begin(), other.c_.end()); }
  void clear() noexcept { c_.clear(); }

 private:
  std::vector<Epoch> c_;
};

}  // namespace lockstep::emu::detail
