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

// `dropped_text`, when given, tells whether characters that begin no token
// were dropped (E0001, E0007): the tokens then no longer say all the text
// did, and checking their meaning would report mistakes that are not there.
std::vector<Token> lex(const SourceManager& sources, uint32_t file, Diagnostics& diags,
                       bool* dropped_text = nullptr);

}  // namespace asthra
