#pragma once
// Kernel execution contexts: the core's tasks switch between them.
//
// The back end defines `struct Context` (the saved state of one suspended flow) in
// <lockstep/hal_backend/context.hpp>; the core embeds it by value.

#include <lockstep/hal/types.hpp>
#include <lockstep/hal_backend/context.hpp>
#include <span>
#include <type_traits>
#include <utility>

namespace lockstep::hal {

/// Entry of a new context. It must never return: a finished flow switches away for good.
using ContextEntry = void (*)(void* arg);

/// Prepares `ctx` to start `entry(arg)` on `stack` at its first switch-in. Any context.
void context_init(Context& ctx, std::span<std::byte> stack, ContextEntry entry, void* arg) noexcept;

/// Saves the running flow into `from` and resumes `to` on this CPU. Call with interrupts
/// disabled; the interrupt state is the resumed flow's business. Returns when something
/// switches back to `from`, possibly on another CPU (a migrated task).
void context_switch(Context& from, Context& to) noexcept;

// The core embeds a Context in every task and per-CPU record (default-constructed, then given to
// context_init) and never copies one while it may be live.
static_assert(std::is_default_constructible_v<Context>, "hal_backend Context must be default constructible");
static_assert(std::is_trivially_destructible_v<Context>,
              "hal_backend Context must need no destructor (static storage)");
static_assert(noexcept(context_init(std::declval<Context&>(), std::span<std::byte>{}, nullptr, nullptr)) &&
                  noexcept(context_switch(std::declval<Context&>(), std::declval<Context&>())),
              "context_init and context_switch must be noexcept");

}  // namespace lockstep::hal
