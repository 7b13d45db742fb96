// Ids are unguessable and well-formed, names are presentable whatever a
// client sends, and a user's preferred color depends on the user id alone.

#include "identity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace trellis::server {
namespace {

bool all_of_charset(std::string_view text, std::string_view charset) {
  return text.find_first_not_of(charset) == std::string_view::npos;
}

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(Identity, WorkspaceIdsAre22Base64UrlCharactersAndUnique) {
  std::set<std::string> ids;
  std::set<char> last_chars;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = new_workspace_id();
    ASSERT_EQ(id.size(), 22u) << id;
    ASSERT_TRUE(all_of_charset(id, kBase64Url)) << id;
    ASSERT_TRUE(is_valid_workspace_id(id)) << id;
    last_chars.insert(id.back());
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10000u);
  // The 22nd character holds the last 2 bits, padded with zeros: A, Q, g or w.
  EXPECT_TRUE(all_of_charset(std::string(last_chars.begin(), last_chars.end()), "AQgw"));
  EXPECT_EQ(last_chars.size(), 4u);
}

TEST(Identity, WorkspaceIdValidity) {
  EXPECT_TRUE(is_valid_workspace_id("a"));
  EXPECT_TRUE(is_valid_workspace_id("demo-Workspace_01"));
  EXPECT_TRUE(is_valid_workspace_id(std::string(128, 'x')));
  EXPECT_FALSE(is_valid_workspace_id(std::string(129, 'x')));
  EXPECT_FALSE(is_valid_workspace_id(""));
  for (std::string_view bad :
       std::initializer_list<std::string_view>{"a/b", "..", "a.b", "a b", "a%2f", "é", "a\\b",
                                               std::string_view("a\0b", 3), "a+b", "a=b"}) {
    EXPECT_FALSE(is_valid_workspace_id(bad)) << bad;
  }
}

TEST(Identity, UsersGetUniqueIdsAndTheirIdsColor) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    const sync::UserIdentity user = new_user("Ada");
    ASSERT_EQ(user.id.size(), 17u) << user.id;
    ASSERT_TRUE(user.id.starts_with("user_")) << user.id;
    ASSERT_TRUE(all_of_charset(user.id.substr(5), "0123456789abcdefghijklmnopqrstuvwxyz"))
        << user.id;
    ASSERT_EQ(user.name, "Ada");
    ASSERT_EQ(user.color, color_for(user.id));
    ids.insert(user.id);
  }
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(Identity, DisplayNamesAreTrimmedCleanedAndClamped) {
  EXPECT_EQ(display_name("  Grace Hopper \t"), "Grace Hopper");
  EXPECT_EQ(display_name(""), "Anonymous");
  EXPECT_EQ(display_name(" \t\n "), "Anonymous");
  EXPECT_EQ(display_name("line\nbreak"), "line break");
  EXPECT_EQ(display_name(std::string_view("nul\0byte", 8)), "nul byte");
  EXPECT_EQ(display_name("Zoë 日本"), "Zoë 日本");
  // Invalid UTF-8 (a lone continuation byte, an overlong '/', a surrogate) is dropped.
  EXPECT_EQ(display_name("a\x80"
                         "b\xC0\xAF"
                         "c\xED\xA0\x80"
                         "d"),
            "abcd");
  // Bidirectional overrides and C1 controls are dropped.
  EXPECT_EQ(display_name("evil\u202Egnp.exe"), "evilgnp.exe");
  EXPECT_EQ(display_name("x\u2066y\u2069z\u0085"), "xyz");
  EXPECT_EQ(display_name("\u202E"), "Anonymous");

  EXPECT_EQ(display_name(std::string(500, 'n')), std::string(kMaxUserNameBytes, 'n'));
  // A cut never splits a character: 63 ASCII bytes and then a 2-byte ë.
  const std::string name = std::string(63, 'n') + "ë";
  EXPECT_EQ(display_name(name), std::string(63, 'n'));
  EXPECT_EQ(display_name(std::string(60, 'n') + "    " + "tail"), std::string(60, 'n'));
}

TEST(Identity, ColorsAreStableAndFromThePalette) {
  EXPECT_EQ(kUserColors[0], "#FF6B6B");
  EXPECT_EQ(kUserColors[1], "#4ECDC4");
  for (std::string_view color : kUserColors) {
    EXPECT_EQ(color.size(), 7u);
    EXPECT_TRUE(color.starts_with('#'));
    EXPECT_TRUE(all_of_charset(color.substr(1), "0123456789ABCDEF")) << color;
  }
  // Pinned: FNV-1a-64 of these ids, mod 12. A change here recolors every user.
  EXPECT_EQ(color_for(""), kUserColors[14695981039346656037ull % 12]);
  EXPECT_EQ(color_for("user_abc123"), kUserColors[7]);
  EXPECT_EQ(color_for("user_alice"), kUserColors[1]);
  std::set<std::string_view> seen;
  for (int i = 0; i < 1000; ++i)
    seen.insert(color_for("user_" + std::to_string(i)));
  EXPECT_EQ(seen.size(), kUserColors.size());
}

TEST(Identity, AWorkspaceGivesEveryoneTheirOwnColorWhileColorsLast) {
  // Nobody there, or nobody wearing it: the user's own color.
  EXPECT_EQ(color_in_workspace("user_alice", {}), color_for("user_alice"));
  const std::vector<std::string_view> others{kUserColors[5], kUserColors[9]};
  EXPECT_EQ(color_in_workspace("user_alice", others), kUserColors[1]);
  // Worn: the next free one after it.
  const std::vector<std::string_view> clash{kUserColors[1], kUserColors[2]};
  EXPECT_EQ(color_in_workspace("user_alice", clash), kUserColors[3]);
  // Wrapping around the palette.
  std::vector<std::string_view> worn(kUserColors.begin(), kUserColors.end());
  worn.erase(worn.begin());  // only #FF6B6B is free
  EXPECT_EQ(color_in_workspace("user_alice", worn), kUserColors[0]);

  // 12 users joining one after another all differ; 36 wear each color 3 times.
  std::vector<std::string> colors;
  for (int i = 0; i < 36; ++i) {
    std::vector<std::string_view> present(colors.begin(), colors.end());
    colors.emplace_back(color_in_workspace("user_" + std::to_string(i), present));
    if (i == 11) {
      EXPECT_EQ(std::set<std::string>(colors.begin(), colors.end()).size(), 12u);
    }
  }
  for (std::string_view color : kUserColors)
    EXPECT_EQ(std::count(colors.begin(), colors.end(), color), 3) << color;
}

TEST(Identity, ServerReplicasAreNonzeroAndDistinct) {
  std::set<std::uint64_t> replicas;
  for (int i = 0; i < 1000; ++i) {
    const crdt::ReplicaId replica = new_server_replica();
    EXPECT_FALSE(replica.is_null());
    replicas.insert(replica.value);
  }
  EXPECT_EQ(replicas.size(), 1000u);
}

TEST(Identity, RandomBytesFillLargeBuffers) {
  std::vector<std::uint8_t> bytes(1 << 20, 0);
  random_bytes(bytes);
  std::set<std::uint8_t> values(bytes.begin(), bytes.end());
  EXPECT_EQ(values.size(), 256u);
}

}  // namespace
}  // namespace trellis::server
