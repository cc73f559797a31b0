#pragma once
// One viewer connection: HTTP requests until it upgrades to the live WebSocket, which then takes
// the connection over. Both run on the server's io_context thread.

#include <chrono>
#include <deque>

#include "server_state.hpp"

namespace lockstep::sim::view {

/// The live socket (/api/live): a hello with the trace list, then updates; pings answered.
class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(ViewServer::Impl& server, tcp::socket socket) : server_(server), ws_(std::move(socket)) {}

  void start(http::request<http::string_body> req);
  void send(std::string text);
  void close();

 private:
  void read();
  void write();
  void done();
  ViewServer::Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer in_;
  std::deque<std::string> queue_;
  bool closed_ = false;

 public:
  bool counted_ = true;
};

/// An HTTP connection: reads requests under the header and idle timeouts, answers them through
/// ViewServer::Impl::handle, and hands an upgrade to a WsSession.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ViewServer::Impl& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}
  ~HttpSession();
  void start() { read(); }

  /// Waiting for a request's header: since when (steady clock), or nullopt while serving one.
  std::optional<std::chrono::steady_clock::time_point> waiting_since() const { return waiting_since_; }

  void close();

 private:
  void read();
  void on_read(beast::error_code ec);
  bool origin_ok(const http::request<http::string_body>& req) const;
  void fail(http::status status, std::string_view why);
  void write(std::shared_ptr<http::response<http::string_body>> res);
  ViewServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{16 * 1024};
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;

 public:
  bool counted_ = true;
};

}  // namespace lockstep::sim::view
