#pragma once
// The page's static files, embedded at build time from tools/trace-viewer/src by
// embed_assets.cmake. The server serves these and nothing else from its file namespace.

#include <cstddef>
#include <span>
#include <string_view>

namespace lockstep::sim::view {

struct Asset {
  std::string_view path;  ///< URL path, e.g. "/viewer.js".
  std::string_view mime;
  const unsigned char* data;
  std::size_t size;
};

/// All embedded files ("/index.html" is also served at "/").
std::span<const Asset> assets() noexcept;

}  // namespace lockstep::sim::view
