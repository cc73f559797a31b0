#include "sessions.hpp"

namespace lockstep::sim::view {

using nlohmann::json;

void WsSession::start(http::request<http::string_body> req) {
  ws_.read_message_max(server_.options.limits.max_ws_message_bytes);
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->done();
    self->send(json{{"type", "hello"}, {"traces", traces_json(self->server_)["traces"]}}.dump());
    self->read();
  });
}

void WsSession::send(std::string text) {
  if (closed_) return;
  // A page that does not read its updates is dropped rather than buffered without bound.
  if (queue_.size() >= 64) return close();
  queue_.push_back(std::move(text));
  if (queue_.size() == 1) write();
}

void WsSession::close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void WsSession::read() {
  ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->done();  // Includes a message over read_message_max: Beast closes with 1009.
    // Pages may send "ping"; anything else is ignored. Either way the buffer is dropped.
    const bool ping = beast::buffers_to_string(self->in_.data()) == "ping";
    self->in_.consume(self->in_.size());
    if (ping) self->send(R"({"type":"pong"})");
    self->read();
  });
}

void WsSession::write() {
  ws_.text(true);
  ws_.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->done();
    self->queue_.pop_front();
    if (!self->queue_.empty()) self->write();
  });
}

void WsSession::done() {
  if (counted_) {
    counted_ = false;
    --server_.connections;
  }
  closed_ = true;
}

HttpSession::~HttpSession() {
  if (counted_) --server_.connections;
}

void HttpSession::close() {
  waiting_since_.reset();  // Closing: no longer a candidate to make room.
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

void HttpSession::read() {
  const ViewLimits& lim = server_.options.limits;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
  parser_->body_limit(lim.max_body_bytes);
  // The whole header must arrive in time: a client that dribbles bytes cannot hold a slot.
  stream_.expires_after(std::chrono::seconds(std::min(lim.idle_timeout_seconds, lim.header_timeout_seconds)));
  waiting_since_ = std::chrono::steady_clock::now();
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void HttpSession::on_read(beast::error_code ec) {
  waiting_since_.reset();
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      server_.stopped)
    return close();
  if (ec == http::error::header_limit) return fail(http::status::request_header_fields_too_large, "header too large");
  if (ec == http::error::body_limit) return fail(http::status::payload_too_large, "body too large");
  if (ec == http::error::buffer_overflow)
    return fail(http::status::request_header_fields_too_large, "request too large");
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

bool HttpSession::origin_ok(const http::request<http::string_body>& req) const {
  const std::string_view origin = sv(req[http::field::origin]);
  if (origin.empty()) return true;  // Not a browser.
  return origin == "http://" + server_.host_ok_1() || origin == "http://" + server_.host_ok_2();
}

void HttpSession::fail(http::status status, std::string_view why) {
  auto res = std::make_shared<http::response<http::string_body>>(status, 11);
  res->set(http::field::content_type, "text/plain; charset=utf-8");
  res->set(http::field::connection, "close");
  res->body() = std::string(why) + "\n";
  res->keep_alive(false);
  res->prepare_payload();
  write(res);
}

void HttpSession::write(std::shared_ptr<http::response<http::string_body>> res) {
  stream_.expires_after(std::chrono::seconds(server_.options.limits.idle_timeout_seconds));
  http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
    if (ec || !res->keep_alive()) return self->close();
    self->buffer_.consume(self->buffer_.size());
    self->read();
  });
}

}  // namespace lockstep::sim::view
