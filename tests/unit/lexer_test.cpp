// Lexer: every token class of language.md "Lexical", BOM/CRLF, and the
// malformed inputs that must give a diagnostic rather than a crash.
#include <gtest/gtest.h>

#include "frontend_helpers.h"

namespace asthra {
namespace {

using testing::tokens_of;

std::vector<Tok> kinds(const std::vector<Token>& toks) {
  std::vector<Tok> out;
  for (const Token& t : toks) out.push_back(t.kind);
  return out;
}

TEST(Lexer, KeywordsIdentifiersAndPunctuation) {
  auto toks = tokens_of("fn main() -> void { let mut x: i32 = 0x1F; x += 2; }");
  std::vector<Tok> want = {Tok::KwFn, Tok::Ident, Tok::LParen, Tok::RParen, Tok::Arrow, Tok::KwVoid,
                           Tok::LBrace, Tok::KwLet, Tok::KwMut, Tok::Ident, Tok::Colon, Tok::Ident,
                           Tok::Eq, Tok::Int, Tok::Semi, Tok::Ident, Tok::PlusEq, Tok::Int, Tok::Semi,
                           Tok::RBrace, Tok::Eof};
  EXPECT_EQ(kinds(toks), want);
  EXPECT_EQ(toks[13].text, "0x1F");
}

TEST(Lexer, NumbersInEveryBase) {
  auto toks = tokens_of("10 0x10 0b101 0o17 1.5 2. 1e10 2.5e-3 t.0.1");
  EXPECT_EQ(toks[0].kind, Tok::Int);
  EXPECT_EQ(toks[3].text, "0o17");
  EXPECT_EQ(toks[4].kind, Tok::Float);
  EXPECT_EQ(toks[5].kind, Tok::Float);
  EXPECT_EQ(toks[5].text, "2.");
  EXPECT_EQ(toks[6].kind, Tok::Float);
  EXPECT_EQ(toks[7].kind, Tok::Float);
  // Tuple access `t.0.1` is two integer fields, not a float.
  std::vector<Tok> all = kinds(toks);
  std::vector<Tok> tail(all.begin() + 8, all.end());
  EXPECT_EQ(tail, (std::vector<Tok>{Tok::Ident, Tok::Dot, Tok::Int, Tok::Dot, Tok::Int, Tok::Eof}));
}

TEST(Lexer, StringEscapesAreDecoded) {
  auto toks = tokens_of(R"("a\nb\t\"q\"\\ \0 \u{e9}")");
  ASSERT_EQ(toks[0].kind, Tok::String);
  EXPECT_EQ(toks[0].text, std::string("a\nb\t\"q\"\\ \0 \xC3\xA9", 13));
}

TEST(Lexer, MultiLineAndRawStrings) {
  auto toks = tokens_of("\"\"\"line1\nline2\\t\"\"\" r\"\"\"raw\\n\"\"\"");
  EXPECT_EQ(toks[0].text, "line1\nline2\t");
  EXPECT_EQ(toks[1].text, "raw\\n");
}

TEST(Lexer, CharactersIncludingMultiByte) {
  auto toks = tokens_of("'a' '\\n' 'é'");
  EXPECT_EQ(toks[0].text, "a");
  EXPECT_EQ(toks[1].text, "\n");
  EXPECT_EQ(toks[2].text, "\xC3\xA9");
}

TEST(Lexer, AnnotationsStartWithHashBracket) {
  auto toks = tokens_of("#[ownership(c)]");
  EXPECT_EQ(kinds(toks), (std::vector<Tok>{Tok::HashBracket, Tok::Ident, Tok::LParen, Tok::Ident,
                                           Tok::RParen, Tok::RBracket, Tok::Eof}));
}

TEST(Lexer, CommentsNestAndAreSkipped) {
  auto toks = tokens_of("a // line\n/* block /* nested */ still */ b");
  EXPECT_EQ(kinds(toks), (std::vector<Tok>{Tok::Ident, Tok::Ident, Tok::Eof}));
  EXPECT_TRUE(toks[1].at_line_start);
}

TEST(Lexer, BomAndCrlfAreAccepted) {
  std::vector<std::string> codes;
  auto toks = tokens_of("\xEF\xBB\xBFlet x = 1;\r\nlet y = 2;\r\n", &codes);
  EXPECT_TRUE(codes.empty());
  EXPECT_EQ(toks.size(), 11u);
}

TEST(Lexer, MalformedInputIsDiagnosed) {
  struct Case { std::string text; const char* code; };
  for (const Case& c : {Case{"let s = \"abc", "E0002"}, Case{"/* never closed", "E0003"},
                        Case{"\"bad \\q escape\"", "E0004"}, Case{"'ab'", "E0006"}, Case{"''", "E0006"},
                        Case{"let x = 1 $ 2;", "E0001"}, Case{std::string("a\0b", 3), "E0007"},
                        Case{"\"\xFF\"", "E0007"}}) {
    std::vector<std::string> codes;
    tokens_of(c.text, &codes);
    ASSERT_FALSE(codes.empty()) << c.text;
    EXPECT_EQ(codes[0], c.code) << c.text;
  }
}

TEST(Lexer, NulByteIsReportedNotTruncated) {
  std::vector<std::string> codes;
  auto toks = tokens_of(std::string("a \0 b", 5), &codes);
  EXPECT_EQ(codes, std::vector<std::string>{"E0007"});
  EXPECT_EQ(toks.back().kind, Tok::Eof);
}

}  // namespace
}  // namespace asthra
