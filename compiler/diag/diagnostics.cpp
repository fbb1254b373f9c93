#include "compiler/diag/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <numeric>

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
  if (diag_info(code).severity == Severity::Error) ++error_reports_;
  if (muted_ == code) return DiagBuilder(nullptr);
  if (diags_.size() < kMaxKept && !reported_.emplace(code, span.file, span.begin, span.end, message).second)
    return DiagBuilder(nullptr);
  if (diag_info(code).severity == Severity::Error) {
    ++errors_;
  } else {
    ++warnings_;
  }
  // Hostile input can produce millions: keep what can be shown, count the rest.
  if (diags_.size() >= kMaxKept) return DiagBuilder(nullptr);
  diags_.push_back(Diagnostic{code, span, std::move(message), {}, {}});
  if (context_note_) diags_.back().notes.push_back(*context_note_);
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
  size_t shown = out.size();
  out += line;
  std::replace_if(
      out.begin() + static_cast<std::ptrdiff_t>(shown), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }, ' ');
  out += '\n';
  out += ' ';
  out.append(gutter.size(), ' ');
  out += " | ";
  // The caret covers the span's characters on this line (one at least;
  // columns count characters, so it stays under them).
  size_t from = std::min<size_t>(span.begin - static_cast<size_t>(line.data() - file.text().data()), line.size());
  size_t to = std::min<size_t>(span.end > span.begin ? from + (span.end - span.begin) : from, line.size());
  uint32_t width = static_cast<uint32_t>(std::count_if(line.begin() + static_cast<std::ptrdiff_t>(from),
                                                       line.begin() + static_cast<std::ptrdiff_t>(to),
                                                       [](char c) { return (c & 0xC0) != 0x80; }));
  if (width == 0) width = 1;
  out.append(lc.col - 1, ' ');
  if (color) out += "\033[1;32m";
  out.append(width, '^');
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
  // By position; diagnostics at the same position in the order they were
  // reported.  Only the first kMaxPrinted are shown, so only those are put
  // in order (of up to kMaxKept).
  std::vector<uint32_t> order(diags_.size());
  std::iota(order.begin(), order.end(), 0u);
  size_t shown = std::min(diags_.size(), kMaxPrinted);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                    [&](uint32_t a, uint32_t b) {
                      const Span& sa = diags_[a].span;
                      const Span& sb = diags_[b].span;
                      if (sa.file != sb.file) return sa.file < sb.file;
                      if (sa.begin != sb.begin) return sa.begin < sb.begin;
                      return a < b;
                    });
  for (size_t i = 0; i < shown; ++i) std::fputs(format(diags_[order[i]], color).c_str(), out);
  if (diags_.size() > kMaxPrinted)
    std::fprintf(out, "asthra: too many diagnostics; stopping after %zu\n", kMaxPrinted);
  diags_.clear();
}

}  // namespace asthra
