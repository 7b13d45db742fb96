// FieldValue, the compact form in which a document stores a field's value:
// it must stand for exactly the Json it was made from (kind for kind), pick
// its inline or boxed form from the value alone, and compare, order and
// assign as that Json would.

#include "trellis/crdt/field_value.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "trellis/crdt/lww_register.hpp"
#include "trellis/crdt/value_codec.hpp"

namespace trellis::crdt {
namespace {

using Kind = FieldValue::Kind;

std::string text_of(std::size_t size) {
  std::string text;
  for (std::size_t i = 0; i < size; ++i)
    text.push_back(static_cast<char>('a' + i % 26));
  return text;
}

TEST(FieldValue, ADefaultValueIsNull) {
  FieldValue value;
  EXPECT_EQ(value.kind(), Kind::null);
  EXPECT_EQ(value.to_json(), Json(nullptr));
}

TEST(FieldValue, EachScalarKeepsItsJsonKind) {
  const std::vector<std::pair<Json, Kind>> cases = {
      {Json(nullptr), Kind::null},
      {Json(true), Kind::boolean},
      {Json(false), Kind::boolean},
      {Json(std::int64_t{-5}), Kind::integer},
      {Json(std::numeric_limits<std::int64_t>::min()), Kind::integer},
      {Json(std::uint64_t{7}), Kind::unsigned_integer},
      {Json(std::numeric_limits<std::uint64_t>::max()), Kind::unsigned_integer},
      {Json(3.0), Kind::floating},
      {Json(-0.0), Kind::floating},
      {Json(""), Kind::text},
      {Json("linear"), Kind::text},
  };
  for (const auto& [json, kind] : cases) {
    const FieldValue value(json);
    EXPECT_EQ(value.kind(), kind) << json.dump();
    EXPECT_EQ(value.to_json(), json) << json.dump();
    EXPECT_EQ(value.to_json().type(), json.type()) << json.dump();
    EXPECT_EQ(encode_value(value.to_json()), encode_value(json)) << json.dump();
  }
}

TEST(FieldValue, StringsUpToTheInlineLimitAreInlineAndLongerOnesBoxed) {
  const std::string fits = text_of(FieldValue::kInlineText);
  const std::string over = text_of(FieldValue::kInlineText + 1);
  const FieldValue inline_value{Json(fits)};
  const FieldValue boxed_value{Json(over)};
  EXPECT_EQ(inline_value.kind(), Kind::text);
  EXPECT_EQ(inline_value.boxed(), nullptr);
  EXPECT_EQ(inline_value.string(), fits);
  EXPECT_EQ(boxed_value.kind(), Kind::boxed);
  ASSERT_NE(boxed_value.boxed(), nullptr);
  EXPECT_TRUE(boxed_value.is_string());
  EXPECT_EQ(boxed_value.string(), over);
  EXPECT_EQ(boxed_value.to_json(), Json(over));
}

TEST(FieldValue, ContainersAreBoxedAndHaveNoScalar) {
  const Json object = {{"x", 1.5}, {"y", -2}};
  const Json array = Json::array({1, "two", nullptr});
  for (const Json& json : {object, array}) {
    const FieldValue value(json);
    EXPECT_EQ(value.kind(), Kind::boxed);
    EXPECT_FALSE(value.is_string());
    EXPECT_FALSE(value.scalar().has_value());
    EXPECT_EQ(value.to_json(), json);
  }
}

TEST(FieldValue, CopiesAreDeepAndMovesLeaveNull) {
  FieldValue original{Json::array({1, 2, 3})};
  FieldValue copy = original;
  EXPECT_NE(copy.boxed(), original.boxed());
  EXPECT_EQ(copy, original);
  FieldValue moved = std::move(original);
  EXPECT_EQ(moved.to_json(), Json::array({1, 2, 3}));
  EXPECT_EQ(original.kind(), Kind::null);  // NOLINT: the moved-from state is specified
  copy = moved;
  EXPECT_EQ(copy.to_json(), Json::array({1, 2, 3}));
  copy = copy;  // NOLINT: self-assignment keeps the value
  EXPECT_EQ(copy.to_json(), Json::array({1, 2, 3}));
  copy = FieldValue(Json("short"));
  EXPECT_EQ(copy.kind(), Kind::text);
}

TEST(FieldValue, AssignMovesBetweenEveryForm) {
  const std::string long_text = text_of(40);
  const std::string longer_text = text_of(60);
  FieldValue value;
  const std::vector<FieldScalar> writes = {
      FieldScalar(std::string_view(long_text)),    // null -> boxed
      FieldScalar(std::string_view(longer_text)),  // boxed -> boxed, in its string
      FieldScalar(std::int64_t{-3}),               // boxed -> inline
      FieldScalar(std::string_view("abc")),        // inline -> text
      FieldScalar(std::string_view(long_text)),    // text -> boxed
      FieldScalar(2.5),
      FieldScalar(true),
      FieldScalar(nullptr),
      FieldScalar(std::uint64_t{9}),
  };
  for (const FieldScalar& write : writes) {
    value.assign(write);
    EXPECT_EQ(value.to_json(), to_json(write));
    EXPECT_EQ(value.to_json().type(), to_json(write).type());
    EXPECT_EQ(value, FieldValue(to_json(write)));
  }
}

TEST(FieldValue, AssigningItsOwnTextKeepsIt) {
  FieldValue short_value{Json("mode")};
  short_value.assign(FieldScalar(short_value.string().substr(1)));
  EXPECT_EQ(short_value.to_json(), Json("ode"));
  FieldValue long_value{Json(text_of(30))};
  long_value.assign(FieldScalar(long_value.string()));
  EXPECT_EQ(long_value.to_json(), Json(text_of(30)));
  long_value.assign(FieldScalar(long_value.string().substr(0, 5)));
  EXPECT_EQ(long_value.to_json(), Json(text_of(5)));
  EXPECT_EQ(long_value.kind(), Kind::text);
}

TEST(FieldValue, NumbersOfDifferentKindsCompareAsJsonDoes) {
  EXPECT_EQ(FieldValue(Json(3)), FieldValue(Json(3.0)));
  EXPECT_EQ(FieldValue(Json(std::uint64_t{3})), FieldValue(Json(std::int64_t{3})));
  EXPECT_EQ(FieldValue(Json(0.0)), FieldValue(Json(-0.0)));
  EXPECT_NE(FieldValue(Json(3)), FieldValue(Json("3")));
  EXPECT_NE(FieldValue(Json(nullptr)), FieldValue(Json(false)));
  EXPECT_NE(FieldValue(Json(text_of(20))), FieldValue(Json(text_of(21))));
}

TEST(FieldValue, EqualStampsAreDecidedByTheCanonicalEncoding) {
  // 3 and 3.0 are equal values with different encodings: the tie order still
  // tells them apart, the same way on both sides.
  const FieldValue integer{Json(3)};
  const FieldValue floating{Json(3.5)};
  EXPECT_NE(lww_tie_less(integer, floating), lww_tie_less(floating, integer));
  EXPECT_EQ(lww_tie_less(integer, floating), encode_value(Json(3)) < encode_value(Json(3.5)));
}

// Values near every boundary: each scalar kind, strings around the inline
// limit, and small containers.
rc::Gen<Json> json_value() {
  return rc::gen::oneOf(
      rc::gen::just(Json(nullptr)),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return Json(b); }),
      rc::gen::map(rc::gen::arbitrary<std::int64_t>(), [](std::int64_t n) { return Json(n); }),
      rc::gen::map(rc::gen::arbitrary<std::uint64_t>(), [](std::uint64_t n) { return Json(n); }),
      rc::gen::map(rc::gen::inRange(-4000, 4000), [](int n) { return Json(n / 8.0); }),
      rc::gen::map(rc::gen::inRange<std::size_t>(0, 30),
                   [](std::size_t size) { return Json(text_of(size)); }),
      rc::gen::map(rc::gen::container<std::vector<int>>(rc::gen::inRange(-3, 3)),
                   [](const std::vector<int>& items) { return Json(items); }));
}

RC_GTEST_PROP(FieldValueProperties, StandsForTheJsonItWasMadeFrom, ()) {
  const Json json = *json_value();
  const FieldValue value(json);
  RC_ASSERT(value.to_json() == json);
  RC_ASSERT(value.to_json().type() == json.type());
  const bool boxed = json.is_array() || json.is_object() ||
                     (json.is_string() && json.get<std::string>().size() > FieldValue::kInlineText);
  RC_ASSERT((value.boxed() != nullptr) == boxed);
  FieldValue moved{Json(json)};
  RC_ASSERT(moved == value);
}

RC_GTEST_PROP(FieldValueProperties, EqualityAndTieOrderAreThoseOfTheJson, ()) {
  const Json a = *json_value();
  const Json b = *json_value();
  RC_ASSERT((FieldValue(a) == FieldValue(b)) == (a == b));
  RC_ASSERT(lww_tie_less(FieldValue(a), FieldValue(b)) == lww_tie_less(a, b));
}

RC_GTEST_PROP(FieldValueProperties, AnyRunOfAssignsEndsAsTheLastWrite, ()) {
  const auto writes = *rc::gen::nonEmpty(rc::gen::container<std::vector<Json>>(json_value()));
  FieldValue value;
  for (const Json& write : writes) {
    if (const std::optional<FieldScalar> scalar = scalar_of(write)) {
      value.assign(*scalar);
    } else {
      value = FieldValue(write);
    }
    RC_ASSERT(value.to_json() == write);
    RC_ASSERT(value.to_json().type() == write.type());
  }
}

}  // namespace
}  // namespace trellis::crdt
