// SCTBench's CHESS WorkStealQueue test: an owner pushes and pops at the tail of a work-stealing
// deque while stealers take from the head under a lock; every item must be processed exactly
// once. The planted bug is SCTBench's BUG3: Push's fast path admits one element too many
// (`t < head + mask + 1` for `t < head + mask`), so it overwrites the slot a stealer takes.
// Two stealers, as SCTBench ran it (PERIOD's copy, which RFF and SURW ran, has one).

#include "harness.hpp"

namespace lockstep::bugs {
namespace {

struct Item {
  hal::Atomic<int> field{0};
};

/// Storage is static (no heap on the emulated machine's tasks): at most kCapacity elements.
class WorkStealQueue {
 public:
  static constexpr long kCapacity = 64;

  void reset(long initial_size) {
    head_.store(0);
    tail_.store(0);
    mask_.store(initial_size - 1);
  }

  bool steal(Item*& result) {
    core::SpinlockGuard g(lock_);
    const long h = head_.load();
    head_.store(h + 1);
    if (h < tail_.load()) {
      result = elems_[h & mask_.load()].load();
      return true;
    }
    head_.store(h);
    return false;
  }

  bool pop(Item*& result) {
    const long t = tail_.load() - 1;
    tail_.store(t);
    if (head_.load() <= t) {
      result = elems_[t & mask_.load()].load();
      return true;
    }
    tail_.store(t + 1);
    return sync_pop(result);
  }

  void push(Item* item) {
    const long t = tail_.load();
    // BUG3 (planted, as in SCTBench): the bound should be head + mask.
    if (t < head_.load() + mask_.load() + 1 && t < kCapacity) {
      elems_[t & mask_.load()].store(item);
      tail_.store(t + 1);
      return;
    }
    sync_push(item);
  }

 private:
  bool sync_pop(Item*& result) {
    core::SpinlockGuard g(lock_);
    const long t = tail_.load() - 1;
    tail_.store(t);
    bool found = false;
    if (head_.load() <= t) {
      result = elems_[t & mask_.load()].load();
      found = true;
    } else {
      tail_.store(t + 1);
    }
    if (head_.load() > t) {
      head_.store(0);
      tail_.store(0);
      found = false;
    }
    return found;
  }

  void sync_push(Item* item) {
    core::SpinlockGuard g(lock_);
    long h = head_.load();
    const long count = tail_.load() - h;
    const long mask = mask_.load();
    h &= mask;
    head_.store(h);
    tail_.store(h + count);
    if (count >= mask && 2 * (mask + 1) <= kCapacity) {
      Item* moved[kCapacity];
      for (long i = 0; i < count; ++i) moved[i] = elems_[(h + i) & mask].load();
      for (long i = 0; i < count; ++i) elems_[i].store(moved[i]);
      mask_.store(2 * (mask + 1) - 1);
      head_.store(0);
      tail_.store(count);
    }
    const long t = tail_.load();
    elems_[t & mask_.load()].store(item);
    tail_.store(t + 1);
  }

  Mutex lock_{"wsq.lock"};
  hal::Atomic<long> head_{0}, tail_{0}, mask_{0};
  hal::Atomic<Item*> elems_[kCapacity];
};

constexpr int kItems = 4;
constexpr int kStealAttempts = 2;
constexpr long kInitialSize = 2;
WorkStealQueue g_queue;
Item g_items[kItems];

void wsq_thread(std::uint32_t i) {
  Item* r = nullptr;
  if (i != 0) {
    for (int k = 0; k < kStealAttempts; ++k)
      if (g_queue.steal(r)) r->field.fetch_add(1);
    return;
  }
  for (int k = 0; k < kItems / 2; ++k) {
    g_queue.push(&g_items[2 * k]);
    g_queue.push(&g_items[2 * k + 1]);
    if (g_queue.pop(r)) r->field.fetch_add(1);
  }
  for (int k = 0; k < kItems / 2; ++k)
    if (g_queue.pop(r)) r->field.fetch_add(1);
}

void wsq_check() {
  for (Item& item : g_items)
    if (item.field.load() != 1) bug("work_steal_queue: an item was not processed exactly once");
}

}  // namespace
}  // namespace lockstep::bugs

LOCKSTEP_SCENARIO(work_steal_queue, "SCTBench/CHESS WorkStealQueue: an owner and 2 stealers, Push admits one too many") {
  namespace bugs = lockstep::bugs;
  bugs::g_queue.reset(bugs::kInitialSize);
  for (auto& item : bugs::g_items) item.field.store(0);
  bugs::run_threads(result, 3, bugs::wsq_thread, 0, bugs::wsq_check);
}
