#pragma once
// Starting secondary CPUs.

#include <lockstep/hal/types.hpp>
#include <span>

namespace lockstep::hal {

/// Entry function of a started CPU. It never returns.
using CpuEntry = void (*)(CpuId);

enum class StartResult : std::uint8_t {
  kStarted,        ///< The CPU was told to start; whether it arrives is the caller's to check.
  kNoSuchCpu,      ///< `cpu` is not a CPU of this platform.
  kAlreadyStarted,
  kRefused,        ///< The platform refused (PSCI error, no APIC response, injected fault).
};

/// Starts CPU `cpu` (logical id, platform_cpus() order) at `entry(cpu)` on `stack` with
/// interrupts disabled. Boot CPU only, thread context; may block for the platform's start
/// protocol (INIT-SIPI-SIPI delays) but never waits for the CPU to arrive. Release ordering: the
/// started CPU sees every store the caller made before the call (the core's bring-up handshake
/// relies on it; the deterministic engine's tso model drains the store buffer here).
StartResult start_cpu(CpuId cpu, CpuEntry entry, std::span<std::byte> stack) noexcept;

}  // namespace lockstep::hal
