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

std::vector<Token> lex(const SourceManager& sources, uint32_t file, Diagnostics& diags);

}  // namespace asthra
