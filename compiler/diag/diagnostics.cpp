#include "compiler/diag/diagnostics.h"

#include <algorithm>
#include <fmt/format.h>

namespace asthra {

namespace {
const DiagInfo kInfos[] = {
#define ASTHRA_DIAG(code, kind, summary) {#code, Severity::kind, summary},
#include "compiler/diag/codes.def"
#undef ASTHRA_DIAG
};
constexpr size_t kMaxPrinted = 200;
constexpr size_t kMaxKept = 10000;
}  // namespace

const DiagInfo& diag_info(DiagCode code) { return kInfos[static_cast<size_t>(code)]; }

DiagBuilder Diagnostics::report(DiagCode code, Span span, std::string message) {
  if (diag_info(code).severity == Severity::Error) {
    ++errors_;
  } else {
    ++warnings_;
  }
  // Hostile input can produce millions: keep what can be shown, count the rest.
  if (diags_.size() >= kMaxKept) return DiagBuilder(nullptr);
  diags_.push_back(Diagnostic{code, span, std::move(message), {}, {}});
  return DiagBuilder(&diags_.back());
}

// One location: "FILE:LINE:COL: <head>" then the source line and a caret.
static void append_location(std::string& out, const SourceFile& file, Span span,
                            const std::string& head, bool color) {
  LineCol lc = file.line_col(span.begin);
  out += fmt::format("{}{}:{}:{}: {}{}\n", color ? "\033[1m" : "", file.path(), lc.line, lc.col,
                     head, color ? "\033[0m" : "");
  std::string_view line = file.line_text(lc.line);
  std::string gutter = std::to_string(lc.line);
  out += fmt::format(" {} | ", gutter);
  // Tabs and other control bytes (NUL included) are shown as single spaces
  // so the caret stays aligned and the terminal sees no control codes.
  std::string shown(line);
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  out += shown + "\n";
  out += fmt::format(" {} | ", std::string(gutter.size(), ' '));
  uint32_t width = 1;
  if (span.end > span.begin) {
    uint32_t line_end = static_cast<uint32_t>(line.size()) + 1;
    width = std::min(span.end - span.begin, line_end > lc.col ? line_end - lc.col : 1);
    if (width == 0) width = 1;
  }
  out += std::string(lc.col - 1, ' ');
  if (color) out += "\033[1;32m";
  out += std::string(width, '^');
  if (color) out += "\033[0m";
  out += "\n";
}

std::string Diagnostics::format(const Diagnostic& d, bool color) const {
  const DiagInfo& info = diag_info(d.code);
  bool is_error = info.severity == Severity::Error;
  std::string head = fmt::format("{}{}[{}]{}: {}", color ? (is_error ? "\033[1;31m" : "\033[1;35m") : "",
                                 is_error ? "error" : "warning", info.code, color ? "\033[0;1m" : "",
                                 d.message);
  std::string out;
  append_location(out, sources_.file(d.span.file), d.span, head, color);
  if (!d.help.empty()) out += fmt::format("  = help: {}\n", d.help);
  for (const auto& [span, text] : d.notes) {
    append_location(out, sources_.file(span.file), span, "note: " + text, color);
  }
  return out;
}

void Diagnostics::print(std::FILE* out, bool color) {
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.span.file != b.span.file) return a.span.file < b.span.file;
    return a.span.begin < b.span.begin;
  });
  size_t printed = 0;
  for (const Diagnostic& d : diags_) {
    if (printed++ == kMaxPrinted) {
      std::fprintf(out, "asthra: too many diagnostics; stopping after %zu\n", kMaxPrinted);
      break;
    }
    std::fputs(format(d, color).c_str(), out);
  }
  diags_.clear();
}

}  // namespace asthra
