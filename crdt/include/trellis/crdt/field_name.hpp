#pragma once
// FieldName: the name of a field (field_key.hpp), in 15 bytes aligned to
// one. Names of up to kInline bytes ("position", "p0", "sourceHandle", most
// data keys) are held inline; a longer one on the heap. It reads as a
// std::string_view (it converts to one implicitly) and compares and orders
// as its bytes do, exactly as the std::string it replaces did.
//
// Why not std::string: a field key is one per field of every node and edge,
// and a std::string is 32 bytes, 8-aligned; with this, a key (scope and
// name) is 16 bytes where it was 40, and a field's whole entry 56 (see
// docs/performance.md, "The compact field store").

#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace trellis::crdt {

class FieldName {
 public:
  // The longest name held inline.
  static constexpr std::size_t kInline = 14;

  FieldName() noexcept { bytes_[0] = 0; }
  FieldName(std::string_view text) : FieldName() { assign(text); }    // NOLINT: a name is text
  FieldName(const char* text) : FieldName(std::string_view(text)) {}  // NOLINT
  FieldName(const std::string& text) : FieldName(std::string_view(text)) {}  // NOLINT
  FieldName(const FieldName& other) : FieldName(other.view()) {}
  FieldName(FieldName&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    other.bytes_[0] = 0;
  }
  FieldName& operator=(const FieldName& other) {
    if (this != &other) assign(other.view());
    return *this;
  }
  FieldName& operator=(FieldName&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(bytes_, other.bytes_, sizeof bytes_);
      other.bytes_[0] = 0;
    }
    return *this;
  }
  ~FieldName() { release(); }

  void assign(std::string_view text) {
    if (text.size() <= kInline) {
      // Copied out first: `text` may be a view of this very name.
      unsigned char copy[kInline];
      std::memcpy(copy, text.data(), text.size());
      release();
      bytes_[0] = static_cast<unsigned char>(text.size());
      std::memcpy(bytes_ + 1, copy, text.size());
      return;
    }
    char* heap = new char[text.size()];
    std::memcpy(heap, text.data(), text.size());
    release();
    bytes_[0] = kOnHeap;
    const auto size = static_cast<std::uint32_t>(text.size());
    std::memcpy(bytes_ + 1, &size, sizeof size);
    std::memcpy(bytes_ + 5, &heap, sizeof heap);
  }

  std::string_view view() const {
    if (bytes_[0] != kOnHeap) {
      return std::string_view(reinterpret_cast<const char*>(bytes_ + 1), bytes_[0]);
    }
    std::uint32_t size;
    std::memcpy(&size, bytes_ + 1, sizeof size);
    return std::string_view(heap(), size);
  }
  operator std::string_view() const { return view(); }  // NOLINT: reads as its text
  std::size_t size() const { return view().size(); }
  bool empty() const { return bytes_[0] == 0; }

  friend bool operator==(const FieldName& a, const FieldName& b) { return a.view() == b.view(); }
  friend bool operator==(const FieldName& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const FieldName& a, const char* b) { return a.view() == b; }
  friend bool operator==(const FieldName& a, const std::string& b) { return a.view() == b; }
  friend std::strong_ordering operator<=>(const FieldName& a, const FieldName& b) {
    return a.view().compare(b.view()) <=> 0;
  }

 private:
  static constexpr unsigned char kOnHeap = 0xFF;

  char* heap() const {
    char* text;
    std::memcpy(&text, bytes_ + 5, sizeof text);
    return text;
  }
  void release() noexcept {
    if (bytes_[0] == kOnHeap) delete[] heap();
  }

  // [0] the size of an inline name and its bytes at [1..14]; or kOnHeap,
  // the size at [1..4] and the heap pointer at [5..12].
  unsigned char bytes_[15];
};

static_assert(sizeof(FieldName) == 15 && alignof(FieldName) == 1);

}  // namespace trellis::crdt
