#pragma once
// Serving the web frontend's build (Vite's dist/: index.html plus hashed
// files under assets/) from the same origin as the sync endpoint.
//
// resolve_static maps a request target to a file under web_root, or to an
// error, and is the only place that decides which file a URL may read. Any
// target that could escape web_root — a "." or ".." segment however it is
// encoded, an encoded slash (%2f), a backslash, NUL or another control byte,
// a symlink leading out — is refused, and the file's canonical path must lie
// under the canonical web_root. Dotfiles (.env, .git) are never served.
// Errors carry their HTTP status through static_error_status():
//   invalid_argument  400  a target no browser sends (traversal, bad escapes)
//   not_found         404  no such file, or the frontend is not built
//
// Routing of a single-page app: "/" is index.html; a path that names no
// file and has no extension in its last segment (a client-side route such
// as /workspace/abc), and anything under /workspace/, is index.html too. A
// missing file with an extension, or anything missing under /assets/, is a
// 404, so that a stale script reference fails loudly instead of receiving
// HTML. A directory is served as its index.html if it has one, else 404.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "trellis/crdt/result.hpp"

namespace trellis::server {

// A file to send, and how to describe it.
struct StaticFile {
  std::filesystem::path path;  // canonical, under the canonical web_root
  std::string content_type;
  // Vite's content-hashed files under /assets/ never change under one name:
  // cache them for a year. Everything else (index.html above all, which
  // names the current hashes) must be revalidated.
  bool immutable = false;
};

crdt::Result<StaticFile> resolve_static(const std::filesystem::path& web_root,
                                        std::string_view target);

// The HTTP status of a resolve_static or read_file_limited error.
unsigned static_error_status(const crdt::Error& error);

// "public, max-age=31536000, immutable" or "no-cache".
std::string_view cache_control_for(const StaticFile& file);

// The MIME type for a file name's extension (case-insensitive), with a
// charset for text types; application/octet-stream when unknown.
std::string_view content_type_for(const std::filesystem::path& path);

// The whole file, unless it is larger than max_bytes (limit_exceeded,
// status 500: web_root should hold nothing that large) or unreadable
// (not_found).
crdt::Result<std::string> read_file_limited(const std::filesystem::path& path,
                                            std::size_t max_bytes);

// Default max_bytes for read_file_limited: the largest file of a Vite build
// (a bundle with source maps) is a few MiB.
inline constexpr std::size_t kMaxStaticFileBytes = 64u << 20;

}  // namespace trellis::server
