#include "trellis/client/client_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <msgpack.hpp>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/sync/delta_log.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::client {

namespace {

constexpr std::uint64_t kSnapshotFormat = 1;
constexpr std::uint32_t kMaxRecordBytes = 256u << 20;
enum class RecordKind : std::uint8_t { local = 1, remote = 2, ack = 3 };

Error io_error(const std::string& what) {
  return crdt::make_error(crdt::ErrorCode::invalid_argument, what + ": " + std::strerror(errno));
}
Error corrupt(const std::string& what) {
  return crdt::make_error(crdt::ErrorCode::malformed, what);
}

struct ByteWriter {
  Bytes* out;
  void write(const char* data, std::size_t size) {
    out->insert(out->end(), reinterpret_cast<const std::uint8_t*>(data),
                reinterpret_cast<const std::uint8_t*>(data) + size);
  }
};
using Packer = msgpack::packer<ByteWriter>;

void pack_bin(Packer& packer, const Bytes& bytes) {
  packer.pack_bin(static_cast<std::uint32_t>(bytes.size()));
  packer.pack_bin_body(reinterpret_cast<const char*>(bytes.data()),
                       static_cast<std::uint32_t>(bytes.size()));
}

std::span<const std::uint8_t> bin_of(const msgpack::object& object) {
  return {reinterpret_cast<const std::uint8_t*>(object.via.bin.ptr), object.via.bin.size};
}

// Unpacks one msgpack value with counts bounded by the input size, so that a
// corrupt file cannot make the parser allocate out of proportion.
msgpack::object unpack_bounded(std::span<const std::uint8_t> bytes, msgpack::zone& zone) {
  const std::size_t size = bytes.size();
  const msgpack::unpack_limit limit(size, size / 2, size, size, size, 16);
  std::size_t offset = 0;
  bool referenced = false;
  msgpack::object root = msgpack::unpack(
      zone, reinterpret_cast<const char*>(bytes.data()), size, offset, referenced,
      [](msgpack::type::object_type, std::size_t, void*) { return true; }, nullptr, limit);
  if (offset != size) throw std::runtime_error("trailing bytes");
  return root;
}

Result<CausalContext> context_of(const msgpack::object& object) {
  if (object.type != msgpack::type::BIN) return corrupt("a context must be binary");
  auto context = sync::decode_context(bin_of(object));
  if (!context) return corrupt("bad context: " + context.error().message);
  return std::move(*context);
}

bool write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

std::optional<Error> fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open " + dir.string());
  const int result = ::fsync(fd);
  ::close(fd);
  if (result != 0) return io_error("fsync " + dir.string());
  return std::nullopt;
}

Result<Bytes> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("read " + path.string());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The outbox as the snapshot and the journal rebuild it, in time linear in
// their records. A client with thousands of edits in flight journals a
// record per edit and one per ack; checking each against the whole outbox,
// as the replay did before, was quadratic in them.
class OutboxReplay {
 public:
  // Adds an entry unless its dots were added before: replays after a crash
  // between snapshot and journal truncation repeat records.
  void add(sync::OutboxEntry entry) {
    if (sync::context_includes(added_, entry.covers)) return;
    added_.join(entry.covers);
    entries_.push_back(std::move(entry));
  }
  // An acknowledgement; finish() drops what all of them cover at once. That
  // differs from dropping at each ack only for an entry recorded after an
  // ack that covers it, which can only repeat an acknowledged edit (each
  // local edit has a dot of its own): dropped too, as it should be.
  void ack(const CausalContext& durable) { acked_.join(durable); }
  std::vector<sync::OutboxEntry> finish() && {
    std::erase_if(entries_, [&](const sync::OutboxEntry& entry) {
      return sync::context_includes(acked_, entry.covers);
    });
    return std::move(entries_);
  }

 private:
  std::vector<sync::OutboxEntry> entries_;
  CausalContext added_;  // the dots of entries_
  CausalContext acked_;
};

std::optional<Error> load_snapshot(const Bytes& bytes, const std::string& workspace_id,
                                   StoredState& state, OutboxReplay& outbox) {
  msgpack::zone zone;
  msgpack::object root;
  try {
    root = unpack_bounded(bytes, zone);
  } catch (const std::exception& error) {
    return corrupt(std::string("snapshot is not msgpack: ") + error.what());
  }
  if (root.type != msgpack::type::ARRAY || root.via.array.size != 6) {
    return corrupt("snapshot has 6 elements");
  }
  const msgpack::object* part = root.via.array.ptr;
  if (part[0].type != msgpack::type::POSITIVE_INTEGER || part[0].via.u64 != kSnapshotFormat) {
    return corrupt("unsupported snapshot format");
  }
  if (part[1].type != msgpack::type::STR) return corrupt("snapshot workspace must be a string");
  state.workspace_id.assign(part[1].via.str.ptr, part[1].via.str.size);
  if (state.workspace_id != workspace_id) {
    return crdt::make_error(crdt::ErrorCode::invalid_argument,
                            "the data directory belongs to workspace '" + state.workspace_id +
                                "', not '" + workspace_id + "'");
  }
  if (part[2].type != msgpack::type::POSITIVE_INTEGER || part[2].via.u64 == 0) {
    return corrupt("snapshot replica id");
  }
  if (part[3].type != msgpack::type::BIN) return corrupt("snapshot state must be binary");
  auto doc = crdt::decode(bin_of(part[3]));
  if (!doc) return corrupt("snapshot state: " + doc.error().message);
  state.doc = crdt::GraphDoc(crdt::ReplicaId{part[2].via.u64});
  state.doc.join(std::move(*doc));
  auto received = context_of(part[4]);
  if (!received) return received.error();
  state.received = std::move(*received);
  if (part[5].type != msgpack::type::ARRAY) return corrupt("snapshot outbox must be an array");
  for (std::uint32_t i = 0; i < part[5].via.array.size; ++i) {
    const msgpack::object& entry = part[5].via.array.ptr[i];
    if (entry.type != msgpack::type::ARRAY || entry.via.array.size != 2 ||
        entry.via.array.ptr[1].type != msgpack::type::BIN) {
      return corrupt("snapshot outbox entry is [covers, delta]");
    }
    auto covers = context_of(entry.via.array.ptr[0]);
    if (!covers) return covers.error();
    const auto delta = bin_of(entry.via.array.ptr[1]);
    outbox.add({std::move(*covers), Bytes(delta.begin(), delta.end())});
  }
  return std::nullopt;
}

// Applies one journal record; false when the payload is not a record (the
// journal is cut there).
bool replay_record(std::span<const std::uint8_t> payload, StoredState& state,
                   OutboxReplay& outbox) {
  msgpack::zone zone;
  msgpack::object root;
  try {
    root = unpack_bounded(payload, zone);
  } catch (const std::exception&) {
    return false;
  }
  if (root.type != msgpack::type::ARRAY || root.via.array.size < 2) return false;
  const msgpack::object* part = root.via.array.ptr;
  if (part[0].type != msgpack::type::POSITIVE_INTEGER) return false;
  auto context = context_of(part[1]);
  if (!context) return false;
  switch (static_cast<RecordKind>(part[0].via.u64)) {
    case RecordKind::local:
    case RecordKind::remote: {
      if (root.via.array.size != 3 || part[2].type != msgpack::type::BIN) return false;
      const auto delta = bin_of(part[2]);
      if (crdt::join_encoded(state.doc, delta)) return false;
      state.received.join(*context);
      if (part[0].via.u64 == static_cast<std::uint64_t>(RecordKind::local)) {
        outbox.add({*context, Bytes(delta.begin(), delta.end())});
      }
      return true;
    }
    case RecordKind::ack:
      outbox.ack(*context);
      return true;
  }
  return false;
}

}  // namespace

std::uint32_t crc32(const std::uint8_t* bytes, std::size_t size) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> entries{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int bit = 0; bit < 8; ++bit)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      entries[i] = c;
    }
    return entries;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i)
    crc = table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

ClientStore::ClientStore(std::filesystem::path dir, int journal_fd)
    : dir_(std::move(dir)), journal_fd_(journal_fd) {}

ClientStore::ClientStore(ClientStore&& other) noexcept
    : dir_(std::move(other.dir_)),
      journal_fd_(std::exchange(other.journal_fd_, -1)),
      journal_bytes_(other.journal_bytes_),
      workspace_id_(std::move(other.workspace_id_)),
      loaded_(std::move(other.loaded_)) {}

ClientStore& ClientStore::operator=(ClientStore&& other) noexcept {
  if (this != &other) {
    if (journal_fd_ >= 0) ::close(journal_fd_);
    dir_ = std::move(other.dir_);
    journal_fd_ = std::exchange(other.journal_fd_, -1);
    journal_bytes_ = other.journal_bytes_;
    workspace_id_ = std::move(other.workspace_id_);
    loaded_ = std::move(other.loaded_);
  }
  return *this;
}

ClientStore::~ClientStore() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

Result<ClientStore> ClientStore::open(const std::filesystem::path& dir,
                                      const std::string& workspace_id,
                                      crdt::ReplicaId new_replica) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return crdt::make_error(crdt::ErrorCode::invalid_argument,
                            "cannot create " + dir.string() + ": " + ec.message());
  StoredState state;
  state.workspace_id = workspace_id;
  OutboxReplay outbox;
  const auto snapshot_path = dir / "snapshot";
  const bool fresh = !std::filesystem::exists(snapshot_path);
  if (fresh) {
    state.doc = crdt::GraphDoc(new_replica);
  } else {
    auto bytes = read_file(snapshot_path);
    if (!bytes) return bytes.error();
    if (auto error = load_snapshot(*bytes, workspace_id, state, outbox)) return *error;
  }

  // Replay the journal; cut it at the first torn or corrupt record.
  const auto journal_path = dir / "journal";
  std::uint64_t good_bytes = 0;
  if (std::filesystem::exists(journal_path)) {
    auto journal = read_file(journal_path);
    if (!journal) return journal.error();
    const Bytes& data = *journal;
    while (data.size() - good_bytes >= 8) {
      std::uint32_t length = 0;
      std::uint32_t checksum = 0;
      std::memcpy(&length, data.data() + good_bytes, 4);
      std::memcpy(&checksum, data.data() + good_bytes + 4, 4);
      if (length > kMaxRecordBytes || data.size() - good_bytes - 8 < length) break;
      const std::uint8_t* payload = data.data() + good_bytes + 8;
      if (crc32(payload, length) != checksum) break;
      if (!replay_record({payload, length}, state, outbox)) break;
      good_bytes += 8 + length;
    }
  }
  state.outbox = std::move(outbox).finish();
  const int fd = ::open(journal_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + journal_path.string());
  if (::ftruncate(fd, static_cast<off_t>(good_bytes)) != 0 ||
      ::lseek(fd, static_cast<off_t>(good_bytes), SEEK_SET) < 0) {
    ::close(fd);
    return io_error("truncate " + journal_path.string());
  }
  ClientStore store(dir, fd);
  store.journal_bytes_ = good_bytes;
  store.workspace_id_ = workspace_id;
  store.loaded_ = std::move(state);
  if (fresh) {
    // A new store gets its snapshot at once: it fixes the replica id and
    // the workspace of the directory.
    const StoredState& loaded = store.loaded_;
    if (auto error = store.compact(loaded.doc, loaded.received, loaded.outbox)) return *error;
  }
  return store;
}

std::optional<Error> ClientStore::append(const Bytes& payload) {
  Bytes record(8);
  const auto length = static_cast<std::uint32_t>(payload.size());
  const std::uint32_t checksum = crc32(payload.data(), payload.size());
  std::memcpy(record.data(), &length, 4);
  std::memcpy(record.data() + 4, &checksum, 4);
  record.insert(record.end(), payload.begin(), payload.end());
  if (!write_all(journal_fd_, record.data(), record.size())) return io_error("append journal");
  if (::fdatasync(journal_fd_) != 0) return io_error("fsync journal");
  journal_bytes_ += record.size();
  return std::nullopt;
}

std::optional<Error> ClientStore::record_local(const sync::OutboxEntry& entry) {
  Bytes payload;
  ByteWriter writer{&payload};
  Packer packer(writer);
  packer.pack_array(3);
  packer.pack_uint8(static_cast<std::uint8_t>(RecordKind::local));
  pack_bin(packer, sync::encode_context(entry.covers));
  pack_bin(packer, entry.delta);
  return append(payload);
}

std::optional<Error> ClientStore::record_remote(const Bytes& delta, const CausalContext& covers) {
  Bytes payload;
  ByteWriter writer{&payload};
  Packer packer(writer);
  packer.pack_array(3);
  packer.pack_uint8(static_cast<std::uint8_t>(RecordKind::remote));
  pack_bin(packer, sync::encode_context(covers));
  pack_bin(packer, delta);
  return append(payload);
}

std::optional<Error> ClientStore::record_ack(const CausalContext& durable) {
  Bytes payload;
  ByteWriter writer{&payload};
  Packer packer(writer);
  packer.pack_array(2);
  packer.pack_uint8(static_cast<std::uint8_t>(RecordKind::ack));
  pack_bin(packer, sync::encode_context(durable));
  return append(payload);
}

std::optional<Error> ClientStore::compact(const crdt::GraphDoc& doc, const CausalContext& received,
                                          std::span<const sync::OutboxEntry> outbox) {
  Bytes bytes;
  {
    ByteWriter writer{&bytes};
    Packer packer(writer);
    packer.pack_array(6);
    packer.pack_uint64(kSnapshotFormat);
    packer.pack_str(static_cast<std::uint32_t>(workspace_id_.size()));
    packer.pack_str_body(workspace_id_.data(), static_cast<std::uint32_t>(workspace_id_.size()));
    packer.pack_uint64(doc.replica().value);
    Bytes state;
    crdt::encode_state_to(doc, state);
    pack_bin(packer, state);
    pack_bin(packer, sync::encode_context(received));
    packer.pack_array(static_cast<std::uint32_t>(outbox.size()));
    for (const auto& entry : outbox) {
      packer.pack_array(2);
      pack_bin(packer, sync::encode_context(entry.covers));
      pack_bin(packer, entry.delta);
    }
  }
  const auto temporary = dir_ / "snapshot.tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + temporary.string());
  const bool written = write_all(fd, bytes.data(), bytes.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return io_error("write " + temporary.string());
  if (::rename(temporary.c_str(), (dir_ / "snapshot").c_str()) != 0) {
    return io_error("rename snapshot");
  }
  if (auto error = fsync_directory(dir_)) return error;
  // Only now may the journal go: the snapshot holds everything it had.
  if (::ftruncate(journal_fd_, 0) != 0 || ::lseek(journal_fd_, 0, SEEK_SET) < 0 ||
      ::fsync(journal_fd_) != 0) {
    return io_error("truncate journal");
  }
  journal_bytes_ = 0;
  return std::nullopt;
}

}  // namespace trellis::client
