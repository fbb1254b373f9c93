#include "compiler/base/spelling.h"

#include <algorithm>
#include <vector>

namespace asthra {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t here = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = row[j];
      row[j] = here;
    }
  }
  return row[b.size()];
}

}  // namespace

void ClosestSpelling::consider(std::string_view candidate) {
  if (candidate == wanted_) return;  // the name itself is no suggestion
  size_t n = candidate.size(), m = wanted_.size();
  if ((n > m ? n - m : m - n) > best_distance_) return;  // too far before counting
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  bool first_differs = candidate.empty() || wanted_.empty() || lower(candidate[0]) != lower(wanted_[0]);
  size_t d = edit_distance(candidate, wanted_) + (first_differs ? 1 : 0);
  bool closer = d < best_distance_ || (d == best_distance_ && !best_.empty() && best_first_differs_ && !first_differs);
  if (closer) {
    best_distance_ = d;
    best_first_differs_ = first_differs;
    best_ = candidate;
  }
}

}  // namespace asthra
