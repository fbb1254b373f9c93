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

// Wide characters (CJK, emoji) take two terminal columns: the caret after
// and under them is placed by columns, while the reported column still
// counts characters (as rustc's does).
TEST(Diagnostics, CaretsCountTerminalColumns) {
  SourceManager sources;
  // let 名前 = "文字"; x
  uint32_t file = sources.add("w.asthra", "let \xE5\x90\x8D\xE5\x89\x8D = \"\xE6\x96\x87\xE5\xAD\x97\"; x\n");
  Diagnostics diags(sources);
  diags.report(DiagCode::E0103, Span{file, 13, 21}, "the string");
  diags.report(DiagCode::E0101, Span{file, 23, 24}, "x");
  std::vector<std::string> lines = lines_of(printed(diags));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "w.asthra:1:10: error[E0103]: the string");
  EXPECT_EQ(lines[2], "   |            ^^^^^^");
  EXPECT_EQ(lines[3], "w.asthra:1:16: error[E0101]: x");
  EXPECT_EQ(lines[5], "   |                    ^");
}

// A long line is shown as a window around the span, "..." marking what was
// left out, and a long span shows its start.
TEST(Diagnostics, LongLinesAreShownAroundTheSpan) {
  SourceManager sources;
  std::string text = std::string(1000, 'a') + " bad " + std::string(1000, 'b') + "\n";
  uint32_t file = sources.add("l.asthra", text);
  Diagnostics diags(sources);
  diags.report(DiagCode::E0101, Span{file, 1001, 1004}, "bad");
  diags.report(DiagCode::E0103, Span{file, 0, 2005}, "all of it");
  std::vector<std::string> lines = lines_of(printed(diags));
  ASSERT_EQ(lines.size(), 6u);
  // Printed by position: the long span first.
  EXPECT_EQ(lines[1], " 1 | " + std::string(240, 'a') + "...");
  EXPECT_EQ(lines[2], "   | " + std::string(160, '^'));
  EXPECT_EQ(lines[4], " 1 | ..." + std::string(79, 'a') + " bad " + std::string(79, 'b') + "...");
  EXPECT_EQ(lines[5], "   | " + std::string(3 + 80, ' ') + "^^^");
}

}  // namespace
}  // namespace asthra
