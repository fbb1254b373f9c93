// Diagnostics: the order they are printed in, the cap on how many are
// printed, and the source line with its caret.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"

namespace asthra {
namespace {

// What Diagnostics::print writes, without color.
std::string printed(Diagnostics& diags) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  diags.print(out, false);
  std::fclose(out);
  std::string text(buf, len);
  std::free(buf);
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Diagnostics, PrintedByPositionThenInReportOrderAndAtMost200) {
  SourceManager sources;
  std::string text;
  std::vector<uint32_t> starts;
  for (int i = 0; i < 150; ++i) {
    starts.push_back(static_cast<uint32_t>(text.size()));
    text += "line " + std::to_string(i) + "\n";
  }
  uint32_t file = sources.add("t.asthra", text);
  Diagnostics diags(sources);
  // Back to front, two at each of 150 positions: 300 in all.
  for (int i = 149; i >= 0; --i) {
    Span at{file, starts[i], starts[i] + 4};
    diags.report(DiagCode::E0103, at, "first " + std::to_string(i));
    diags.report(DiagCode::E0103, at, "second " + std::to_string(i));
  }
  std::vector<std::string> heads;
  std::string last;
  for (const std::string& line : lines_of(printed(diags))) {
    if (line.find("error[E0103]") != std::string::npos) heads.push_back(line);
    last = line;
  }
  ASSERT_EQ(heads.size(), 200u);
  for (size_t i = 0; i < heads.size(); ++i) {
    int pos = static_cast<int>(i / 2);
    std::string want = "t.asthra:" + std::to_string(pos + 1) + ":1: error[E0103]: " +
                       (i % 2 == 0 ? "first " : "second ") + std::to_string(pos);
    EXPECT_EQ(heads[i], want);
  }
  EXPECT_EQ(last, "asthra: too many diagnostics; stopping after 200");
  EXPECT_EQ(printed(diags), "");  // printing forgets them
}

TEST(Diagnostics, FewerThanTheCapAreAllPrintedWithoutTheNotice) {
  SourceManager sources;
  uint32_t file = sources.add("t.asthra", "a\nb\n");
  Diagnostics diags(sources);
  diags.report(DiagCode::E0103, Span{file, 2, 3}, "on b");
  diags.report(DiagCode::E0103, Span{file, 0, 1}, "on a");
  EXPECT_EQ(printed(diags),
            "t.asthra:1:1: error[E0103]: on a\n"
            " 1 | a\n"
            "   | ^\n"
            "t.asthra:2:1: error[E0103]: on b\n"
            " 2 | b\n"
            "   | ^\n");
}

TEST(Diagnostics, ControlBytesInTheLineAreShownAsSpaces) {
  SourceManager sources;
  std::string text = "let\tx = 1;\x7f\r\nnext\n";
  text.insert(text.begin() + 5, '\0');  // "let\tx\0 = 1;"
  uint32_t file = sources.add("t.asthra", text);
  Diagnostics diags(sources);
  diags.report(DiagCode::E0103, Span{file, 4, 5}, "here").help("fix it");
  EXPECT_EQ(printed(diags),
            "t.asthra:1:5: error[E0103]: here\n"
            " 1 | let x  = 1; \n"
            "   |     ^\n"
            "  = help: fix it\n");
}

// Columns count characters, not bytes, so the caret stays under the text
// after non-ASCII characters; a file's BOM is neither shown nor counted.
TEST(Diagnostics, ColumnsAndCaretsCountCharacters) {
  SourceManager sources;
  uint32_t file = sources.add("u.asthra", "\xEF\xBB\xBFlet s = \"\xC3\xA9\xC3\xA9\"; let x = \"\xC3\xA9t\xC3\xA9\";\n");
  Diagnostics diags(sources);
  diags.report(DiagCode::E0103, Span{file, 27, 34}, "here");  // "été" with its quotes
  EXPECT_EQ(printed(diags),
            "u.asthra:1:23: error[E0103]: here\n"
            " 1 | let s = \"\xC3\xA9\xC3\xA9\"; let x = \"\xC3\xA9t\xC3\xA9\";\n"
            "   |                       ^^^^^\n");
}

}  // namespace
}  // namespace asthra
