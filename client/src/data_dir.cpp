#include "trellis/client/data_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include <msgpack.hpp>

namespace trellis::client {

namespace {

crdt::Error io_error(const std::string& what) {
  return crdt::make_error(crdt::ErrorCode::invalid_argument, what + ": " + std::strerror(errno));
}

}  // namespace

crdt::Result<crdt::ReplicaId> random_replica_id() {
  std::uint64_t value = 0;
  while (value == 0) {
    auto* bytes = reinterpret_cast<unsigned char*>(&value);
    std::size_t filled = 0;
    while (filled < sizeof value) {
      // Blocks only until the kernel's pool is initialized, once per boot.
      const ssize_t got = ::getrandom(bytes + filled, sizeof value - filled, 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        // No getrandom (pre-3.17 kernel, a seccomp filter): no fallback to
        // a guessable id.
        return io_error("getrandom");
      }
      filled += static_cast<std::size_t>(got);
    }
  }
  return crdt::ReplicaId{value};
}

crdt::Result<std::string> stored_workspace_id(const std::filesystem::path& data_dir) {
  // ClientStore's snapshot is a msgpack array [format, workspace id, ...];
  // only its first two elements are read here.
  const auto path = data_dir / "snapshot";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return crdt::make_error(crdt::ErrorCode::not_found,
                            data_dir.string() + " holds no Trellis client data (no snapshot)");
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
  try {
    msgpack::zone zone;
    std::size_t offset = 0;
    const std::size_t size = bytes.size();
    const msgpack::unpack_limit limit(size, size / 2, size, size, size, 16);
    bool referenced = false;
    const msgpack::object root = msgpack::unpack(
        zone, bytes.data(), size, offset, referenced,
        [](msgpack::type::object_type, std::size_t, void*) { return true; }, nullptr, limit);
    if (root.type == msgpack::type::ARRAY && root.via.array.size >= 2 &&
        root.via.array.ptr[1].type == msgpack::type::STR) {
      const auto& name = root.via.array.ptr[1].via.str;
      return std::string(name.ptr, name.size);
    }
  } catch (const std::exception&) {
  }
  return crdt::make_error(crdt::ErrorCode::malformed, path.string() + " is not a client snapshot");
}

crdt::Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return crdt::make_error(crdt::ErrorCode::invalid_argument,
                            "cannot create " + data_dir.string() + ": " + ec.message());
  }
  const auto path = data_dir / "lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + path.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const bool busy = errno == EWOULDBLOCK;
    auto error =
        busy ? crdt::make_error(crdt::ErrorCode::already_exists,
                                data_dir.string() + " is in use by another Trellis client process")
             : io_error("lock " + path.string());
    ::close(fd);
    return error;
  }
  return DataDirLock(fd);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace trellis::client
