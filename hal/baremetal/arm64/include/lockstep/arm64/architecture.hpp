#pragma once
// Architectural constants of AArch64 that the arm64 kernel (which uses them) and the Unicorn
// machine (which implements the other side) share: one definition each, with its citation.
// Header-only and freestanding.

#include <cstdint>

namespace lockstep::arm64 {

/// ESR_ELx exception classes (Arm ARM D17.2.37).
inline constexpr std::uint64_t kEcUnknown = 0x00, kEcSvc64 = 0x15, kEcHvc64 = 0x16, kEcSmc64 = 0x17;
inline constexpr std::uint64_t kEcInstAbortSame = 0x21, kEcPcAlign = 0x22, kEcDataAbortSame = 0x25;
inline constexpr std::uint64_t kEcSpAlign = 0x26, kEcSError = 0x2f, kEcBrk = 0x3c;

/// PSCI function ids (Arm DEN0022 PSCI 1.1, 5.1) and return codes (5.2.2).
inline constexpr std::uint32_t kPsciVersion = 0x84000000;
inline constexpr std::uint32_t kPsciCpuOff = 0x84000002;
inline constexpr std::uint32_t kPsciCpuOn32 = 0x84000003;
inline constexpr std::uint32_t kPsciCpuOn64 = 0xC4000003;
inline constexpr std::uint32_t kPsciAffinityInfo32 = 0x84000004;
inline constexpr std::uint32_t kPsciAffinityInfo64 = 0xC4000004;
inline constexpr std::uint32_t kPsciSystemOff = 0x84000008;
inline constexpr std::uint32_t kPsciSystemReset = 0x84000009;
inline constexpr std::uint32_t kPsciFeatures = 0x8400000A;
inline constexpr std::int64_t kPsciSuccess = 0, kPsciNotSupported = -1, kPsciInvalidParameters = -2;
inline constexpr std::int64_t kPsciDenied = -3, kPsciAlreadyOn = -4, kPsciOnPending = -5, kPsciInternalFailure = -6;
inline constexpr std::int64_t kPsciNotPresent = -7, kPsciDisabled = -8, kPsciInvalidAddress = -9;

/// Semihosting (Arm "Semihosting for AArch32 and AArch64" 2.0): HLT #0xF000 is the AArch64
/// trap; SYS_EXIT's AArch64 parameter is a block {reason, subcode}, and
/// ADP_Stopped_ApplicationExit carries the exit status in the subcode.
inline constexpr std::uint64_t kSysWritec = 0x03, kSysWrite0 = 0x04, kSysExitOperation = 0x18;
inline constexpr std::uint64_t kAdpStoppedApplicationExitValue = 0x20026;

/// The generic timer frequency of QEMU's virt machine (CNTFRQ_EL0 = 62.5 MHz, FACTS): the kernel's
/// fallback when neither the register nor the device tree says, and what the Unicorn machine
/// reports.
inline constexpr std::uint64_t kVirtCounterHz = 62'500'000;

}  // namespace lockstep::arm64
