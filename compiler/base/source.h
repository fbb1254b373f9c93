// Source files and spans.
//
// Every phase names source text by a Span: a file id and a byte range.  Line
// and column are computed only when a diagnostic is printed, from the line
// table each SourceFile builds once.  Columns count bytes from 1 (what gcc
// and clang print), so a caret lines up under the source line as printed.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace asthra {

struct Span {
  uint32_t file = 0;
  uint32_t begin = 0;  // byte offset of the first byte
  uint32_t end = 0;    // byte offset one past the last byte
};

struct LineCol {
  uint32_t line;  // 1-based
  uint32_t col;   // 1-based, in characters (UTF-8 code points; a BOM is not one)
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);
  const std::string& path() const { return path_; }
  std::string_view text() const { return text_; }
  LineCol line_col(uint32_t offset) const;
  // The text of a 1-based line without its line terminator (nor the BOM
  // a file may start with).
  std::string_view line_text(uint32_t line) const;
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

class SourceManager {
 public:
  uint32_t add(std::string path, std::string text);
  const SourceFile& file(uint32_t id) const { return *files_.at(id); }
  size_t size() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace asthra
