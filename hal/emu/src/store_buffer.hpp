#pragma once
// x86-TSO's store buffer (Sewell et al., "x86-TSO", CACM 2010): per vCPU, a FIFO of stores not
// yet in memory. A store enters at the tail; the vCPU's own loads see its newest buffered store
// to a location first; the oldest entry leaves for memory when the engine decides (a seeded
// decision at each of the vCPU's scheduling points) or when a barrier drains the buffer
// (read-modify-writes, sequentially consistent stores, IPIs, interrupt entry, waits, halts).

#include <array>
#include <cstdint>
#include <cstring>

namespace lockstep::emu::detail {

struct BufferedStore {
  void* location = nullptr;
  std::uint64_t bits = 0;
  std::uint8_t size = 0;
};

class StoreBuffer {
 public:
  /// Entries kept; a store into a full buffer first writes the oldest one back (a core's
  /// buffer holds 40-70 entries; a bound keeps the search's choices few).
  static constexpr std::size_t kCapacity = 16;

  bool empty() const noexcept { return count_ == 0; }
  bool full() const noexcept { return count_ == kCapacity; }
  std::size_t size() const noexcept { return count_; }

  void push(void* location, const void* value, std::uint8_t size) noexcept {
    BufferedStore& e = entries_[(head_ + count_) % kCapacity];
    e.location = location;
    e.size = size;
    e.bits = 0;
    std::memcpy(&e.bits, value, size);
    ++count_;
  }

  /// The newest buffered value of `location` into `out`; false if none is buffered.
  bool forward(const void* location, void* out, std::uint8_t size) const noexcept {
    for (std::size_t k = count_; k-- > 0;) {
      const BufferedStore& e = entries_[(head_ + k) % kCapacity];
      if (e.location == location && e.size == size) {
        std::memcpy(out, &e.bits, size);
        return true;
      }
    }
    return false;
  }

  /// Removes the oldest entry (the buffer must not be empty).
  BufferedStore pop() noexcept {
    const BufferedStore e = entries_[head_];
    head_ = (head_ + 1) % kCapacity;
    --count_;
    return e;
  }

 private:
  std::array<BufferedStore, kCapacity> entries_{};
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace lockstep::emu::detail
