// Tokens: what the lexer produces and the parser consumes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/source.h"

namespace asthra {

#define ASTHRA_KEYWORDS(X)                                                            \
  X(As, "as") X(Fn, "fn") X(Let, "let") X(Const, "const") X(Mut, "mut") X(If, "if")   \
  X(Else, "else") X(Enum, "enum") X(Match, "match") X(Return, "return")               \
  X(True, "true") X(False, "false") X(Struct, "struct") X(Extern, "extern")           \
  X(Spawn, "spawn") X(SpawnWithHandle, "spawn_with_handle") X(Unsafe, "unsafe")       \
  X(Package, "package") X(Import, "import") X(For, "for") X(In, "in")                 \
  X(While, "while") X(Await, "await") X(Break, "break") X(Continue, "continue")       \
  X(Sizeof, "sizeof") X(Pub, "pub") X(Priv, "priv") X(Impl, "impl") X(Self, "self")   \
  X(Void, "void") X(None, "none") X(Result, "Result") X(Option, "Option")             \
  X(Trait, "trait") X(Try, "try")

enum class Tok : uint8_t {
  Eof,
  Ident,
  Int,
  Float,
  String,
  Char,
#define ASTHRA_KW_ENUM(name, text) Kw##name,
  ASTHRA_KEYWORDS(ASTHRA_KW_ENUM)
#undef ASTHRA_KW_ENUM
  // punctuation
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, HashBracket,  // #[
  Comma, Semi, Colon, ColonColon, Dot, Arrow, FatArrow,
  Plus, Minus, Star, Slash, Percent, Amp, Pipe, Caret, Tilde, Bang,
  AmpAmp, PipePipe, Shl, Shr, Eq, EqEq, BangEq, Lt, Le, Gt, Ge,
  PlusEq, MinusEq, StarEq, SlashEq, PercentEq,
};

const char* tok_name(Tok t);  // for messages: "`fn`", "identifier", ...

struct Token {
  Tok kind;
  Span span;
  // Decoded value of String and Char literals (UTF-8); spelling otherwise.
  std::string text;
  // Set when a newline (or the start of the file) precedes this token; used to
  // report a missing `;` at the end of the previous line.
  bool at_line_start = false;
  // Bytes before the first token of this token's line (its indentation), so
  // the parser can tell which `{` a misplaced `}` was meant for.
  uint32_t line_indent = 0;
  // An unterminated literal (it ran to the end of the line or file), or the
  // end of file after an unterminated block comment.
  bool malformed = false;
};

}  // namespace asthra
