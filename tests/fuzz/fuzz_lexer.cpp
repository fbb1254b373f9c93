// libFuzzer target: the lexer alone, on arbitrary bytes.
//
// Beyond "no crash, no sanitizer report", it checks the lexer's contract
// (compiler/lex/lexer.h): the tokens end with exactly one Eof, their spans lie
// inside the text, in order and without overlap, and every diagnostic's span
// lies inside the text too.  Diagnostics are rendered, so the line table and
// the caret drawing see the same odd bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "compiler/diag/diagnostics.h"
#include "compiler/lex/lexer.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_lexer: broken lexer invariant: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  asthra::SourceManager sm;
  uint32_t file = sm.add("fuzz.asthra", std::string(reinterpret_cast<const char*>(data), size));
  asthra::Diagnostics diags(sm);
  std::vector<asthra::Token> tokens = asthra::lex(sm, file, diags);
  require(!tokens.empty() && tokens.back().kind == asthra::Tok::Eof, "the tokens end with Eof");
  uint32_t last_end = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const asthra::Token& t = tokens[i];
    require(t.kind != asthra::Tok::Eof || i + 1 == tokens.size(), "only the last token is Eof");
    require(t.span.file == file, "token spans name the file");
    require(t.span.begin <= t.span.end && t.span.end <= size, "token spans lie inside the text");
    require(t.span.begin >= last_end, "token spans are ordered and disjoint");
    last_end = t.span.end;
  }
  for (const asthra::Diagnostic& d : diags.all())
    require(d.span.begin <= d.span.end && d.span.end <= size, "diagnostic spans lie inside the text");
  asthra::fuzz::print_diagnostics(diags, size % 2 == 0);
  return 0;
}
