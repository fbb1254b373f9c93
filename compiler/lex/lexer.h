// The lexer: source text -> tokens (language.md "Lexical").
//
// It accepts a UTF-8 BOM and CRLF line ends, decodes string and character
// escapes, and reports every malformed token (E00xx) while still producing
// a token so the parser can go on.  The result always ends with Tok::Eof.
#pragma once
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/lex/token.h"

namespace asthra {

// `lost_text`, when given, tells whether the tokens no longer say all the
// text did: a character that begins no token was dropped (E0001, E0007 at a
// token's start), or an unterminated literal or comment swallowed the rest
// of a line or file (E0002, E0003).  Checking their meaning would then
// report mistakes that are not there; a malformed escape, number or
// character literal (E0004-E0006) is still a token and loses nothing.
std::vector<Token> lex(const SourceManager& sources, uint32_t file, Diagnostics& diags,
                       bool* lost_text = nullptr);

}  // namespace asthra
