// The view server: Boost.Beast HTTP and WebSocket on one io_context thread. It listens on
// 127.0.0.1, keeps a slot free for a new connection, feeds a live run's records to its model and
// stops on a signal or stop(). Requests are answered in api.cpp, connections live in sessions.cpp.

#include <csignal>
#include <cstdio>
#include <spawn.h>
#include <sys/wait.h>

#include "sessions.hpp"

extern char** environ;

namespace lockstep::sim {

using nlohmann::json;
using view::HttpSession;
using view::LiveState;

namespace {

/// Hands a live run's records to the server thread, which owns the live model.
class LiveSink final : public LiveTrace {
 public:
  explicit LiveSink(ViewServer::Impl& s) : s_(s) {}
  void begin(const TraceConfig& config) override {
    asio::post(s_.ioc, [&s = s_, config] {
      LiveState& l = *s.live;
      l.config = config;
      l.cpus.assign(config.cpus, {});
      l.outcome = {};
      l.finished = false;
      l.dirty = true;
    });
  }
  void append(std::uint32_t cpu, std::span<const core::TraceRecord> records) override {
    std::vector<core::TraceRecord> copy(records.begin(), records.end());
    asio::post(s_.ioc, [&s = s_, cpu, copy = std::move(copy)] {
      LiveState& l = *s.live;
      if (cpu >= kTraceMaxCpus) return;
      if (cpu >= l.cpus.size()) l.cpus.resize(cpu + 1);
      l.cpus[cpu].insert(l.cpus[cpu].end(), copy.begin(), copy.end());
      l.dirty = true;
    });
  }
  void finish(const TraceOutcome& outcome) override {
    asio::post(s_.ioc, [&s = s_, outcome] {
      s.live->outcome = outcome;
      s.live->finished = true;
      s.live->dirty = true;
    });
  }
  bool stopping() const override { return s_.stopping.load(); }

 private:
  ViewServer::Impl& s_;
};

}  // namespace

bool ViewServer::Impl::evict_longest_waiting() {
  std::shared_ptr<HttpSession> oldest;
  for (const auto& weak : sessions) {
    const auto s = weak.lock();
    if (s == nullptr || !s->waiting_since()) continue;
    if (oldest == nullptr || *s->waiting_since() < *oldest->waiting_since()) oldest = s;
  }
  if (oldest == nullptr) return false;
  // Its count is returned when its read ends (aborted by the close); until then the newcomer
  // uses the slot it frees.
  oldest->close();
  return true;
}

void ViewServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopped) return;
      return accept();  // e.g. EMFILE: keep serving the connections we have.
    }
    if (connections >= options.limits.max_connections && !evict_longest_waiting()) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      ++connections;
      auto session = std::make_shared<HttpSession>(*this, std::move(socket));
      sessions.remove_if([](const auto& w) { return w.expired(); });
      sessions.push_back(session);
      session->start();
    }
    accept();
  });
}

void ViewServer::Impl::broadcast(const std::string& text) {
  sockets.remove_if([](const auto& w) { return w.expired(); });
  for (auto& w : sockets)
    if (auto s = w.lock()) s->send(text);
}

void ViewServer::Impl::rebuild_live() {
  LiveState& l = *live;
  if (!l.dirty) return;
  l.dirty = false;
  TraceConfig config = l.config;
  config.cpus = static_cast<std::uint32_t>(l.cpus.size());
  view::TraceModel m = view::build_model("live: " + l.config.scenario, config, l.outcome, l.cpus,
                                         std::vector<std::uint64_t>(l.cpus.size(), 0));
  m.live = true;
  m.finished = l.finished;
  models[l.model] = std::move(m);
  broadcast(json{{"type", "update"}, {"trace", l.model}, {"meta", view::meta_json(models[l.model], l.model, "")}}.dump());
}

void ViewServer::Impl::schedule_live() {
  live_timer.expires_after(std::chrono::milliseconds(200));
  live_timer.async_wait([this](beast::error_code ec) {
    if (ec || stopped) return;
    rebuild_live();
    schedule_live();
  });
}

void ViewServer::Impl::shutdown() {
  if (stopped) return;
  stopped = true;
  stopping = true;
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  live_timer.cancel();
  for (auto& w : sockets)
    if (auto s = w.lock()) s->close();
  for (auto& w : sessions)
    if (auto s = w.lock()) s->close();
  ioc.stop();
}

ViewServer::ViewServer(ViewOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = std::move(options);
  s.names.program = s.options.program;
  s.names.labels = s.options.label_names;
  for (const std::string& path : s.options.traces) {
    TraceData d = read_trace_file(path);
    s.models.push_back(view::build_model(path, d.config, d.outcome, std::move(d.cpus), d.lost));
    s.files.push_back(path);
  }
  for (auto& [name, d] : s.options.loaded) {
    s.models.push_back(view::build_model(name, d.config, d.outcome, std::move(d.cpus), d.lost));
    s.files.push_back("");
  }
  s.options.loaded.clear();
  if (s.options.live) {
    s.live.emplace();
    s.live->model = s.models.size();
    s.models.emplace_back();
    s.models.back().name = "live";
    s.models.back().live = true;
    s.models.back().finished = false;
    s.files.push_back("");
  }
  if (s.models.empty()) throw InputError("nothing to view: give a trace file (or --live)");
  beast::error_code ec;
  const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), s.options.port);
  s.acceptor.open(ep.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(ep, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw InputError(fmt::format("cannot listen on 127.0.0.1:{}: {}", s.options.port, ec.message()));
  s.port = s.acceptor.local_endpoint().port();
}

ViewServer::~ViewServer() {
  impl_->stopping = true;
  if (impl_->feeder.joinable()) impl_->feeder.join();
}

std::uint16_t ViewServer::port() const noexcept { return impl_->port; }
std::string ViewServer::url() const { return fmt::format("http://127.0.0.1:{}/", impl_->port); }

void ViewServer::run(bool handle_signals) {
  Impl& s = *impl_;
  if (handle_signals) {
    s.signals.add(SIGINT);
    s.signals.add(SIGTERM);
    s.signals.async_wait([&s](beast::error_code ec, int) {
      if (!ec) s.shutdown();
    });
  }
  s.accept();
  if (s.live) {
    s.sink = std::make_unique<LiveSink>(s);
    s.schedule_live();
    s.feeder = std::thread([&s] {
      try {
        s.options.live(*s.sink);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "lockstep view: live run failed: %s\n", e.what());
      }
    });
  }
  if (s.options.on_listening) {
    s.options.on_listening(url(), s.port);
  } else {
    std::printf("lockstep view: serving %zu trace%s at %s (Ctrl-C to stop)\n", s.models.size(),
                s.models.size() == 1 ? "" : "s", url().c_str());
    std::fflush(stdout);
  }
  if (s.options.open_browser) {
    const std::string u = url();
    char* argv[] = {const_cast<char*>("xdg-open"), const_cast<char*>(u.c_str()), nullptr};
    pid_t pid = 0;
    if (posix_spawnp(&pid, "xdg-open", nullptr, nullptr, argv, environ) != 0)
      std::fprintf(stderr, "lockstep view: could not run xdg-open; open %s yourself\n", u.c_str());
  }
  s.ioc.run();
  s.stopping = true;
  if (s.feeder.joinable()) s.feeder.join();
}

void ViewServer::stop() {
  asio::post(impl_->ioc, [s = impl_.get()] { s->shutdown(); });
}

int run_view_server(const ViewOptions& options) {
  try {
    ViewServer server(options);
    server.run(true);
    std::printf("lockstep view: stopped\n");
    return 0;
  } catch (const InputError& e) {
    std::fprintf(stderr, "lockstep view: error: %s\n", e.what());
    return 2;
  }
}

}  // namespace lockstep::sim
