// Unit tests of FieldKey: a top-level field of a React Flow object, or one
// key of its `data`.

#include "trellis/crdt/field_key.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <utility>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

TEST(FieldKey, TopNamesATopLevelField) {
  FieldKey key = FieldKey::top("position");
  EXPECT_EQ(key.scope, FieldKey::Scope::top);
  EXPECT_EQ(key.name, "position");
  EXPECT_FALSE(key.is_data());
}

TEST(FieldKey, DataNamesAKeyOfData) {
  FieldKey key = FieldKey::data("label");
  EXPECT_EQ(key.scope, FieldKey::Scope::data);
  EXPECT_EQ(key.name, "label");
  EXPECT_TRUE(key.is_data());
}

TEST(FieldKey, ATopLevelFieldAndADataKeyOfOneNameAreDifferentFields) {
  EXPECT_NE(FieldKey::top("label"), FieldKey::data("label"));
  EXPECT_EQ(FieldKey::data("label"), FieldKey::data("label"));
}

TEST(FieldKey, TopLevelFieldsSortBeforeDataKeys) {
  EXPECT_LT(FieldKey::top("zzz"), FieldKey::data("aaa"));
}

TEST(FieldKey, FieldsOfOneScopeSortByName) {
  EXPECT_LT(FieldKey::top("height"), FieldKey::top("width"));
  EXPECT_LT(FieldKey::data("a"), FieldKey::data("b"));
}

TEST(FieldKey, ToStringPrefixesDataKeysWithData) {
  EXPECT_EQ(to_string(FieldKey::top("position")), "position");
  EXPECT_EQ(to_string(FieldKey::data("label")), "data.label");
}

TEST(FieldKey, NamesEqualComparesEveryByteOfNamesOfEveryLength) {
  // names_equal reads short names in overlapping words: a difference at any
  // position of any length must show, and only a difference.
  for (std::size_t size = 0; size <= 40; ++size) {
    std::string name;
    for (std::size_t i = 0; i < size; ++i)
      name.push_back(static_cast<char>('a' + (i * 7) % 26));
    const std::string copy = name;
    EXPECT_TRUE(names_equal(name, copy)) << size;
    EXPECT_EQ(FieldKey::data(name), (FieldKeyView{FieldKey::Scope::data, copy}));
    EXPECT_FALSE(names_equal(name, name + "x")) << size;
    for (std::size_t at = 0; at < size; ++at) {
      std::string changed = name;
      changed[at] = static_cast<char>(changed[at] ^ 0x20);
      EXPECT_FALSE(names_equal(name, changed)) << size << " at " << at;
      EXPECT_FALSE(FieldKey::data(name) == (FieldKeyView{FieldKey::Scope::data, changed}));
    }
  }
}

// FieldName holds names of up to kInline bytes inline and longer ones on
// the heap: both forms, and every change between them, must read back the
// text they were given.
TEST(FieldName, NamesOfEveryLengthReadBackInEitherForm) {
  for (std::size_t size = 0; size <= 40; ++size) {
    const std::string text(size, static_cast<char>('a' + size % 26));
    FieldName name(text);
    EXPECT_EQ(name.view(), text) << size;
    EXPECT_EQ(name.size(), size);
    EXPECT_EQ(name.empty(), size == 0);
    FieldName copy = name;
    EXPECT_EQ(copy, name);
    EXPECT_NE(copy.view().data(), name.view().data());  // a deep copy, inline or not
    FieldName moved = std::move(copy);
    EXPECT_EQ(moved.view(), text);
    EXPECT_TRUE(copy.empty());                    // NOLINT: the moved-from state is specified
    moved.assign(moved.view().substr(size / 2));  // a view of itself
    EXPECT_EQ(moved.view(), text.substr(size / 2));
    name = moved;
    EXPECT_EQ(name.view(), text.substr(size / 2));
    name = name;  // NOLINT: self-assignment keeps the name
    EXPECT_EQ(name.view(), text.substr(size / 2));
  }
}

TEST(FieldName, ComparesWithTextOfEveryForm) {
  const FieldName name("sourceHandle");
  EXPECT_TRUE(name == "sourceHandle");
  EXPECT_TRUE(name == std::string_view("sourceHandle"));
  EXPECT_TRUE(name == std::string("sourceHandle"));
  EXPECT_FALSE(name == "source");
  EXPECT_EQ(std::string(name), "sourceHandle");
}

RC_GTEST_PROP(FieldNameProperties, OrdersAndComparesAsStdStringDoes,
              (const std::string& a, const std::string& b)) {
  // Bytes above 0x7f included: std::string orders them as unsigned.
  const FieldName x(a);
  const FieldName y(b);
  RC_ASSERT((x == y) == (a == b));
  RC_ASSERT((x <=> y) == (a <=> b));
  RC_ASSERT((FieldKey{FieldKey::Scope::data, x} < FieldKey{FieldKey::Scope::data, y}) == (a < b));
  RC_ASSERT((FieldKey::data(a) <=> FieldKeyView{FieldKey::Scope::data, b}) == (a <=> b));
}

}  // namespace
}  // namespace trellis::crdt
