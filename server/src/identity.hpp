#pragma once
// Names the server makes up: workspace ids, user identities and its own
// replica id. Ids that others must not guess (a workspace id is the
// capability to open a workspace) come from the kernel's CSPRNG,
// getrandom(2); a user's preferred color is a pure function of the user id,
// so that every server and every reconnect shows a user in the same color,
// and a workspace moves a newcomer off it only when someone present already
// wears it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "trellis/crdt/replica_id.hpp"
#include "trellis/sync/messages.hpp"

namespace trellis::server {

// Fills `out` from getrandom(2), retrying on EINTR and short reads. A
// kernel without a working CSPRNG aborts the process: there is no safe
// fallback for unguessable ids.
void random_bytes(std::span<std::uint8_t> out);

// 128 random bits, base64url without padding: 22 characters of [A-Za-z0-9_-].
std::string new_workspace_id();
// An Engine.IO or Socket.IO session id: the same shape (unguessable, since
// knowing a polling session's sid is enough to speak for it).
std::string new_session_id();

// A workspace id a client may name: 1 to sync::limits::kMaxWorkspaceIdBytes
// (128) bytes of [A-Za-z0-9_-]. Safe as a file name and in a URL path as is.
bool is_valid_workspace_id(std::string_view id);

// Longest display name kept, in bytes; well under the protocol's
// kMaxUserFieldBytes, since a name is drawn beside every cursor.
inline constexpr std::size_t kMaxUserNameBytes = 64;

// Shown when a client asks for no name (or only blanks and control bytes).
inline constexpr std::string_view kAnonymousName = "Anonymous";

// A new user: id "user_" + 12 random base36 characters (~62 bits), the
// requested name made presentable (see display_name), and color_for(id).
sync::UserIdentity new_user(std::string_view requested_name);

// The requested name as shown to others: invalid UTF-8, control characters
// and bidirectional overrides (which could make a name render as someone
// else's) removed, surrounding whitespace trimmed, cut on a character
// boundary to kMaxUserNameBytes; kAnonymousName when nothing is left.
std::string display_name(std::string_view requested_name);

// The user colors, "#RRGGBB"; the first two are the seed design's.
inline constexpr std::array<std::string_view, 12> kUserColors{
    "#FF6B6B", "#4ECDC4", "#45B7D1", "#F7B731", "#A55EEA", "#26DE81",
    "#FD9644", "#2D98DA", "#EB3B5A", "#20BF6B", "#8854D0", "#FA8231",
};

// kUserColors[FNV-1a-64(user_id) % 12]: stable across runs, builds and hosts.
std::string_view color_for(std::string_view user_id);

// The color a user joining a workspace wears, given the colors of the users
// already there: color_for(user_id) when nobody wears it (so a returning
// user keeps their color), otherwise the least-worn color, the first after
// color_for's in kUserColors on a tie. Up to 12 users all differ; beyond,
// each color is worn by at most one more user than any other.
std::string_view color_in_workspace(std::string_view user_id,
                                    std::span<const std::string_view> worn);

// A random nonzero replica id for the server's own edits.
crdt::ReplicaId new_server_replica();

}  // namespace trellis::server
