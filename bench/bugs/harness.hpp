#pragma once
// The harness of the planted-bug programs (bench/bugs): a test program's threads become tasks,
// thread i on CPU i % cpu_count, released together by a start barrier (as pthread programs
// start their threads), and the program's assert(0) becomes bug(), reported as the run's
// failure once every thread has finished. Shared plain data of the originals is hal::Atomic
// here (every access a scheduling point); pthread mutexes are core::RawSpinlock.

#include <cstdint>
#include <lockstep/scenario.hpp>

namespace lockstep::bugs {

/// A thread of a test program; `index` is its number among the program's threads.
using ThreadFn = void (*)(std::uint32_t index);

/// Runs `threads` threads of `fn` to the end, then `after` (the originals' checks after join),
/// and fails `result` if any of them called bug(). Thread i starts on CPU i % cpus, where
/// `cpus` is the machine's CPU count or, if smaller and not 0, `on_cpus`. The boot CPU takes
/// part (it hosts thread 0).
void run_threads(core::WorkloadResult& result, std::uint32_t threads, ThreadFn fn, std::uint32_t on_cpus = 0,
                 void (*after)() = nullptr) noexcept;

/// The program's assertion failed: `what` becomes the run's failure reason (the first one wins).
void bug(const char* what) noexcept;

/// The program's mutex: a pthread_mutex_t of the originals.
using Mutex = core::RawSpinlock;

}  // namespace lockstep::bugs
