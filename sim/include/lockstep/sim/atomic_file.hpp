#pragma once
// Files that appear complete or not at all: written to a temporary file in the destination's
// directory, flushed to disk, then renamed over the destination.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lockstep::sim {

/// Bad input or usage the user can fix (the CLI exits with status 2 and prints what()).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file being written atomically. Not copyable; the destructor discards an uncommitted file.
class AtomicFile {
 public:
  /// Creates the temporary file next to `path`. Throws InputError if that is impossible.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. Throws InputError on a write error (disk full).
  void write(const void* data, std::size_t len);
  void write(std::string_view text) { write(text.data(), text.size()); }
  /// Flushes, fsyncs and renames over the destination. Throws InputError on failure.
  void commit();
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::string temp_;
  std::FILE* file_ = nullptr;
};

/// Writes `text` to `path` atomically.
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace lockstep::sim
