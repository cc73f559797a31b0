// The view server: Boost.Beast HTTP and WebSocket on one io_context thread. Requests are parsed
// with hard limits, routed to the embedded page or the JSON API, and anything else is a 404.
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20).

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <cctype>
#include <deque>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <lockstep/core/ipi.hpp>
#include <lockstep/sim/view.hpp>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

#include "assets.hpp"
#include "model.hpp"

extern char** environ;

namespace lockstep::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

/// One query string, decoded. Parameters are short ASCII; anything else is a bad request.
class Query {
 public:
  /// False for a malformed query (bad escape, control characters, too many parameters).
  bool parse(std::string_view q) {
    while (!q.empty()) {
      if (values_.size() >= 32) return false;
      const auto amp = q.find('&');
      std::string_view item = q.substr(0, amp);
      q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
      if (item.empty()) continue;
      const auto eq = item.find('=');
      std::string key, value;
      if (!decode(item.substr(0, eq), key)) return false;
      if (eq != std::string_view::npos && !decode(item.substr(eq + 1), value)) return false;
      values_[key] = value;
    }
    return true;
  }
  const std::string* get(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  /// Unsigned parameter: `fallback` when absent, nullopt when present but not a number.
  std::optional<std::uint64_t> u64(const std::string& key, std::uint64_t fallback) const {
    const std::string* v = get(key);
    if (v == nullptr || v->empty()) return fallback;
    std::uint64_t out = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size()) return std::nullopt;
    return out;
  }

 private:
  static bool decode(std::string_view in, std::string& out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      char c = in[i];
      if (c == '+') {
        c = ' ';
      } else if (c == '%') {
        if (i + 2 >= in.size()) return false;
        unsigned v = 0;
        const auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
        if (ec != std::errc() || p != in.data() + i + 3) return false;
        c = static_cast<char>(v);
        i += 2;
      }
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
      out += c;
    }
    return out.size() <= 256;
  }
  std::map<std::string, std::string> values_;
};

struct HttpError {
  http::status status;
  std::string message;
};

}  // namespace

/// Live trace storage, applied on the server thread.
struct LiveState {
  TraceConfig config;
  TraceOutcome outcome;
  std::vector<std::vector<core::TraceRecord>> cpus;
  bool finished = false;
  bool dirty = false;
  std::size_t model = 0;  ///< Index of its model.
};

class WsSession;
class HttpSession;

struct ViewServer::Impl {
  ViewOptions options;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc};
  asio::steady_timer live_timer{ioc};
  std::vector<view::TraceModel> models;
  std::vector<std::string> files;  ///< Path per model ("" for in-memory and live traces).
  view::Names names;
  std::uint16_t port = 0;
  std::size_t connections = 0;
  std::list<std::weak_ptr<WsSession>> sockets;
  std::list<std::weak_ptr<HttpSession>> sessions;
  std::optional<LiveState> live;
  std::atomic<bool> stopping{false};
  std::thread feeder;
  std::unique_ptr<LiveTrace> sink;
  bool stopped = false;

  void accept();
  /// Closes the connection that has waited longest for its request; false if none waits.
  bool evict_longest_waiting();
  void shutdown();
  void broadcast(const std::string& text);
  void rebuild_live();
  void schedule_live();
  std::string host_ok_1() const { return fmt::format("127.0.0.1:{}", port); }
  std::string host_ok_2() const { return fmt::format("localhost:{}", port); }
  http::response<http::string_body> handle(const http::request<http::string_body>& req);
  json api(std::string_view path, const Query& q);
  const view::TraceModel& model_of(const Query& q, const char* key = "trace");
};

namespace {

json traces_json(const ViewServer::Impl& s) {
  json list = json::array();
  for (std::size_t i = 0; i < s.models.size(); ++i) list.push_back(view::meta_json(s.models[i], i, s.files[i]));
  return {{"traces", std::move(list)}};
}

}  // namespace

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(ViewServer::Impl& server, tcp::socket socket) : server_(server), ws_(std::move(socket)) {}

  void start(http::request<http::string_body> req) {
    ws_.read_message_max(server_.options.limits.max_ws_message_bytes);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->done();
      self->send(json{{"type", "hello"}, {"traces", traces_json(self->server_)["traces"]}}.dump());
      self->read();
    });
  }

  void send(std::string text) {
    if (closed_) return;
    // A page that does not read its updates is dropped rather than buffered without bound.
    if (queue_.size() >= 64) return close();
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) write();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  void read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->done();  // Includes a message over read_message_max: Beast closes with 1009.
      // Pages may send "ping"; anything else is ignored. Either way the buffer is dropped.
      const bool ping = beast::buffers_to_string(self->in_.data()) == "ping";
      self->in_.consume(self->in_.size());
      if (ping) self->send(R"({"type":"pong"})");
      self->read();
    });
  }
  void write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->done();
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->write();
    });
  }
  void done() {
    if (counted_) {
      counted_ = false;
      --server_.connections;
    }
    closed_ = true;
  }

  ViewServer::Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer in_;
  std::deque<std::string> queue_;
  bool closed_ = false;

 public:
  bool counted_ = true;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ViewServer::Impl& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}
  ~HttpSession() {
    if (counted_) --server_.connections;
  }

  void start() { read(); }

  /// Waiting for a request's header: since when (steady clock), or nullopt while serving one.
  std::optional<std::chrono::steady_clock::time_point> waiting_since() const { return waiting_since_; }

  void close() {
    waiting_since_.reset();  // Closing: no longer a candidate to make room.
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  void read() {
    const ViewLimits& lim = server_.options.limits;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
    parser_->body_limit(lim.max_body_bytes);
    // The whole header must arrive in time: a client that dribbles bytes cannot hold a slot.
    stream_.expires_after(std::chrono::seconds(std::min(lim.idle_timeout_seconds, lim.header_timeout_seconds)));
    waiting_since_ = std::chrono::steady_clock::now();
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    waiting_since_.reset();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        server_.stopped)
      return close();
    if (ec == http::error::header_limit) return fail(http::status::request_header_fields_too_large, "header too large");
    if (ec == http::error::body_limit) return fail(http::status::payload_too_large, "body too large");
    if (ec == http::error::buffer_overflow) return fail(http::status::request_header_fields_too_large, "request too large");
    if (ec) return fail(http::status::bad_request, "malformed request");
    http::request<http::string_body> req = parser_->release();
    if (req.target().size() > server_.options.limits.max_target_bytes)
      return fail(http::status::uri_too_long, "request target too long");
    if (websocket::is_upgrade(req)) {
      if (req.target() != "/api/live" || !origin_ok(req)) return fail(http::status::forbidden, "no such socket");
      auto ws = std::make_shared<WsSession>(server_, stream_.release_socket());
      counted_ = false;  // The connection now belongs to the socket session.
      server_.sockets.push_back(ws);
      ws->start(std::move(req));
      return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(server_.handle(req));
    res->keep_alive(req.keep_alive());
    write(res);
  }

  bool origin_ok(const http::request<http::string_body>& req) const {
    const std::string_view origin = sv(req[http::field::origin]);
    if (origin.empty()) return true;  // Not a browser.
    return origin == "http://" + server_.host_ok_1() || origin == "http://" + server_.host_ok_2();
  }

  void fail(http::status status, std::string_view why) {
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    res->set(http::field::connection, "close");
    res->body() = std::string(why) + "\n";
    res->keep_alive(false);
    res->prepare_payload();
    write(res);
  }

  void write(std::shared_ptr<http::response<http::string_body>> res) {
    stream_.expires_after(std::chrono::seconds(server_.options.limits.idle_timeout_seconds));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) return self->close();
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  ViewServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{16 * 1024};
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;

 public:
  bool counted_ = true;
};

namespace {

http::response<http::string_body> text_response(http::status status, unsigned version, std::string body,
                                                std::string_view type = "text/plain; charset=utf-8") {
  http::response<http::string_body> res(status, version);
  res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  res.body() = std::move(body);
  return res;
}

/// A path the static namespace could ever serve: plain, no escapes, no dot segments.
bool plain_path(std::string_view p) {
  if (p.empty() || p[0] != '/' || p.size() > 128) return false;
  if (p.find("..") != std::string_view::npos || p.find("//") != std::string_view::npos) return false;
  for (char c : p)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' || c == '_')) return false;
  return true;
}

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

const view::TraceModel& ViewServer::Impl::model_of(const Query& q, const char* key) {
  const auto id = q.u64(key, 0);
  if (!id) throw HttpError{http::status::bad_request, fmt::format("parameter {} is not a number", key)};
  if (*id >= models.size()) throw HttpError{http::status::not_found, "no such trace"};
  return models[*id];
}

json ViewServer::Impl::api(std::string_view path, const Query& q) {
  const ViewLimits& lim = options.limits;
  auto need = [](std::optional<std::uint64_t> v, const char* name) {
    if (!v) throw HttpError{http::status::bad_request, fmt::format("parameter {} is not a number", name)};
    return *v;
  };
  if (path == "/api/traces") return traces_json(*this);
  if (path == "/api/meta") {
    const auto& m = model_of(q);
    const auto id = static_cast<std::uint32_t>(&m - models.data());
    return view::meta_json(m, id, files[id]);
  }
  if (path == "/api/window") {
    const auto& m = model_of(q);
    view::Window w{};
    w.t0 = need(q.u64("t0", m.t_min), "t0");
    w.t1 = need(q.u64("t1", m.t_max + 1), "t1");
    w.px = static_cast<std::uint32_t>(std::min<std::uint64_t>(need(q.u64("px", 1000), "px"), 8192));
    if (w.px == 0 || w.t1 <= w.t0 || w.t1 == UINT64_MAX)
      throw HttpError{http::status::bad_request, "need t0 < t1 and 0 < px"};
    return view::window_json(m, w, lim.max_items);
  }
  if (path == "/api/event") {
    const auto& m = model_of(q);
    const auto id = static_cast<std::uint32_t>(&m - models.data());
    const auto cpu = need(q.u64("cpu", UINT64_MAX), "cpu");
    const auto index = need(q.u64("index", UINT64_MAX), "index");
    json j = cpu > UINT32_MAX ? json(nullptr) : view::event_json(m, static_cast<std::uint32_t>(cpu), index, files[id], names);
    if (j.is_null()) throw HttpError{http::status::not_found, "no such event"};
    return j;
  }
  if (path == "/api/profile") return view::profile_json(model_of(q), names);
  if (path == "/api/search") {
    const auto& m = model_of(q);
    view::Filter f;
    auto opt_int = [&](const char* key) -> std::int64_t {
      const std::string* v = q.get(key);
      if (v == nullptr || v->empty()) return -1;
      const auto n = q.u64(key, 0);
      if (!n || *n > UINT32_MAX) throw HttpError{http::status::bad_request, fmt::format("parameter {} is not a number", key)};
      return static_cast<std::int64_t>(*n);
    };
    if (const std::string* t = q.get("type"); t != nullptr && !t->empty()) {
      for (unsigned i = 1; i <= core::kTraceTypeMax; ++i) {
        const char* n = core::trace_type_name(static_cast<core::TraceType>(i));
        if ((n != nullptr && *t == n) || *t == std::to_string(i)) f.type = static_cast<int>(i);
      }
      if (f.type < 0) throw HttpError{http::status::bad_request, "unknown event type"};
    }
    if (const std::string* k = q.get("ipi"); k != nullptr && !k->empty()) {
      for (std::uint32_t i = 0; i < core::kIpiKinds; ++i)
        if (*k == core::ipi_kind_name(static_cast<core::IpiKind>(i)) || *k == std::to_string(i)) f.ipi_kind = static_cast<int>(i);
      if (f.ipi_kind < 0) throw HttpError{http::status::bad_request, "unknown IPI kind"};
    }
    f.cpu = opt_int("cpu");
    f.task = opt_int("task");
    f.lock = opt_int("lock");
    f.t0 = need(q.u64("t0", 0), "t0");
    f.t1 = need(q.u64("t1", UINT64_MAX), "t1");
    const auto limit = std::min<std::uint64_t>(need(q.u64("limit", 200), "limit"), 2000);
    return view::search_json(m, f, limit);
  }
  if (path == "/api/diff") {
    const auto& a = model_of(q, "a");
    const auto& b = model_of(q, "b");
    return view::diff_json(a, b, std::min<std::uint64_t>(need(q.u64("context", 12), "context"), 200));
  }
  throw HttpError{http::status::not_found, "not found"};
}

http::response<http::string_body> ViewServer::Impl::handle(const http::request<http::string_body>& req) {
  const unsigned version = req.version();
  auto finish = [&](http::response<http::string_body> res) {
    res.set(http::field::server, "lockstep-view");
    res.set("X-Content-Type-Options", "nosniff");
    res.set(http::field::cache_control, "no-store");
    res.set("Content-Security-Policy", fmt::format("default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:{} "
                                                   "ws://localhost:{}; img-src 'self' data:; frame-ancestors 'none'",
                                                   port, port));
    if (req.method() == http::verb::head) {
      const auto size = res.body().size();
      res.body().clear();
      res.content_length(size);
    } else {
      res.prepare_payload();
    }
    return res;
  };
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto res = text_response(http::status::method_not_allowed, version, "only GET and HEAD\n");
    res.set(http::field::allow, "GET, HEAD");
    return finish(std::move(res));
  }
  // A page from another site must not read traces through a name that resolves here.
  if (const std::string_view host = sv(req[http::field::host]); !host.empty() && host != host_ok_1() && host != host_ok_2())
    return finish(text_response(http::status::forbidden, version, "unexpected Host\n"));
  const std::string_view target = sv(req.target());
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  if (path.starts_with("/api/")) {
    Query q;
    if (!plain_path(path)) return finish(text_response(http::status::not_found, version, "not found\n"));
    if (!q.parse(qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1)))
      return finish(text_response(http::status::bad_request, version, "malformed query\n"));
    try {
      return finish(text_response(http::status::ok, version, api(path, q).dump(), "application/json"));
    } catch (const HttpError& e) {
      return finish(text_response(e.status, version, json{{"error", e.message}}.dump(), "application/json"));
    }
  }
  if (plain_path(path)) {
    const std::string_view want = path == "/" ? std::string_view("/index.html") : path;
    for (const view::Asset& a : view::assets())
      if (a.path == want)
        return finish(text_response(http::status::ok, version,
                                    std::string(reinterpret_cast<const char*>(a.data), a.size), a.mime));
  }
  return finish(text_response(http::status::not_found, version, "not found\n"));
}

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
