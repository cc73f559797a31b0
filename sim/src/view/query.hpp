#pragma once
// The query string of a viewer API request, decoded with hard limits.

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep::sim::view {

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

}  // namespace lockstep::sim::view
