#include "static_files.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <system_error>
#include <vector>

namespace trellis::server {
namespace {

namespace fs = std::filesystem;
using crdt::ErrorCode;
using crdt::make_error;

constexpr std::string_view kIndex = "index.html";

crdt::Error bad_request(std::string message) {
  return make_error(ErrorCode::invalid_argument, std::move(message));
}

crdt::Error not_found(std::string message) {
  return make_error(ErrorCode::not_found, std::move(message));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

// One decoded path segment; refuses whatever could name something other
// than a plain entry of the directory it is looked up in. Decoding happens
// per segment, after splitting on '/', so %2f can never add a level.
crdt::Result<std::string> decode_segment(std::string_view raw) {
  auto segment = percent_decode(raw);
  if (!segment) return bad_request("the request path has a malformed percent escape");
  if (*segment == "." || *segment == "..") {
    return bad_request("the request path has a '.' or '..' segment");
  }
  for (char c : *segment) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || byte < 0x20 || byte == 0x7f) {
      return bad_request("the request path has an encoded slash, a backslash or a control byte");
    }
  }
  return std::move(*segment);
}

bool is_under(const fs::path& root, const fs::path& path) {
  const auto [root_end, path_end] =
      std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

// The canonical path of a regular file at `candidate` (a directory stands
// for its index.html), provided it stays under `root` once every symlink is
// resolved.
std::optional<fs::path> existing_file_under(const fs::path& root, const fs::path& candidate) {
  std::error_code error;
  fs::path file = fs::canonical(candidate, error);
  if (error) return std::nullopt;
  if (fs::is_directory(file, error)) {
    file = fs::canonical(file / kIndex, error);
    if (error) return std::nullopt;
  }
  if (!fs::is_regular_file(file, error) || !is_under(root, file)) return std::nullopt;
  return file;
}

crdt::Result<StaticFile> index_file(const fs::path& root) {
  auto file = existing_file_under(root, root / kIndex);
  if (!file) {
    return not_found("the web frontend is not built: " + (root / kIndex).string() +
                     " is missing (run `npm run build` in web/)");
  }
  return StaticFile{*file, std::string(content_type_for(*file)), false};
}

}  // namespace

crdt::Result<StaticFile> resolve_static(const fs::path& web_root, std::string_view target) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (!path.starts_with('/')) return bad_request("the request target is not an absolute path");

  std::vector<std::string> segments;
  for (std::size_t start = 1; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      auto segment = decode_segment(path.substr(start, end - start));
      if (!segment) return segment.error();
      segments.push_back(std::move(*segment));
    }
    start = end + 1;
  }

  std::error_code error;
  const fs::path root = fs::canonical(web_root, error);
  if (error || !fs::is_directory(root, error)) {
    return not_found("the web frontend is not built: " + web_root.string() +
                     " is not a directory (run `npm run build` in web/)");
  }
  if (segments.empty()) return index_file(root);

  // Dotfiles (.git, .env) are never part of a build, whatever lands in web_root.
  const bool hidden = std::any_of(segments.begin(), segments.end(),
                                  [](const std::string& segment) { return segment[0] == '.'; });
  const bool asset = segments.front() == "assets";
  if (!hidden) {
    fs::path candidate = root;
    for (const std::string& segment : segments)
      candidate /= segment;
    if (auto file = existing_file_under(root, candidate)) {
      const bool immutable = asset && file->filename() != kIndex;
      return StaticFile{*file, std::string(content_type_for(*file)), immutable};
    }
  }
  const bool client_route =
      segments.front() == "workspace" || segments.back().find('.') == std::string::npos;
  if (!hidden && !asset && client_route) return index_file(root);
  return not_found("no such file: " + std::string(path));
}

unsigned static_error_status(const crdt::Error& error) {
  switch (error.code) {
    case ErrorCode::invalid_argument:
      return 400;
    case ErrorCode::not_found:
      return 404;
    default:
      return 500;
  }
}

std::string_view cache_control_for(const StaticFile& file) {
  return file.immutable ? "public, max-age=31536000, immutable" : "no-cache";
}

std::string_view content_type_for(const fs::path& path) {
  struct Type {
    std::string_view extension;
    std::string_view content_type;
  };
  static constexpr std::array<Type, 17> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  for (const Type& type : kTypes)
    if (type.extension == extension) return type.content_type;
  return "application/octet-stream";
}

crdt::Result<std::string> read_file_limited(const fs::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open " + path.string());
  std::string content;
  // Read one byte past the limit rather than trusting a size taken before
  // the read: the file may grow in between.
  std::array<char, 64 * 1024> buffer;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    content.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_bytes) {
      return make_error(ErrorCode::limit_exceeded,
                        path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  if (in.bad()) return not_found("cannot read " + path.string());
  return content;
}

}  // namespace trellis::server
