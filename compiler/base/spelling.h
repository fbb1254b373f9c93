// "Did you mean ...?": the one rule every help line that suggests a name
// uses, so the lexer's, parser's and checker's suggestions agree.
//
// A candidate is suggested when it is within a typo of the name written:
// Levenshtein distance at most 1 for names of one or two characters, at most
// 2 for longer ones (`Strng` -> `string`, `retrun` -> `return`, but not
// `x` -> `y2`). A different first letter (ignoring case) counts as one more
// edit, as people seldom mistype it: `Pnt` suggests `Point`, not `int`.
// Among candidates equally close, one with the same first letter wins, then
// the first one considered.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace asthra {

class ClosestSpelling {
 public:
  explicit ClosestSpelling(std::string_view wanted)
      : wanted_(wanted), best_distance_(wanted.size() <= 2 ? 2 : 3) {}
  void consider(std::string_view candidate);
  // The closest candidate considered, or empty when none is within a typo.
  const std::string& best() const { return best_; }

 private:
  std::string_view wanted_;
  size_t best_distance_;  // only closer candidates replace best_
  bool best_first_differs_ = false;
  std::string best_;
};

// The key of `names` (a map from names) within a typo of `wanted`.
template <typename NameMap>
std::string closest_key(const NameMap& names, std::string_view wanted) {
  ClosestSpelling closest(wanted);
  for (const auto& entry : names) closest.consider(entry.first);
  return closest.best();
}

}  // namespace asthra
