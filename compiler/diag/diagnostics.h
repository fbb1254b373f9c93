// Diagnostics: every user-facing error and warning goes through here.
//
// A diagnostic has a code from codes.def (the single registry), a primary
// span, a message saying what is wrong, optional notes at other spans
// ("allocated here") and an optional help line saying how to fix it.  They
// are collected and printed together, sorted by position, in the layout
// language.md fixes:
//
//   FILE:LINE:COL: error[E0103]: mismatched types: expected `i32`, found `string`
//      12 |     let x: i32 = "a";
//         |                  ^^^
//      = help: ...
//   FILE:LINE:COL: note: ...
#pragma once
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/base/source.h"

namespace asthra {

enum class DiagCode {
#define ASTHRA_DIAG(code, kind, summary) code,
#include "compiler/diag/codes.def"
#undef ASTHRA_DIAG
};

enum class Severity { Error, Warning };

struct DiagInfo {
  const char* code;
  Severity severity;
  const char* summary;
};
const DiagInfo& diag_info(DiagCode code);

struct Diagnostic {
  DiagCode code;
  Span span;
  std::string message;
  std::vector<std::pair<Span, std::string>> notes;
  std::string help;
};

class Diagnostics;

// Returned by Diagnostics::report; adds notes and help to the diagnostic it
// was made for.
class DiagBuilder {
 public:
  DiagBuilder(Diagnostic* d) : d_(d) {}
  DiagBuilder& note(Span span, std::string text) {
    if (d_) d_->notes.emplace_back(span, std::move(text));
    return *this;
  }
  DiagBuilder& help(std::string text) {
    if (d_) d_->help = std::move(text);
    return *this;
  }

 private:
  Diagnostic* d_;
};

class Diagnostics {
 public:
  explicit Diagnostics(const SourceManager& sources) : sources_(sources) {}
  // A diagnostic the same as one already reported (code, span, message) is
  // dropped and not counted: a generic function's body is checked once per
  // instance, and its mistakes are shown once.
  DiagBuilder report(DiagCode code, Span span, std::string message);
  // While set, each diagnostic reported ends with this note: the checker
  // sets it to where the generic instance whose body it checks was asked
  // for, the line a mistake made only by that instance must be fixed at.
  void set_context_note(std::optional<std::pair<Span, std::string>> note) { context_note_ = std::move(note); }
  // While set, diagnostics with this code are dropped, uncounted.
  void set_muted(std::optional<DiagCode> code) { muted_ = code; }
  int error_count() const { return errors_; }
  // Errors reported so far, repeated and muted ones included: what a check
  // asks ("was there an error in this expression?") by comparing two marks.
  int error_mark() const { return error_reports_; }
  int warning_count() const { return warnings_; }
  const std::vector<Diagnostic>& all() const { return diags_; }
  // Prints everything reported so far (sorted by position) and forgets it.
  void print(std::FILE* out, bool color);
  std::string format(const Diagnostic& d, bool color) const;

 private:
  const SourceManager& sources_;
  std::vector<Diagnostic> diags_;
  std::set<std::tuple<DiagCode, uint32_t, uint32_t, uint32_t, std::string>> reported_;
  std::optional<std::pair<Span, std::string>> context_note_;
  std::optional<DiagCode> muted_;
  int errors_ = 0;
  int error_reports_ = 0;
  int warnings_ = 0;
};

}  // namespace asthra
