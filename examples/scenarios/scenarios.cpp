// Two bank scenarios. Tasks on every CPU move money around a ring of accounts, each account
// with its own spinlock; the invariant is that money is neither made nor lost.
//  - bank_racy locks only the account it takes money from and credits the other one unlocked:
//    a transfer into an account races with a transfer out of it, and an update is lost.
//  - bank_fixed locks both accounts, always in account order (as Linux locks two run queues),
//    so transfers exclude each other and cannot deadlock.

#include <cstdint>
#include <cstdio>
#include <lockstep/scenario.hpp>

namespace {

namespace core = lockstep::core;
namespace hal = lockstep::hal;

constexpr std::uint32_t kAccounts = 3;
constexpr std::uint32_t kTasks = 4;
constexpr std::uint32_t kTransfers = 8;
constexpr std::int64_t kOpening = 1000;

struct Account {
  core::RawSpinlock lock{"bank.account"};
  // Shared between CPUs, so a hal::Atomic: every access is a point where the simulator may
  // switch CPUs. The lock, not the atomic, is what must make the update safe.
  hal::Atomic<std::int64_t> balance{0};
};

Account g_accounts[kAccounts];
core::Completion g_done;
core::ProfileLabel g_transfer_label = 0;

void add(Account& account, std::int64_t amount) {
  account.balance.store(account.balance.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

// BUG: holds only the source account's lock while it also writes the destination.
void transfer_racy(Account& from, Account& to, std::int64_t amount) {
  core::SpinlockGuard guard(from.lock);
  add(from, -amount);
  add(to, amount);
}

// Both locks, lower account first.
void transfer_fixed(std::uint32_t from, std::uint32_t to, std::int64_t amount) {
  core::SpinlockGuard first(g_accounts[from < to ? from : to].lock);
  core::SpinlockGuard second(g_accounts[from < to ? to : from].lock);
  add(g_accounts[from], -amount);
  add(g_accounts[to], amount);
}

template <bool kFixed>
void teller(void* arg) {
  const auto id = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(arg));
  for (std::uint32_t i = 0; i < kTransfers; ++i) {
    const std::uint32_t from = (id + i) % kAccounts;
    const std::uint32_t to = (from + 1) % kAccounts;
    core::ProfileScope scope(g_transfer_label);
    if constexpr (kFixed) {
      transfer_fixed(from, to, 10);
    } else {
      transfer_racy(g_accounts[from], g_accounts[to], 10);
    }
  }
  g_done.done();
}

void run_bank(core::WorkloadResult& result, core::TaskEntry teller_entry) {
  for (Account& a : g_accounts) {
    a.balance.store(kOpening);
    core::register_lock_stats(a.lock.stats());
  }
  g_transfer_label = core::profile_label("bank.transfer");
  g_done.reset(kTasks, hal::current_cpu_id());
  for (std::uint32_t t = 0; t < kTasks; ++t) {
    if (core::spawn_task(teller_entry, reinterpret_cast<void*>(std::uintptr_t{t}), 1, t % core::cpu_count()) == nullptr) {
      core::workload_fail(result, "could not spawn a teller");
      g_done.done();
    }
  }
  core::run_scheduler_until([](void*) { return g_done.complete(); }, nullptr);

  std::int64_t total = 0;
  for (Account& a : g_accounts) total += a.balance.load();
  if (total != kOpening * kAccounts) {
    char reason[96];
    std::snprintf(reason, sizeof reason, "money not conserved: total %lld, expected %lld", static_cast<long long>(total),
                  static_cast<long long>(kOpening * kAccounts));
    core::workload_fail(result, reason);
  }
}

}  // namespace

LOCKSTEP_SCENARIO(bank_racy, "transfers lock only the source account: a deliberate race") {
  run_bank(result, teller<false>);
}

LOCKSTEP_SCENARIO(bank_fixed, "transfers lock both accounts in account order") { run_bank(result, teller<true>); }
