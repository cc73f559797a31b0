// The server's answers: routing with the Host check, the embedded page, and the JSON API over
// the decoded traces.

#include <cctype>
#include <lockstep/core/ipi.hpp>

#include "assets.hpp"
#include "server_state.hpp"

namespace lockstep::sim {

using nlohmann::json;
using view::HttpError;
using view::sv;
using view::traces_json;

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

/// A number parameter that is present but malformed is a bad request.
std::uint64_t number(std::optional<std::uint64_t> v, const char* name) {
  if (!v) throw HttpError{http::status::bad_request, fmt::format("parameter {} is not a number", name)};
  return *v;
}

/// /api/search's filter: event type and IPI kind by name or number, CPU, task, lock, time range.
view::Filter search_filter(const view::Query& q) {
  view::Filter f;
  auto opt_int = [&](const char* key) -> std::int64_t {
    const std::string* v = q.get(key);
    if (v == nullptr || v->empty()) return -1;
    const auto n = q.u64(key, 0);
    if (!n || *n > UINT32_MAX)
      throw HttpError{http::status::bad_request, fmt::format("parameter {} is not a number", key)};
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
      if (*k == core::ipi_kind_name(static_cast<core::IpiKind>(i)) || *k == std::to_string(i))
        f.ipi_kind = static_cast<int>(i);
    if (f.ipi_kind < 0) throw HttpError{http::status::bad_request, "unknown IPI kind"};
  }
  f.cpu = opt_int("cpu");
  f.task = opt_int("task");
  f.lock = opt_int("lock");
  f.t0 = number(q.u64("t0", 0), "t0");
  f.t1 = number(q.u64("t1", UINT64_MAX), "t1");
  return f;
}

}  // namespace

namespace view {

json traces_json(const ViewServer::Impl& s) {
  json list = json::array();
  for (std::size_t i = 0; i < s.models.size(); ++i) list.push_back(view::meta_json(s.models[i], i, s.files[i]));
  return {{"traces", std::move(list)}};
}

}  // namespace view

const view::TraceModel& ViewServer::Impl::model_of(const view::Query& q, const char* key) {
  const auto id = q.u64(key, 0);
  if (!id) throw HttpError{http::status::bad_request, fmt::format("parameter {} is not a number", key)};
  if (*id >= models.size()) throw HttpError{http::status::not_found, "no such trace"};
  return models[*id];
}

json ViewServer::Impl::api(std::string_view path, const view::Query& q) {
  const ViewLimits& lim = options.limits;
  if (path == "/api/traces") return traces_json(*this);
  if (path == "/api/meta") {
    const auto& m = model_of(q);
    const auto id = static_cast<std::uint32_t>(&m - models.data());
    return view::meta_json(m, id, files[id]);
  }
  if (path == "/api/window") {
    const auto& m = model_of(q);
    view::Window w{};
    w.t0 = number(q.u64("t0", m.t_min), "t0");
    w.t1 = number(q.u64("t1", m.t_max + 1), "t1");
    w.px = static_cast<std::uint32_t>(std::min<std::uint64_t>(number(q.u64("px", 1000), "px"), 8192));
    if (w.px == 0 || w.t1 <= w.t0 || w.t1 == UINT64_MAX)
      throw HttpError{http::status::bad_request, "need t0 < t1 and 0 < px"};
    return view::window_json(m, w, lim.max_items);
  }
  if (path == "/api/event") {
    const auto& m = model_of(q);
    const auto id = static_cast<std::uint32_t>(&m - models.data());
    const auto cpu = number(q.u64("cpu", UINT64_MAX), "cpu");
    const auto index = number(q.u64("index", UINT64_MAX), "index");
    json j = cpu > UINT32_MAX ? json(nullptr)
                              : view::event_json(m, static_cast<std::uint32_t>(cpu), index, files[id], names);
    if (j.is_null()) throw HttpError{http::status::not_found, "no such event"};
    return j;
  }
  if (path == "/api/profile") return view::profile_json(model_of(q), names);
  if (path == "/api/search") {
    const auto& m = model_of(q);
    const view::Filter f = search_filter(q);
    const auto limit = std::min<std::uint64_t>(number(q.u64("limit", 200), "limit"), 2000);
    return view::search_json(m, f, limit);
  }
  if (path == "/api/diff") {
    const auto& a = model_of(q, "a");
    const auto& b = model_of(q, "b");
    return view::diff_json(a, b, std::min<std::uint64_t>(number(q.u64("context", 12), "context"), 200));
  }
  throw HttpError{http::status::not_found, "not found"};
}

http::response<http::string_body> ViewServer::Impl::handle(const http::request<http::string_body>& req) {
  const unsigned version = req.version();
  auto finish = [&](http::response<http::string_body> res) {
    res.set(http::field::server, "lockstep-view");
    res.set("X-Content-Type-Options", "nosniff");
    res.set(http::field::cache_control, "no-store");
    res.set("Content-Security-Policy",
            fmt::format("default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:{} "
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
  if (const std::string_view host = sv(req[http::field::host]);
      !host.empty() && host != host_ok_1() && host != host_ok_2())
    return finish(text_response(http::status::forbidden, version, "unexpected Host\n"));
  const std::string_view target = sv(req.target());
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  if (path.starts_with("/api/")) {
    view::Query q;
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

}  // namespace lockstep::sim
