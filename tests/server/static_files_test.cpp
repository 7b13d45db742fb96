// resolve_static serves the frontend's files and nothing else: traversal in
// any spelling is refused, symlinks cannot lead out of web_root, client-side
// routes get index.html, and a missing asset is a 404.

#include "static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace trellis::server {
namespace {

namespace fs = std::filesystem;

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/trellis-static-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_ = base_ / "dist";
    write(root_ / "index.html", "<html>app</html>");
    write(root_ / "assets" / "index-4f2a9c.js", "console.log(1)");
    write(root_ / "assets" / "index-77aa01.css", "body{}");
    write(root_ / "favicon.ico", "ico");
    write(root_ / "docs" / "index.html", "<html>docs</html>");
    write(root_ / "notes" / "readme.txt", "text");
    write(root_ / ".env", "SECRET=1");
    write(base_ / "secret.txt", "outside");
    write(base_ / "outside" / "index.html", "outside index");
    fs::create_directory_symlink(base_ / "outside", root_ / "linked-out");
    fs::create_symlink(base_ / "secret.txt", root_ / "secret-link.txt");
    fs::create_symlink(root_ / "favicon.ico", root_ / "inside-link.ico");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const fs::path& path, std::string_view content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }

  // The file `target` resolves to, relative to web_root ("" on an error).
  std::string served(std::string_view target) {
    const auto file = resolve_static(root_, target);
    if (!file) {
      ADD_FAILURE() << target << ": " << file.error().message;
      return "";
    }
    return fs::relative(file->path, fs::canonical(root_)).string();
  }

  unsigned status(std::string_view target) {
    const auto file = resolve_static(root_, target);
    if (file) {
      ADD_FAILURE() << target << " served " << file->path;
      return 200;
    }
    return static_error_status(file.error());
  }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticFiles, ServesFilesWithTheirTypeAndCaching) {
  const auto index = resolve_static(root_, "/");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->path, fs::canonical(root_ / "index.html"));
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(index->immutable);
  EXPECT_EQ(cache_control_for(*index), "no-cache");

  const auto script = resolve_static(root_, "/assets/index-4f2a9c.js?v=1#top");
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(script->immutable);
  EXPECT_EQ(cache_control_for(*script), "public, max-age=31536000, immutable");

  const auto icon = resolve_static(root_, "/favicon.ico");
  ASSERT_TRUE(icon.ok());
  EXPECT_EQ(icon->content_type, "image/x-icon");
  EXPECT_FALSE(icon->immutable);

  EXPECT_EQ(served("/index.html"), "index.html");
  EXPECT_EQ(served("/assets/index-77aa01.css"), "assets/index-77aa01.css");
  EXPECT_EQ(served("//assets///index-77aa01.css"), "assets/index-77aa01.css");
  EXPECT_EQ(served("/%61ssets/index-77aa01.css"), "assets/index-77aa01.css");
  EXPECT_EQ(served("/inside-link.ico"), "favicon.ico");
}

TEST_F(StaticFiles, ClientRoutesGetIndexHtmlButMissingFilesAre404) {
  EXPECT_EQ(served("/workspace/abc123"), "index.html");
  EXPECT_EQ(served("/workspace/abc.def"), "index.html");
  EXPECT_EQ(served("/workspace"), "index.html");
  EXPECT_EQ(served("/settings/profile?tab=2"), "index.html");
  EXPECT_EQ(status("/assets/missing-123.js"), 404u);
  EXPECT_EQ(status("/assets/missing"), 404u);
  EXPECT_EQ(status("/missing.png"), 404u);
}

TEST_F(StaticFiles, DirectoriesServeTheirIndexOrNothing) {
  EXPECT_EQ(served("/docs"), "docs/index.html");
  EXPECT_EQ(served("/docs/"), "docs/index.html");
  EXPECT_EQ(status("/assets/"), 404u);
  // A directory without index.html, under a name without an extension, is
  // a client route.
  EXPECT_EQ(served("/notes"), "index.html");
  EXPECT_EQ(served("/notes/readme.txt"), "notes/readme.txt");
}

TEST_F(StaticFiles, TraversalIsRefusedInEverySpelling) {
  for (std::string_view target :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/.%2e/secret.txt", "/..%2fsecret.txt", "/assets%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt", "/a\\..\\secret.txt", "/%00index.html", "/index.html%00.png",
        "/./index.html", "/%zz", "/%2", "/%", "secret.txt", "http://example.com/index.html",
        "/%0aindex.html"}) {
    EXPECT_EQ(status(target), 400u) << target;
  }
}

TEST_F(StaticFiles, SymlinksAndDotfilesCannotExposeAnything) {
  EXPECT_EQ(status("/secret-link.txt"), 404u);
  EXPECT_EQ(status("/linked-out/index.html"), 404u);
  // Not even as a client route: the link's target must not be served.
  EXPECT_EQ(served("/linked-out"), "index.html");
  EXPECT_EQ(status("/.env"), 404u);
  EXPECT_EQ(status("/%2eenv"), 404u);
}

TEST_F(StaticFiles, AMissingBuildSaysTheFrontendIsNotBuilt) {
  for (const fs::path& root : {base_ / "nothing-here", base_ / "secret.txt"}) {
    const auto file = resolve_static(root, "/");
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(static_error_status(file.error()), 404u);
    EXPECT_NE(file.error().message.find("not built"), std::string::npos) << file.error().message;
  }
  fs::remove(root_ / "index.html");
  const auto file = resolve_static(root_, "/workspace/abc");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("not built"), std::string::npos) << file.error().message;
}

TEST(ContentTypes, CoverTheFilesOfAViteBuild) {
  EXPECT_EQ(content_type_for("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a.json"), "application/json");
  EXPECT_EQ(content_type_for("a.js.map"), "application/json");
  EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("a.png"), "image/png");
  EXPECT_EQ(content_type_for("a.jpg"), "image/jpeg");
  EXPECT_EQ(content_type_for("a.ico"), "image/x-icon");
  EXPECT_EQ(content_type_for("a.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("a.wasm"), "application/wasm");
  EXPECT_EQ(content_type_for("a.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("a.exe"), "application/octet-stream");
  EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
}

TEST_F(StaticFiles, ReadFileLimitedReadsWholeFilesUpToTheLimit) {
  const auto content = read_file_limited(root_ / "index.html", kMaxStaticFileBytes);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "<html>app</html>");
  write(root_ / "big.bin", std::string(200'000, 'b'));
  EXPECT_EQ(read_file_limited(root_ / "big.bin", 200'000)->size(), 200'000u);
  const auto too_big = read_file_limited(root_ / "big.bin", 199'999);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, crdt::ErrorCode::limit_exceeded);
  EXPECT_EQ(static_error_status(too_big.error()), 500u);
  const auto missing = read_file_limited(root_ / "missing", 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(static_error_status(missing.error()), 404u);
}

}  // namespace
}  // namespace trellis::server
