// The lock validator (lockdep.hpp): classes, the order graph, usage contexts, the log of facts
// and the reports. Plain memory throughout: the validator is enabled only where one CPU runs at
// a time, and it has no scheduling point, so nothing can interleave with it (not even an
// interrupt).

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
  SourceSite source;
};

// Usage contexts of a class: bit (kind - 1) for the LockdepFactKind of the same name.
constexpr std::uint8_t kInIrq = 1;       // Taken in an interrupt handler.
constexpr std::uint8_t kTaskIrqsOn = 2;  // Taken in task context with interrupts enabled.
constexpr std::uint8_t kIrqsOff = 4;     // Taken with interrupts disabled.
constexpr int kUsages = 3;

struct Class {
  const char* name = nullptr;
  bool imported_name = false;  // `name` came from lockdep_import: a lock's own name replaces it.
  std::uint8_t usage = 0;
  Site usage_site[kUsages];
  bool reported = false;  // One report per class and rule is enough.
};

/// A fact as the log keeps it: kind and classes (the site is in the graph).
struct LoggedFact {
  LockdepFactKind kind;
  std::uint8_t a;
  std::uint8_t b;
};

struct Graph {
  Class classes[kMaxLockClasses];
  std::uint32_t count = 0;
  std::uint64_t edges[kMaxLockClasses] = {};  // Bit b of edges[a]: a was held when b was taken.
  Site edge_site[kMaxLockClasses][kMaxLockClasses];
  LoggedFact log[kMaxLockClasses * kMaxLockClasses + kMaxLockClasses * kUsages];
  std::uint32_t logged = 0;
  bool overflow = false;
};

struct Held {
  std::uint8_t cls;
  hal::Cycles since;  // The holder's clock when it took the lock.
  SourceSite source;
};

struct CpuHeld {
  Held held[kMaxHeld];
  std::uint32_t depth = 0;  // May exceed kMaxHeld: only the first kMaxHeld are tracked.
};

std::uint64_t g_tag = 0;
std::uint32_t g_generation = 1;  // Bumped by lockdep_forget: the locks' cached classes go stale.
// `info vcpus` of lockstep's gdb extension (sim/gdb/lockstep_gdb.py) reads these two by name:
// g_held[cpu].held[i].cls, .depth and g_graph.classes[cls].name (tests/debug checks it).
Graph g_graph;
CpuHeld g_held[hal::kMaxCpus];
bool g_report_made = false;
char g_report[TextBuffer::kCapacity];

Site here(SourceSite at) noexcept { return Site{g_tag, hal::current_cpu_id(), hal::cycle_counter(), true, at}; }

/// "file.cpp:12": the file's last path component, so reports name no machine's paths.
void put_file_line(TextBuffer& t, const SourceSite& s) noexcept {
  const char* base = s.file;
  for (const char* p = s.file; *p != '\0'; ++p)
    if (*p == '/') base = p + 1;
  t.format("{}:{}", base, s.line);
}

void put_source(TextBuffer& t, const SourceSite& s) noexcept {
  if (s.file == nullptr) return;
  t.put(" (");
  put_file_line(t, s);
  t.put(")");
}

bool same_text(const char* a, const char* b) noexcept {
  while (*a != '\0' && *a == *b) ++a, ++b;
  return *a == *b;
}

/// The class named `name`, registered on first sight. By address first (the common case, a
/// string literal), then by text (the same name from another translation unit or an import).
std::uint8_t class_named(const char* name) noexcept {
  for (std::uint32_t i = 0; i < g_graph.count; ++i)
    if (g_graph.classes[i].name == name) return static_cast<std::uint8_t>(i);
  for (std::uint32_t i = 0; i < g_graph.count; ++i) {
    Class& k = g_graph.classes[i];
    if (!same_text(k.name, name)) continue;
    if (k.imported_name) k.name = name, k.imported_name = false;  // Keep the lock's own string.
    return static_cast<std::uint8_t>(i);
  }
  if (g_graph.count == kMaxLockClasses) {
    g_graph.overflow = true;
    return kNoClass;
  }
  g_graph.classes[g_graph.count].name = name;
  return static_cast<std::uint8_t>(g_graph.count++);
}

/// The class of `lock`, cached in the lock so an acquisition costs no search.
std::uint8_t class_of(const detail::LockOwner& lock) noexcept {
  if ((lock.lockdep_key >> 8) == g_generation) return static_cast<std::uint8_t>(lock.lockdep_key);
  const std::uint8_t c = class_named(lock.stats.name);
  if (c != kNoClass) lock.lockdep_key = (g_generation << 8) | c;
  return c;
}

const char* name_of(std::uint8_t c) noexcept { return g_graph.classes[c].name; }

void log_fact(LockdepFactKind kind, std::uint8_t a, std::uint8_t b) noexcept {
  // The log has room for every edge and usage there can be: it cannot overflow.
  g_graph.log[g_graph.logged++] = LoggedFact{kind, a, b};
}

void put_site(TextBuffer& t, const Site& s) noexcept {
  if (!s.known) return;
  t.format("cpu {} at cycle {} of run {}", s.cpu, s.time, s.tag);
  put_source(t, s.source);
}

/// Says so when the sites of one report come from different runs: no single run shows it.
void put_runs_note(TextBuffer& t, const Site* sites, std::uint32_t n) noexcept {
  for (std::uint32_t i = 1; i < n; ++i) {
    if (sites[i].tag == sites[0].tag) continue;
    t.put(kLockdepAcrossRuns);
    return;
  }
}

void report(TextBuffer& text) noexcept {
  if (g_report_made) return;
  g_report_made = true;
  text.put('\0');
  copy_string(g_report, sizeof g_report, text.data());
}

/// A path from `from` to `to` in the order graph, as classes: path[0] = from ... path[n-1] = to.
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
  Site sites[kMaxLockClasses];
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint8_t a = path[i], b = i + 1 < n ? path[i + 1] : taken;
    sites[i] = g_graph.edge_site[a][b];
    text.format("; '{}' then '{}' by ", name_of(a), name_of(b));
    put_site(text, sites[i]);
  }
  put_runs_note(text, sites, n);
  report(text);
}

void add_edge(std::uint8_t held, std::uint8_t taken, const Site& site) noexcept {
  const std::uint64_t bit = std::uint64_t{1} << taken;
  if (g_graph.edges[held] & bit) return;
  g_graph.edges[held] |= bit;
  g_graph.edge_site[held][taken] = site;
  log_fact(LockdepFactKind::kOrder, held, taken);
  report_cycle(held, taken);
}

void check_usage(Class& k) noexcept {
  if (!(k.usage & kInIrq) || !(k.usage & kTaskIrqsOn) || k.reported) return;
  k.reported = true;
  TextBuffer text;
  text.format("inconsistent lock usage: '{}' is taken in interrupt context (", k.name);
  put_site(text, k.usage_site[0]);
  text.put(") and in task context with interrupts enabled (");
  put_site(text, k.usage_site[1]);
  text.put("): the interrupt can arrive while the task holds it");
  put_runs_note(text, k.usage_site, 2);
  report(text);
}

void add_usage(std::uint8_t c, std::uint8_t usage, const Site& site) noexcept {
  Class& k = g_graph.classes[c];
  const std::uint8_t fresh = usage & ~k.usage;
  if (fresh == 0) return;
  for (int u = 0; u < kUsages; ++u) {
    if (!(fresh & (1u << u))) continue;
    k.usage_site[u] = site;
    log_fact(static_cast<LockdepFactKind>(u + 1), c, kNoClass);
  }
  k.usage |= fresh;
  check_usage(k);
}

/// The context this CPU takes a lock in, as usage bits.
std::uint8_t current_usage() noexcept {
  const bool irqs_on = hal::irq_enabled();
  std::uint8_t usage = irqs_on ? 0 : kIrqsOff;
  if (this_cpu().irq_depth != 0) {
    usage |= kInIrq;
  } else if (irqs_on) {
    usage |= kTaskIrqsOn;
  }
  return usage;
}

bool active() noexcept { return detail::g_lockdep_on && hal::percpu_base() != nullptr; }

}  // namespace

void lockdep_enable(bool on) noexcept { detail::g_lockdep_on = on; }
bool lockdep_enabled() noexcept { return detail::g_lockdep_on; }
void lockdep_set_run_tag(std::uint64_t tag) noexcept { g_tag = tag; }
const char* lockdep_report() noexcept { return g_report_made ? g_report : nullptr; }

void lockdep_forget() noexcept {
  g_graph.count = 0;
  g_graph.logged = 0;
  g_graph.overflow = false;
  for (std::uint32_t i = 0; i < kMaxLockClasses; ++i) {
    g_graph.classes[i] = Class{};
    g_graph.edges[i] = 0;
  }
  ++g_generation;
}

std::uint32_t lockdep_facts(std::uint32_t first, void (*fn)(const LockdepFact&, void*), void* arg) noexcept {
  for (std::uint32_t i = first; i < g_graph.logged; ++i) {
    const LoggedFact& f = g_graph.log[i];
    const bool order = f.kind == LockdepFactKind::kOrder;
    const Site& s = order ? g_graph.edge_site[f.a][f.b]
                          : g_graph.classes[f.a].usage_site[static_cast<int>(f.kind) - 1];
    fn(LockdepFact{f.kind, name_of(f.a), order ? name_of(f.b) : nullptr, s.tag, s.cpu, s.time, s.source}, arg);
  }
  return g_graph.logged;
}

void lockdep_begin_import() noexcept {
  g_report_made = false;
  g_report[0] = '\0';
}

namespace {
/// class_named for an imported name: a class it creates keeps the name only until a lock of
/// that name shows its own string.
std::uint8_t imported_class(const char* name) noexcept {
  const std::uint32_t before = g_graph.count;
  const std::uint8_t c = class_named(name);
  if (c != kNoClass && g_graph.count != before) g_graph.classes[c].imported_name = true;
  return c;
}
}  // namespace

void lockdep_import(const LockdepFact& fact) noexcept {
  const bool order = fact.kind == LockdepFactKind::kOrder;
  if (fact.lock == nullptr || (order && fact.then == nullptr)) return;
  const std::uint8_t a = imported_class(fact.lock);
  if (a == kNoClass) return;
  const Site site{fact.run, fact.cpu, fact.time, true, fact.source};
  if (!order) {
    add_usage(a, static_cast<std::uint8_t>(1u << (static_cast<int>(fact.kind) - 1)), site);
    return;
  }
  const std::uint8_t b = imported_class(fact.then);
  if (b == kNoClass || b == a) return;
  add_edge(a, b, site);
}

void detail::lockdep_run_start() noexcept {
  g_report_made = false;
  g_report[0] = '\0';
  for (CpuHeld& h : g_held) h.depth = 0;
}

void detail::lockdep_will_acquire_slow(const LockOwner& lock, SourceSite at) noexcept {
  if (!active()) return;
  const std::uint8_t c = class_of(lock);
  if (c == kNoClass) return;
  const Site site = here(at);
  add_usage(c, current_usage(), site);
  const CpuHeld& h = g_held[hal::current_cpu_id()];
  for (std::uint32_t i = 0; i < h.depth && i < kMaxHeld; ++i)
    if (h.held[i].cls != kNoClass && h.held[i].cls != c) add_edge(h.held[i].cls, c, site);
}

void detail::lockdep_acquired_slow(const LockOwner& lock, SourceSite at) noexcept {
  if (!active()) return;
  CpuHeld& h = g_held[hal::current_cpu_id()];
  if (h.depth < kMaxHeld) h.held[h.depth] = Held{class_of(lock), hal::cycle_counter(), at};
  ++h.depth;
}

void detail::lockdep_released_slow(const LockOwner& lock) noexcept {
  if (!active()) return;
  CpuHeld& h = g_held[hal::current_cpu_id()];
  if (h.depth == 0) return;  // Taken before the validator was on.
  // Locks need not be released in order: drop the innermost entry of this class.
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
  if (!active()) return;
  const CpuHeld& h = g_held[hal::current_cpu_id()];
  for (std::uint32_t i = 0; i < h.depth && i < kMaxHeld; ++i) {
    const std::uint8_t c = h.held[i].cls;
    if (c == kNoClass || !(g_graph.classes[c].usage & kIrqsOff)) continue;
    TextBuffer text;
    text.format("cross-CPU call waited for while holding '{}', which is also taken with interrupts off (", name_of(c));
    put_site(text, g_graph.classes[c].usage_site[2]);
    text.put("): a CPU spinning on it there cannot take the call's interrupt");
    report(text);
    return;
  }
}

void detail::lockdep_put_held(TextBuffer& text, hal::CpuId cpu) noexcept {
  if (!detail::g_lockdep_on || cpu >= hal::kMaxCpus) return;
  const CpuHeld& h = g_held[cpu];
  const std::uint32_t tracked = h.depth < kMaxHeld ? h.depth : kMaxHeld;
  for (std::uint32_t i = 0; i < tracked; ++i) {
    text.put(i == 0 ? ", holding " : ", ");
    text.format("'{}' (since cycle {}", h.held[i].cls == kNoClass ? "?" : name_of(h.held[i].cls), h.held[i].since);
    if (h.held[i].source.file != nullptr) {
      text.put(" at ");
      put_file_line(text, h.held[i].source);
    }
    text.put(")");
  }
  if (h.depth > tracked) text.format(" and {} more", h.depth - tracked);
}

std::uint32_t detail::lockdep_held_names(hal::CpuId cpu, const char** names, std::uint32_t max) noexcept {
  if (!detail::g_lockdep_on || cpu >= hal::kMaxCpus) return kHeldUnknown;
  const CpuHeld& h = g_held[cpu];
  const std::uint32_t tracked = h.depth < kMaxHeld ? h.depth : kMaxHeld;
  for (std::uint32_t i = 0; i < tracked && i < max; ++i)
    names[i] = h.held[i].cls == kNoClass ? "?" : name_of(h.held[i].cls);
  return h.depth;
}

bool detail::lockdep_check_block(const char* what) noexcept {
  if (!active()) return true;
  const CpuHeld& h = g_held[hal::current_cpu_id()];
  if (h.depth == 0) return true;
  TextBuffer text;
  text.format("{} would block with spinlock '{}' held", what, h.held[0].cls == kNoClass ? "?" : name_of(h.held[0].cls));
  text.put('\0');
  panic(text.data(), __FILE__, __LINE__);
}

}  // namespace lockstep::core
