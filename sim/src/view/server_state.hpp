#pragma once
// What the view server's files share: Beast's names, the server's state (ViewServer::Impl) and
// the pieces it is made of. Internal to lockstep_view; the server's files are server.cpp (the
// listener, live traces, the ViewServer API), sessions.cpp (HTTP and WebSocket connections) and
// api.cpp (routing, the page, the JSON API).
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20).

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <cstdint>
#include <fmt/format.h>
#include <list>
#include <lockstep/sim/view.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "model.hpp"
#include "query.hpp"

namespace lockstep::sim {

// Beast's names, for the server's files only (this header is internal).
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace view {

inline std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

/// An API request that cannot be answered: the status and the reason the page shows.
struct HttpError {
  http::status status;
  std::string message;
};

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

}  // namespace view

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
  std::list<std::weak_ptr<view::WsSession>> sockets;
  std::list<std::weak_ptr<view::HttpSession>> sessions;
  std::optional<view::LiveState> live;
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
  nlohmann::json api(std::string_view path, const view::Query& q);
  const view::TraceModel& model_of(const view::Query& q, const char* key = "trace");
};

namespace view {

/// {"traces": [meta of every model]}: the API's list and the socket's hello.
nlohmann::json traces_json(const ViewServer::Impl& s);

}  // namespace view
}  // namespace lockstep::sim
