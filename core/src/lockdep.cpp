// The lock validator (lockdep.hpp): classes, the order graph, usage contexts
// and the reports. Plain memory throughout: the validator is enabled only where
// one CPU runs at a time, and it has no scheduling point, so nothing can
// interleave with it (not even an interrupt).

#include <lockstep/core/cpu.hpp>
#include <lockstep/core/lockdep.hpp>
#include <lockstep/core/panic.hpp>
#include <lockstep/core/percpu.hpp>
#include <lockstep/core/print.hpp>
#include <lockstep/core/spinlock.hpp>

#include "state.hpp"

namespace lockstep::core {
namespace {

constexpr std::uint8_t kNoClass = 0xff;
constexpr std::uint32_t kMaxHeld = 16;  // Deeper nesting is not validated (the report says so).
static_assert(kMaxLockClasses <= 64, "edges are one 64-bit word per class");

/// Where something was first seen: the run, the CPU and its clock.
struct Site {
  std::uint64_t tag = 0;
  hal::CpuId cpu = 0;
  hal::Cycles time = 0;
  bool known = false;
};

// Usage contexts of a class.
constexpr std::uint8_t kInIrq = 1;       // Taken in an interrupt handler.
constexpr std::uint8_t kTaskIrqsOn = 2;  // Taken in task context with interrupts enabled.
constexpr std::uint8_t kIrqsOff = 4;     // Taken with interrupts disabled.
constexpr int kUsages = 3;

struct Class {
  const char* name = nullptr;
  std::uint8_t usage = 0;
  Site usage_site[kUsages];
  bool reported = false;  // One report per class and rule is enough.
};

struct Graph {
  Class classes[kMaxLockClasses];
  std::uint32_t count = 0;
  std::uint64_t edges[kMaxLockClasses] = {};  // Bit b of edges[a]: a was held when b was taken.
  Site edge_site[kMaxLockClasses][kMaxLockClasses];
  bool overflow = false;
};

struct Held {
  std::uint8_t cls;
};

struct CpuHeld {
  Held held[kMaxHeld];
  std::uint32_t depth = 0;  // May exceed kMaxHeld: only the first kMaxHeld are tracked.
};

bool g_enabled = false;
std::uint64_t g_tag = 0;
Graph g_graph;
CpuHeld g_held[hal::kMaxCpus];
bool g_report_made = false;
char g_report[TextBuffer::kCapacity];

Site here() noexcept { return Site{g_tag, hal::current_cpu_id(), hal::cycle_counter(), true}; }

/// The class of `lock` (by its name's address), registered on first sight.
std::uint8_t class_of(const detail::LockOwner& lock) noexcept {
  const char* name = lock.stats.name;
  for (std::uint32_t i = 0; i < g_graph.count; ++i)
    if (g_graph.classes[i].name == name) return static_cast<std::uint8_t>(i);
  if (g_graph.count == kMaxLockClasses) {
    g_graph.overflow = true;
    return kNoClass;
  }
  g_graph.classes[g_graph.count].name = name;
  return static_cast<std::uint8_t>(g_graph.count++);
}

const char* name_of(std::uint8_t c) noexcept { return g_graph.classes[c].name; }

void put_site(TextBuffer& t, const Site& s) noexcept {
  if (s.known) t.format("cpu {} at cycle {} of run {}", s.cpu, s.time, s.tag);
}

void report(TextBuffer& text) noexcept {
  if (g_report_made) return;
  g_report_made = true;
  text.put('\0');
  copy_string(g_report, sizeof g_report, text.data());
}

/// A path from `from` to `to` in the order graph, as classes: path[0] = from
/// ... path[n-1] = to.
std::uint32_t find_path(std::uint8_t from, std::uint8_t to, std::uint8_t* path) noexcept {
  std::uint8_t parent[kMaxLockClasses];
  std::uint8_t queue[kMaxLockClasses];
  std::uint64_t seen = std::uint64_t{1} << from;
  std::uint32_t head = 0, tail = 0;
  queue[tail++] = from;
  while (head < tail) {
    const std::uint8_t c = queue[head++];
    for (std::uint64_t next = g_graph.edges[c] & ~seen; next != 0; next &= next - 1) {
      const auto n = static_cast<std::uint8_t>(__builtin_ctzll(next));
      seen |= std::uint64_t{1} << n;
      parent[n] = c;
      if (n == to) {
        std::uint32_t len = 0;
        for (std::uint8_t x = to;; x = parent[x]) {
          path[len++] = x;
          if (x == from) break;
        }
        for (std::uint32_t i = 0; i < len / 2; ++i) {
          const std::uint8_t tmp = path[i];
          path[i] = path[len - 1 - i];
          path[len - 1 - i] = tmp;
        }
        return len;
      }
      queue[tail++] = n;
    }
  }
  return 0;
}

/// The new edge held -> taken closed a cycle: taken -> ... -> held -> taken.
void report_cycle(std::uint8_t held, std::uint8_t taken) noexcept {
  std::uint8_t path[kMaxLockClasses];
  const std::uint32_t n = find_path(taken, held, path);
  if (n == 0) return;
  TextBuffer text;
  text.format("possible circular locking dependency: '{}'", name_of(taken));
  for (std::uint32_t i = 1; i < n; ++i) text.format(" -> '{}'", name_of(path[i]));
  text.format(" -> '{}'", name_of(taken));
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint8_t a = path[i], b = i + 1 < n ? path[i + 1] : taken;
    text.format("; '{}' then '{}' by ", name_of(a), name_of(b));
    put_site(text, g_graph.edge_site[a][b]);
  }
  report(text);
}

void add_edge(std::uint8_t held, std::uint8_t taken) noexcept {
  const std::uint64_t bit = std::uint64_t{1} << taken;
  if (g_graph.edges[held] & bit) return;
  g_graph.edges[held] |= bit;
  g_graph.edge_site[held][taken] = here();
  report_cycle(held, taken);
}

void note_usage(std::uint8_t c) noexcept {
  PerCpu& me = this_cpu();
  const bool irqs_on = hal::irq_enabled();
  std::uint8_t usage = irqs_on ? 0 : kIrqsOff;
  if (me.irq_depth != 0) {
    usage |= kInIrq;
  } else if (irqs_on) {
    usage |= kTaskIrqsOn;
  }
  Class& k = g_graph.classes[c];
  const std::uint8_t fresh = usage & ~k.usage;
  if (fresh == 0) return;
  for (int u = 0; u < kUsages; ++u)
    if (fresh & (1u << u)) k.usage_site[u] = here();
  k.usage |= fresh;
  if ((k.usage & kInIrq) && (k.usage & kTaskIrqsOn) && !k.reported) {
    k.reported = true;
    TextBuffer text;
    text.format("inconsistent lock usage: '{}' is taken in interrupt context (", k.name);
    put_site(text, k.usage_site[0]);
    text.put(") and in task context with interrupts enabled (");
    put_site(text, k.usage_site[1]);
    text.put("): the interrupt can arrive while the task holds it");
    report(text);
  }
}

}  // namespace

void lockdep_enable(bool on) noexcept { g_enabled = on; }
bool lockdep_enabled() noexcept { return g_enabled; }
void lockdep_set_run_tag(std::uint64_t tag) noexcept { g_tag = tag; }
const char* lockdep_report() noexcept { return g_report_made ? g_report : nullptr; }

void lockdep_forget() noexcept {
  g_graph.count = 0;
  g_graph.overflow = false;
  for (std::uint32_t i = 0; i < kMaxLockClasses; ++i) {
    g_graph.classes[i] = Class{};
    g_graph.edges[i] = 0;
  }
}

void detail::lockdep_run_start() noexcept {
  g_report_made = false;
  g_report[0] = '\0';
  for (CpuHeld& h : g_held) h.depth = 0;
}

void detail::lockdep_will_acquire(const LockOwner& lock) noexcept {
  if (!g_enabled || hal::percpu_base() == nullptr) return;
  const std::uint8_t c = class_of(lock);
  if (c == kNoClass) return;
  note_usage(c);
  const CpuHeld& h = g_held[hal::current_cpu_id()];
  for (std::uint32_t i = 0; i < h.depth && i < kMaxHeld; ++i)
    if (h.held[i].cls != kNoClass && h.held[i].cls != c) add_edge(h.held[i].cls, c);
}

void detail::lockdep_acquired(const LockOwner& lock) noexcept {
  if (!g_enabled || hal::percpu_base() == nullptr) return;
  CpuHeld& h = g_held[hal::current_cpu_id()];
  if (h.depth < kMaxHeld) h.held[h.depth].cls = class_of(lock);
  ++h.depth;
}

void detail::lockdep_released(const LockOwner& lock) noexcept {
  if (!g_enabled || hal::percpu_base() == nullptr) return;
  CpuHeld& h = g_held[hal::current_cpu_id()];
  if (h.depth == 0) return;  // Taken before the validator was on.
  // Locks need not be released in order: drop the innermost entry of this
  // class.
  const std::uint8_t c = class_of(lock);
  const std::uint32_t tracked = h.depth < kMaxHeld ? h.depth : kMaxHeld;
  for (std::uint32_t i = tracked; i-- > 0;) {
    if (h.held[i].cls != c) continue;
    for (std::uint32_t j = i; j + 1 < tracked; ++j) h.held[j] = h.held[j + 1];
    break;
  }
  --h.depth;
}

void detail::lockdep_check_call_wait() noexcept {
  if (!g_enabled || hal::percpu_base() == nullptr) return;
  const CpuHeld& h = g_held[hal::current_cpu_id()];
  for (std::uint32_t i = 0; i < h.depth && i < kMaxHeld; ++i) {
    const std::uint8_t c = h.held[i].cls;
    if (c == kNoClass || !(g_graph.classes[c].usage & kIrqsOff)) continue;
    TextBuffer text;
    text.format(
        "cross-CPU call waited for while holding '{}', which is also "
        "taken with interrupts off (",
        name_of(c));
    put_site(text, g_graph.classes[c].usage_site[2]);
    text.put("): a CPU spinning on it there cannot take the call's interrupt");
    report(text);
    return;
  }
}

bool detail::lockdep_check_block(const char* what) noexcept {
  if (!g_enabled || hal::percpu_base() == nullptr) return true;
  const CpuHeld& h = g_held[hal::current_cpu_id()];
  if (h.depth == 0) return true;
  TextBuffer text;
  text.format("{} would block with spinlock '{}' held", what, h.held[0].cls == kNoClass ? "?" : name_of(h.held[0].cls));
  text.put('\0');
  panic(text.data(), __FILE__, __LINE__);
}

}  // namespace lockstep::core
