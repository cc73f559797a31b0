#pragma once
// Fiber plumbing shared by both emulated engines: stacks and adopting the host thread's flow.

#include <cstddef>
#include <lockstep/hal/context.hpp>
#include <span>

namespace lockstep::emu::detail {

/// A stack for a vCPU's first flow: mmap'd with a guard page, pages committed on first touch.
/// Freed stacks are kept per host thread and reused (an explored run must not pay mmap).
std::span<std::byte> stack_allocate(std::size_t size);
void stack_release(std::span<std::byte> stack) noexcept;

/// Makes `ctx` describe the flow already running on this host thread, so that it can be
/// switched away from and back to.
void context_adopt_current(hal::Context& ctx) noexcept;

/// Releases sanitizer state attached to a context that will never run again.
void context_destroy(hal::Context& ctx) noexcept;

}  // namespace lockstep::emu::detail
