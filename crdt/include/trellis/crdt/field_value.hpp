#pragma once
// FieldValue: the value of one field as a document stores it. It stands for
// exactly one Json value (to_json gives it back, kind for kind: an integer
// stays an integer, 3.0 stays a float), in 15 bytes aligned to one, so that
// the register of a field, optional<FieldValue> and a stamp, is 40 bytes.
//
// Why not Json: a Json string is a pointer to a heap std::string, so every
// string field cost an allocation and, on a received edit, a second cache
// miss after the field's own. Here null, booleans, numbers and strings of up
// to kInlineText bytes (a mode, an eight-letter name, a node type, a short id)
// are held inline, with no allocation; a longer string, an array or an
// object is held "boxed", as a Json on the heap. Which form a value takes
// depends on the value alone, so two equal values are in the same form and
// the form never shows: equality, the tie order and every encoding are those
// of the Json it stands for.
//
// It converts from Json implicitly (it is one) and back explicitly, through
// to_json(), which copies: a reader that only looks (the codec, the views'
// string checks) uses kind(), scalar(), string() or boxed() instead.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/json.hpp"

namespace trellis::crdt {

class FieldValue {
 public:
  enum class Kind : std::uint8_t {
    null,
    boolean,
    integer,           // std::int64_t (Json's number_integer)
    unsigned_integer,  // std::uint64_t (Json's number_unsigned)
    floating,          // double (Json's number_float)
    text,              // a string of up to kInlineText bytes, inline
    boxed,             // a Json on the heap: a longer string, an array, an object
  };
  // The longest string held inline.
  static constexpr std::size_t kInlineText = 13;

  FieldValue() noexcept { bytes_[0] = static_cast<unsigned char>(Kind::null); }
  FieldValue(const Json& value);  // NOLINT: a FieldValue is a Json value
  FieldValue(Json&& value);       // NOLINT
  explicit FieldValue(const FieldScalar& value) : FieldValue() { assign(value); }
  FieldValue(const FieldValue& other);
  FieldValue(FieldValue&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    other.bytes_[0] = static_cast<unsigned char>(Kind::null);
  }
  FieldValue& operator=(const FieldValue& other);
  FieldValue& operator=(FieldValue&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(bytes_, other.bytes_, sizeof bytes_);
      other.bytes_[0] = static_cast<unsigned char>(Kind::null);
    }
    return *this;
  }
  ~FieldValue() { release(); }

  Kind kind() const { return static_cast<Kind>(bytes_[0]); }
  bool is_string() const {
    return kind() == Kind::text || (kind() == Kind::boxed && boxed()->is_string());
  }
  // The text of a string value (is_string()), a view into this value.
  std::string_view string() const {
    if (kind() == Kind::text) {
      return std::string_view(reinterpret_cast<const char*>(bytes_ + 2), bytes_[1]);
    }
    return boxed()->get_ref<const std::string&>();
  }
  // The scalar this value is (its text a view into it); nullopt for an array
  // or an object.
  std::optional<FieldScalar> scalar() const;
  // The heap Json of a boxed value, nullptr for an inline one.
  const Json* boxed() const {
    if (kind() != Kind::boxed) return nullptr;
    Json* json;
    std::memcpy(&json, bytes_ + 1, sizeof json);
    return json;
  }
  Json to_json() const;

  // Makes this value to_json(value), in place: a string that was boxed keeps
  // its heap string when the new text is long too.
  void assign(const FieldScalar& value);

  // Equality of the Json values they stand for (so 3 == 3.0, as in Json).
  friend bool operator==(const FieldValue& a, const FieldValue& b);

 private:
  void release() noexcept {
    if (kind() == Kind::boxed) delete boxed_mut();
  }
  Json* boxed_mut() const {
    Json* json;
    std::memcpy(&json, bytes_ + 1, sizeof json);
    return json;
  }
  // Frees a boxed value and stores `json` boxed (taking it).
  void set_boxed(Json* json) noexcept;
  template <class T>
  void set_number(Kind kind, T number) {
    release();
    bytes_[0] = static_cast<unsigned char>(kind);
    std::memcpy(bytes_ + 1, &number, sizeof number);
  }
  template <class T>
  T number() const {
    T number;
    std::memcpy(&number, bytes_ + 1, sizeof number);
    return number;
  }

  // [0] the Kind; then a number or a Json* at [1..8], or a text's size at
  // [1] and its bytes at [2..14].
  unsigned char bytes_[15];
};

static_assert(sizeof(FieldValue) == 15 && alignof(FieldValue) == 1);
static_assert(sizeof(std::optional<FieldValue>) == 16);

// LwwRegister's order for equal stamps (forged input only): that of the
// Json values, by their canonical encoding (lww_register.hpp).
bool lww_tie_less(const FieldValue& a, const FieldValue& b);

}  // namespace trellis::crdt
