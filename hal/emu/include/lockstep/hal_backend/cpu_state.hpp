#pragma once
// The hot per-vCPU state the emulated back ends share with their inline HAL functions.

#include <atomic>
#include <cstdint>
#include <lockstep/hal/types.hpp>

namespace lockstep::hal {
struct Context;
}

namespace lockstep::emu::detail {

/// What the inline HAL functions read and write for the vCPU running on this host thread.
/// The deterministic engine repoints tl_cpu at every vCPU switch; the parallel engine sets it
/// once per host thread.
struct CpuHot {
  hal::CpuId id = 0;
  bool irq_enabled = false;
  void* percpu = nullptr;
  hal::Cycles cycles = 0;                 ///< Virtual cycles (deterministic engine only).
  std::atomic<std::uint32_t> pending{0};  ///< Raised, not yet delivered vectors (bit per vector).
  hal::Context* running = nullptr;        ///< The flow executing on this vCPU (kept by context_switch).
};

// constinit: every access from another translation unit skips the TLS initialisation wrapper.
extern thread_local constinit CpuHot* tl_cpu;
/// True while this host thread runs vCPUs of the deterministic engine: atomics and HAL calls
/// become scheduling points.
extern thread_local constinit bool tl_det;
/// True while the deterministic engine wants to hear of changed values (its strategy passes
/// over waiting vCPUs: emu/spin_wait.hpp), so an atomic skips the call when it does not.
extern thread_local constinit bool tl_watch_changes;
/// True while the deterministic engine runs the x86-TSO memory model (emu::MemoryModel::kTso):
/// stores other than sequentially consistent ones wait in the vCPU's store buffer.
extern thread_local constinit bool tl_tso;
/// True while the deterministic engine follows the C++ orders of atomics (the arm model or the
/// race detector, hal/emu/src/weak_memory.hpp): every atomic goes through det_view_*.
extern thread_local constinit bool tl_views;
/// True while the race detector checks hal::Tracked accesses.
extern thread_local constinit bool tl_races;

/// What an atomic operation does to its location: the strategies that reason about conflicts
/// (POS) and about progress (PCT's spin rule) need it. A read-modify-write counts as a write.
enum class Access : std::uint8_t { kRead, kWrite };

// Deterministic engine slow paths (hal/emu/src/det_engine.cpp).
void det_atomic_point(const void* location, Access access) noexcept;
void det_memory_changed(const void* location) noexcept;
void det_relax() noexcept;
void det_irq_enabled() noexcept;
// The TSO store buffer of the running vCPU (hal/emu/src/store_buffer.hpp).
void det_tso_store(void* location, const void* value, std::uint8_t size) noexcept;
bool det_tso_forward(const void* location, void* out, std::uint8_t size) noexcept;
void det_tso_drain() noexcept;
// The views of the running vCPU (hal/emu/src/weak_memory.hpp), values as their bits: a load's
// value (which store it reads is the model's choice), a store, and a read-modify-write as its
// read (the newest store) and then its write or, for a failed compare-exchange, its failure.
std::uint64_t det_view_load(const void* location, std::uint8_t size, std::memory_order order) noexcept;
void det_view_store(void* location, std::uint64_t bits, std::uint8_t size, std::memory_order order) noexcept;
std::uint64_t det_view_rmw_read(void* location, std::uint8_t size) noexcept;
void det_view_rmw_write(void* location, std::uint8_t size, std::uint64_t bits, std::memory_order order) noexcept;
void det_view_rmw_fail(std::memory_order order) noexcept;
void det_view_forget(const void* location) noexcept;
/// A plain access to a hal::Tracked datum (checked by the race detector).
void det_plain_access(const void* location, std::uint8_t size, bool write, const char* file, unsigned line,
                      const char* function) noexcept;
/// hal::fence on the deterministic engine: a scheduling point; `full` (seq_cst) drains under tso.
void det_fence(std::memory_order order) noexcept;

// Parallel engine slow paths (hal/emu/src/parallel_engine.cpp).
void par_relax() noexcept;
void par_deliver_pending() noexcept;
hal::Cycles par_cycles() noexcept;

}  // namespace lockstep::emu::detail
