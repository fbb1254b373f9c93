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

// Terminal columns a code point takes: 2 for East Asian wide and
// full-width characters and emoji, 0 for combining marks, zero-width
// characters and variation selectors, else 1 (a small wcwidth).
static uint32_t columns_of(uint32_t cp) {
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F)) return 0;
  bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
              (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
              (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
              (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
  return wide ? 2 : 1;
}

// The terminal columns `text` (UTF-8, possibly malformed) takes.
static uint32_t columns_of(std::string_view text) {
  uint32_t columns = 0;
  for (size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
    if (i + n > text.size()) n = 1;
    uint32_t cp = n == 1 ? b : b & (0x7Fu >> n);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    columns += columns_of(cp);
    i += n;
  }
  return columns;
}

// A long line is shown as a window of about this many bytes either side of
// the span, with "..." where text was left out.
constexpr size_t kContextBytes = 80;

// One location: "FILE:LINE:COL: <head>" then the source line and a caret.
static void append_location(std::string& out, const SourceFile& file, Span span,
                            const std::string& head, bool color) {
  LineCol lc = file.line_col(span.begin);
  out += fmt::format("{}{}:{}:{}: {}{}\n", color ? "\033[1m" : "", file.path(), lc.line, lc.col,
                     head, color ? "\033[0m" : "");
  std::string_view line = file.line_text(lc.line);
  // The span's bytes on this line.
  size_t from = std::min<size_t>(span.begin - static_cast<size_t>(line.data() - file.text().data()), line.size());
  size_t to = std::min<size_t>(span.end > span.begin ? from + (span.end - span.begin) : from, line.size());
  auto is_continuation = [&](size_t i) { return i < line.size() && (line[i] & 0xC0) == 0x80; };
  size_t first = from > 2 * kContextBytes ? from - kContextBytes : 0;
  while (is_continuation(first)) ++first;
  size_t shown_to = std::min(to, from + 2 * kContextBytes);  // a long span shows its start
  while (is_continuation(shown_to)) ++shown_to;
  size_t last = line.size() - shown_to > 2 * kContextBytes ? shown_to + kContextBytes : line.size();
  while (is_continuation(last)) ++last;
  std::string prefix = first > 0 ? "..." : "", suffix = last < line.size() ? "..." : "";
  std::string gutter = std::to_string(lc.line);
  out += fmt::format(" {} | {}", gutter, prefix);
  // Tabs and other control bytes (NUL included) are shown as single spaces
  // so the caret stays aligned and the terminal sees no control codes.
  size_t shown = out.size();
  out += line.substr(first, last - first);
  std::replace_if(
      out.begin() + static_cast<std::ptrdiff_t>(shown), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }, ' ');
  out += suffix;
  out += '\n';
  out += ' ';
  out.append(gutter.size(), ' ');
  out += " | ";
  // The caret sits under the span's characters, counted in terminal
  // columns (wide characters take two), one column at least.
  uint32_t width = std::max<uint32_t>(1, columns_of(line.substr(from, shown_to - from)));
  out.append(prefix.size() + columns_of(line.substr(first, from - first)), ' ');
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
