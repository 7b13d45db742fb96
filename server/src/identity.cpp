#include "identity.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "trellis/crdt/json.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::server {
namespace {

std::uint64_t random_u64() {
  std::array<std::uint8_t, 8> bytes;
  random_bytes(bytes);
  std::uint64_t value = 0;
  for (std::uint8_t byte : bytes)
    value = value << 8 | byte;
  return value;
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Drops invalid UTF-8 with the decoder nlohmann::json already has (its
// serializer's `ignore` handler skips every ill-formed sequence, overlongs
// and surrogates included); parsing the output back undoes its escaping.
std::string valid_utf8(std::string_view text) {
  const std::string dumped =
      crdt::Json(std::string(text)).dump(-1, ' ', false, crdt::Json::error_handler_t::ignore);
  return crdt::Json::parse(dumped).get<std::string>();
}

// Length of a character to drop at `text[i]` (valid UTF-8), or 0 to keep it:
// C1 controls U+0080..U+009F, and the bidirectional embeddings, overrides
// (U+202A..U+202E) and isolates (U+2066..U+2069) that reorder what follows.
std::size_t unwanted_sequence(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  if (at(0) == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F) return 2;
  if (at(0) == 0xE2 && at(1) == 0x80 && at(2) >= 0xAA && at(2) <= 0xAE) return 3;
  if (at(0) == 0xE2 && at(1) == 0x81 && at(2) >= 0xA6 && at(2) <= 0xA9) return 3;
  return 0;
}

void trim_blanks(std::string& text) {
  const std::size_t first = text.find_first_not_of(' ');
  if (first == std::string::npos) {
    text.clear();
    return;
  }
  text.erase(text.find_last_not_of(' ') + 1);
  text.erase(0, first);
}

}  // namespace

void random_bytes(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const ssize_t got = ::getrandom(out.data(), out.size(), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "trellisd: getrandom failed: %s\n", std::strerror(errno));
      std::abort();
    }
    out = out.subspan(static_cast<std::size_t>(got));
  }
}

std::string new_session_id() {
  return new_workspace_id();
}

std::string new_workspace_id() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::array<std::uint8_t, 16> bytes;
  random_bytes(bytes);
  // 128 bits = 21 groups of 6 bits and 2 bits left over: 22 characters.
  std::string id;
  id.reserve(22);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (std::uint8_t byte : bytes) {
    bits = bits << 8 | byte;
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      id += kAlphabet[(bits >> bit_count) & 0x3F];
    }
  }
  id += kAlphabet[(bits << (6 - bit_count)) & 0x3F];
  return id;
}

bool is_valid_workspace_id(std::string_view id) {
  if (id.empty() || id.size() > sync::limits::kMaxWorkspaceIdBytes) return false;
  for (char c : id)
    if (!is_id_char(c)) return false;
  return true;
}

std::string display_name(std::string_view requested_name) {
  const std::string valid = valid_utf8(requested_name);
  std::string name;
  name.reserve(valid.size());
  for (std::size_t i = 0; i < valid.size();) {
    if (const std::size_t skip = unwanted_sequence(valid, i)) {
      i += skip;
      continue;
    }
    const auto byte = static_cast<unsigned char>(valid[i]);
    // A tab or newline inside a name separates words; keep it as a space.
    name += byte < 0x20 || byte == 0x7F ? ' ' : valid[i];
    ++i;
  }
  trim_blanks(name);
  if (name.size() > kMaxUserNameBytes) {
    std::size_t cut = kMaxUserNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80)
      --cut;
    name.resize(cut);
    trim_blanks(name);
  }
  return name.empty() ? std::string(kAnonymousName) : name;
}

sync::UserIdentity new_user(std::string_view requested_name) {
  static constexpr char kBase36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  constexpr int kIdChars = 12;
  std::uint64_t range = 1;
  for (int i = 0; i < kIdChars; ++i)
    range *= 36;
  // Rejection sampling keeps every id equally likely (a plain modulo
  // would favour small values).
  const std::uint64_t usable = UINT64_MAX - UINT64_MAX % range;
  std::uint64_t value;
  do {
    value = random_u64();
  } while (value >= usable);
  value %= range;

  std::string id = "user_";
  std::string digits(kIdChars, '0');
  for (int i = kIdChars - 1; i >= 0; --i, value /= 36)
    digits[static_cast<std::size_t>(i)] = kBase36[value % 36];
  id += digits;

  sync::UserIdentity user;
  user.name = display_name(requested_name);
  user.color = std::string(color_for(id));
  user.id = std::move(id);
  return user;
}

std::string_view color_for(std::string_view user_id) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (char c : user_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;  // FNV-1a 64 prime
  }
  return kUserColors[hash % kUserColors.size()];
}

std::string_view color_in_workspace(std::string_view user_id,
                                    std::span<const std::string_view> worn) {
  std::array<std::size_t, kUserColors.size()> wearers{};
  for (std::string_view color : worn) {
    for (std::size_t i = 0; i < kUserColors.size(); ++i)
      if (kUserColors[i] == color) ++wearers[i];
  }
  const std::string_view preferred = color_for(user_id);
  std::size_t start = 0;
  while (kUserColors[start] != preferred)
    ++start;
  std::size_t best = start;
  for (std::size_t step = 1; step < kUserColors.size(); ++step) {
    const std::size_t i = (start + step) % kUserColors.size();
    if (wearers[i] < wearers[best]) best = i;
  }
  return kUserColors[best];
}

crdt::ReplicaId new_server_replica() {
  std::uint64_t value;
  do {
    value = random_u64();
  } while (value == 0);
  return crdt::ReplicaId{value};
}

}  // namespace trellis::server
