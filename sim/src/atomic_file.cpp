#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <lockstep/sim/atomic_file.hpp>
#include <vector>

namespace lockstep::sim {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::vector<char> name(path_.begin(), path_.end());
  const char suffix[] = ".tmp.XXXXXX";
  name.insert(name.end(), suffix, suffix + sizeof suffix);
  const int fd = mkstemp(name.data());
  if (fd < 0) throw InputError(fmt::format("cannot create '{}': {}", path_, std::strerror(errno)));
  temp_ = name.data();
  const mode_t mask = ::umask(0);  // mkstemp makes 0600; give the final file the usual mode.
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  file_ = fdopen(fd, "wb");
  if (file_ == nullptr) {
    ::close(fd);
    ::unlink(temp_.c_str());
    throw InputError(fmt::format("cannot open '{}': {}", temp_, std::strerror(errno)));
  }
  // A large stdio buffer: the writers stream millions of small records.
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    ::unlink(temp_.c_str());
  }
}

void AtomicFile::write(const void* data, std::size_t len) {
  if (len != 0 && std::fwrite(data, 1, len, file_) != len)
    throw InputError(fmt::format("cannot write '{}': {}", path_, std::strerror(errno)));
}

void AtomicFile::commit() {
  const bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  const int err = errno;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok || std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int e = ok ? errno : err;
    ::unlink(temp_.c_str());
    throw InputError(fmt::format("cannot write '{}': {}", path_, std::strerror(e)));
  }
}

void write_file_atomically(const std::string& path, std::string_view text) {
  AtomicFile f(path);
  f.write(text);
  f.commit();
}

}  // namespace lockstep::sim
