// Context switching on Boost.Context's fcontext, with the stack-switch annotations that
// AddressSanitizer and ThreadSanitizer need (Boost 1.74 provides none for fcontext).

#include "fiber.hpp"

#include <sys/mman.h>

#include <boost/context/detail/fcontext.hpp>
#include <lockstep/hal_backend/cpu_state.hpp>
#include <cstdio>
#include <cstdlib>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define LOCKSTEP_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#define LOCKSTEP_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif

namespace fc = boost::context::detail;

namespace lockstep::emu::detail {
namespace {

constexpr std::size_t kPageSize = 4096;

/// The fresh context being entered; read by its trampoline, which has no other way to find it.
thread_local hal::Context* tl_starting = nullptr;

struct StackCache {
  std::vector<std::span<std::byte>> free;
  ~StackCache() {
    for (auto s : free) munmap(s.data() - kPageSize, s.size() + kPageSize);
  }
};
thread_local StackCache tl_stacks;

/// Called on the new flow right after a jump lands: records the flow that jumped away.
void after_jump(fc::transfer_t t, [[maybe_unused]] void* fake_stack) {
  auto* from = static_cast<hal::Context*>(t.data);
  from->fctx = t.fctx;
#if LOCKSTEP_ASAN
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
  if (from->stack_base == nullptr) {
    from->stack_base = const_cast<void*>(bottom);
    from->stack_size = size;
  }
#endif
}

[[noreturn]] void trampoline(fc::transfer_t t) {
  hal::Context* self = tl_starting;
  after_jump(t, nullptr);
  auto entry = self->entry;
  self->entry = nullptr;
  entry(self->arg);
  std::fputs("lockstep: a context entry function returned (it must switch away for good)\n", stderr);
  std::abort();
}

}  // namespace

std::span<std::byte> stack_allocate(std::size_t size) {
  size = (size + kPageSize - 1) & ~(kPageSize - 1);
  auto& cache = tl_stacks.free;
  for (std::size_t i = 0; i < cache.size(); ++i) {
    if (cache[i].size() == size) {
      auto s = cache[i];
      cache[i] = cache.back();
      cache.pop_back();
      return s;
    }
  }
  void* p = mmap(nullptr, size + kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    std::fputs("lockstep: out of memory for a vCPU stack\n", stderr);
    std::abort();
  }
  mprotect(p, kPageSize, PROT_NONE);  // Guard page below the stack: an overflow faults, loudly.
  return {static_cast<std::byte*>(p) + kPageSize, size};
}

void stack_release(std::span<std::byte> stack) noexcept {
  if (stack.empty()) return;
  constexpr std::size_t kMaxCached = 4096;
  if (tl_stacks.free.size() < kMaxCached) {
    tl_stacks.free.push_back(stack);
  } else {
    munmap(stack.data() - kPageSize, stack.size() + kPageSize);
  }
}

void context_adopt_current(hal::Context& ctx) noexcept {
  ctx = hal::Context{};
#if LOCKSTEP_TSAN
  ctx.tsan_fiber = __tsan_get_current_fiber();
#endif
}

void context_destroy([[maybe_unused]] hal::Context& ctx) noexcept {
#if LOCKSTEP_TSAN
  if (ctx.tsan_fiber != nullptr && ctx.tsan_fiber != __tsan_get_current_fiber()) __tsan_destroy_fiber(ctx.tsan_fiber);
  ctx.tsan_fiber = nullptr;
#endif
}

}  // namespace lockstep::emu::detail

namespace lockstep::hal {

void context_init(Context& ctx, std::span<std::byte> stack, ContextEntry entry, void* arg) noexcept {
  emu::detail::context_destroy(ctx);
  ctx.stack_base = stack.data();
  ctx.stack_size = stack.size();
  ctx.entry = entry;
  ctx.arg = arg;
#if LOCKSTEP_ASAN
  // The stack may have been abandoned mid-call by an earlier run: clear its old redzones.
  __asan_unpoison_memory_region(stack.data(), stack.size());
#endif
#if LOCKSTEP_TSAN
  ctx.tsan_fiber = __tsan_create_fiber(0);
#endif
  ctx.fctx = fc::make_fcontext(stack.data() + stack.size(), stack.size(), emu::detail::trampoline);
}

void context_switch(Context& from, Context& to) noexcept {
  if (to.entry != nullptr) emu::detail::tl_starting = &to;
  if (auto* cpu = emu::detail::tl_cpu) cpu->running = &to;
  void* fake_stack = nullptr;
#if LOCKSTEP_ASAN
  __sanitizer_start_switch_fiber(&fake_stack, to.stack_base, to.stack_size);
#endif
#if LOCKSTEP_TSAN
  // `from` may be a flow that was never context_init'ed (a vCPU's idle loop): name it now.
  from.tsan_fiber = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
  fc::transfer_t t = fc::jump_fcontext(to.fctx, &from);
  emu::detail::after_jump(t, fake_stack);
}

}  // namespace lockstep::hal
