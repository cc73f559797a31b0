#pragma once
// Basic vocabulary shared by the HAL contract, the core and every back end.

#include <cstddef>
#include <cstdint>
#include <lockstep/hal_backend/limits.hpp>

namespace lockstep::hal {

/// Logical CPU number, dense from 0 (the boot CPU) to cpu_count() - 1.
using CpuId = std::uint32_t;

/// The platform's own name for a CPU: the local APIC id on x86_64, the MPIDR affinity
/// bits on arm64, an engine-chosen id on the emulated machines.
using HwId = std::uint64_t;

/// A cycle count from the back end's cycle counter (virtual cycles on the deterministic
/// engine, host nanoseconds on the parallel engine, TSC on x86_64, CNTVCT_EL0 on arm64).
using Cycles = std::uint64_t;

/// An interrupt vector as the core sees it: a small number, not the hardware vector. The back
/// end maps it onto an APIC vector, a GIC SGI/PPI or an engine slot.
using Vector = std::uint8_t;

/// Saved local interrupt state, opaque to the core.
using IrqState = std::uintptr_t;

/// The largest machine this back end supports (hal_backend/limits.hpp: 1,024 emulated CPUs,
/// 64 for a kernel). The core sizes its static per-CPU tables by it.
inline constexpr CpuId kMaxCpus = backend::kMaxCpus;

/// Vectors 0..kIpiVectorCount-1 carry inter-processor interrupts; their meaning is the core's.
inline constexpr Vector kIpiVectorCount = 8;

/// The per-CPU timer's vector.
inline constexpr Vector kTimerVector = kIpiVectorCount;

/// Number of vectors a back end must be able to deliver.
inline constexpr Vector kVectorCount = kIpiVectorCount + 1;

inline constexpr CpuId kInvalidCpu = ~CpuId{0};

}  // namespace lockstep::hal
