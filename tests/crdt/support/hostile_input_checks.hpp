#pragma once
// What must hold for ANY bytes handed to the decoder:
//
//   refused   decode returns a typed Error with a message, and join_encoded
//             refuses the same bytes with the same code, changing nothing;
//   accepted  join_encoded joins exactly what decode returned; the state
//             re-encodes to bytes that decode to it again and are stable
//             from then on (in both forms); its view holds every view
//             invariant and can be written as JSON text; and it obeys the
//             join laws with a valid state (commutative, idempotent),
//             compared by == and by bytes.
//
// Fuzz-style tests run thousands of inputs: HostileInputReport collects the
// problems by kind and reports each kind once, with how often it occurred
// and the first input that showed it, so one bug does not hide another.

#include <gtest/gtest.h>

#include <exception>
#include <map>
#include <string>
#include <utility>

#include "crdt/support/state_comparison.hpp"
#include "crdt/support/view_invariants.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt::testkit {

// The same state: == and identical encodings.
inline ::testing::AssertionResult same_state(const GraphDoc& left, const GraphDoc& right) {
  if (!(left == right)) {
    return ::testing::AssertionFailure()
           << "states differ:\n  left:  " << text(describe_state(left))
           << "\n  right: " << text(describe_state(right));
  }
  const Bytes left_bytes = encode(left);
  const Bytes right_bytes = encode(right);
  if (left_bytes != right_bytes) {
    return ::testing::AssertionFailure()
           << "equal states encode differently:\n  left:  " << hex(left_bytes, 0, 256)
           << "\n  right: " << hex(right_bytes, 0, 256);
  }
  return ::testing::AssertionSuccess();
}

class HostileInputReport {
 public:
  // Checks one input against `valid`, a well-formed replica state to join
  // it with.
  void check(const Bytes& bytes, const GraphDoc& valid, const std::string& origin) {
    ++inputs_;
    current_ = origin + "\n    input: " + hex(bytes, 0, 160);
    auto decoded = decode(bytes);
    GraphDoc target = valid;
    auto join_error = join_encoded(target, bytes);
    if (!decoded.ok()) {
      if (decoded.error().message.empty()) problem("an error without a message", "");
      if (!join_error) {
        problem("join_encoded accepts bytes that decode refuses",
                std::string(to_string(decoded.error().code)) + ": " + decoded.error().message);
      } else if (join_error->code != decoded.error().code) {
        problem("join_encoded and decode refuse with different codes",
                std::string(to_string(join_error->code)) + " vs " +
                    std::string(to_string(decoded.error().code)));
      }
      if (!(target == valid)) problem("a refused join_encoded changes the document", "");
      return;
    }
    ++accepted_;
    const GraphDoc& state = *decoded;
    const std::string described = "\n    decoded: " + text(describe_state(state)).substr(0, 400);
    if (join_error) {
      problem("join_encoded refuses bytes that decode accepts", join_error->message);
    } else if (auto same = same_state(target, joined(valid, state)); !same) {
      problem("join_encoded differs from join(decode)", same.message());
    }

    const Bytes again = encode(state);
    auto redecoded = decode(again);
    if (!redecoded.ok()) {
      problem("the re-encoding of a decoded state does not decode",
              redecoded.error().message + described);
    } else {
      if (!(*redecoded == state)) problem("decode(encode(decode(x))) != decode(x)", described);
      if (encode(*redecoded) != again) problem("the re-encoding is not stable", described);
    }
    Bytes state_form;
    encode_state_to(state, state_form);
    auto from_state_form = decode(state_form);
    if (!from_state_form.ok() || !(*from_state_form == state)) {
      problem("the state form of a decoded state does not decode to it", described);
    }

    if (auto violation = find_view_violation(state)) problem("a view invariant breaks", *violation);
    try {
      (void)graph_view(state).dump();
    } catch (const std::exception& error) {
      problem("the view of a decoded state cannot be written as JSON", error.what());
    }
    if (auto same = same_state(joined(state, valid), joined(valid, state)); !same) {
      problem("x ⊔ valid != valid ⊔ x", same.message());
    }
    if (auto same = same_state(joined(state, GraphDoc(state)), state); !same) {
      problem("x ⊔ x != x", same.message());
    }
  }

  std::size_t inputs() const { return inputs_; }
  std::size_t accepted() const { return accepted_; }

  // One test failure per kind of problem.
  void report() const {
    for (const auto& [kind, seen] : problems_) {
      ADD_FAILURE() << kind << " (" << seen.first << " of " << inputs_ << " inputs), first:\n    "
                    << seen.second;
    }
  }

 private:
  void problem(const std::string& kind, const std::string& detail) {
    auto& seen = problems_[kind];
    if (seen.first++ == 0) seen.second = current_ + (detail.empty() ? "" : "\n    " + detail);
  }

  std::size_t inputs_ = 0;
  std::size_t accepted_ = 0;
  std::string current_;
  std::map<std::string, std::pair<std::size_t, std::string>> problems_;
};

}  // namespace trellis::crdt::testkit
