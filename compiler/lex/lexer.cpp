#include "compiler/lex/lexer.h"

#include <fmt/format.h>

#include <unordered_map>

namespace asthra {

const char* tok_name(Tok t) {
  switch (t) {
    case Tok::Eof: return "end of file";
    case Tok::Ident: return "identifier";
    case Tok::Int: return "integer literal";
    case Tok::Float: return "float literal";
    case Tok::String: return "string literal";
    case Tok::Char: return "character literal";
#define ASTHRA_KW_NAME(name, text) \
  case Tok::Kw##name: return "`" text "`";
      ASTHRA_KEYWORDS(ASTHRA_KW_NAME)
#undef ASTHRA_KW_NAME
    case Tok::LParen: return "`(`";
    case Tok::RParen: return "`)`";
    case Tok::LBrace: return "`{`";
    case Tok::RBrace: return "`}`";
    case Tok::LBracket: return "`[`";
    case Tok::RBracket: return "`]`";
    case Tok::HashBracket: return "`#[`";
    case Tok::Comma: return "`,`";
    case Tok::Semi: return "`;`";
    case Tok::Colon: return "`:`";
    case Tok::ColonColon: return "`::`";
    case Tok::Dot: return "`.`";
    case Tok::Arrow: return "`->`";
    case Tok::FatArrow: return "`=>`";
    case Tok::Plus: return "`+`";
    case Tok::Minus: return "`-`";
    case Tok::Star: return "`*`";
    case Tok::Slash: return "`/`";
    case Tok::Percent: return "`%`";
    case Tok::Amp: return "`&`";
    case Tok::Pipe: return "`|`";
    case Tok::Caret: return "`^`";
    case Tok::Tilde: return "`~`";
    case Tok::Bang: return "`!`";
    case Tok::AmpAmp: return "`&&`";
    case Tok::PipePipe: return "`||`";
    case Tok::Shl: return "`<<`";
    case Tok::Shr: return "`>>`";
    case Tok::Eq: return "`=`";
    case Tok::EqEq: return "`==`";
    case Tok::BangEq: return "`!=`";
    case Tok::Lt: return "`<`";
    case Tok::Le: return "`<=`";
    case Tok::Gt: return "`>`";
    case Tok::Ge: return "`>=`";
    case Tok::PlusEq: return "`+=`";
    case Tok::MinusEq: return "`-=`";
    case Tok::StarEq: return "`*=`";
    case Tok::SlashEq: return "`/=`";
    case Tok::PercentEq: return "`%=`";
  }
  return "token";
}

namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

// Length of the UTF-8 sequence at s[i], or 0 when it is malformed.
size_t utf8_length(std::string_view s, size_t i, uint32_t* scalar) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (b < 0x80) { *scalar = b; return 1; }
  if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; }
  else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; }
  else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *scalar = cp;
  return n;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  Lexer(const SourceManager& sources, uint32_t file, Diagnostics& diags)
      : file_(file), src_(sources.file(file).text()), diags_(diags) {}

  std::vector<Token> run() {
    // Source text averages 2-3 bytes a token (the golden programs: 2.3), so
    // this is usually enough and seldom much more: a large reservation that
    // is never written is never backed by memory.
    tokens_.reserve(src_.size() / 2 + 1);
    if (src_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    bool line_start = true;
    uint32_t line_indent = 0;
    while (true) {
      line_start |= skip_trivia();
      if (pos_ >= src_.size()) break;
      size_t before = tokens_.size();
      lex_token();
      if (tokens_.size() > before) {
        Token& t = tokens_.back();
        if (line_start) {
          size_t line_begin = src_.rfind('\n', t.span.begin == 0 ? 0 : t.span.begin - 1);
          line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
          line_indent = static_cast<uint32_t>(t.span.begin - line_begin);
        }
        t.at_line_start = line_start;
        t.line_indent = line_indent;
        line_start = false;
      }
    }
    tokens_.push_back(Token{Tok::Eof, span(src_.size(), src_.size()), "", line_start});
    tokens_.back().malformed = comment_swallowed_the_rest_;
    return std::move(tokens_);
  }

  bool lost_text() const { return lost_text_; }

 private:
  Span span(size_t b, size_t e) const {
    return Span{file_, static_cast<uint32_t>(b), static_cast<uint32_t>(e)};
  }
  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
  void add(Tok kind, size_t begin, std::string text = {}) {
    tokens_.push_back(Token{kind, span(begin, pos_), std::move(text), false});
  }
  void error(DiagCode code, size_t b, size_t e, std::string msg, std::string help = {}) {
    auto d = diags_.report(code, span(b, e), std::move(msg));
    if (!help.empty()) d.help(std::move(help));
  }

  // Skips whitespace and comments; returns whether a newline was crossed.
  bool skip_trivia() {
    bool newline = false;
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '\n') { newline = true; ++pos_; }
      else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') { ++pos_; }
      else if (c == '/' && peek(1) == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') check_utf8_and_advance();
      } else if (c == '/' && peek(1) == '*') {
        size_t begin = pos_;
        pos_ += 2;
        int depth = 1;
        while (pos_ < src_.size() && depth > 0) {
          if (src_[pos_] == '/' && peek(1) == '*') { depth++; pos_ += 2; }
          else if (src_[pos_] == '*' && peek(1) == '/') { depth--; pos_ += 2; }
          else { if (src_[pos_] == '\n') newline = true; check_utf8_and_advance(); }
        }
        if (depth > 0) {
          error(DiagCode::E0003, begin, begin + 2, "unterminated block comment", "close it with `*/`");
          lost_text_ = true;
          comment_swallowed_the_rest_ = true;
        }
      } else {
        break;
      }
    }
    return newline;
  }

  // Advances over one (possibly multi-byte) character inside a comment or
  // literal, reporting bytes that are not UTF-8 and NUL bytes.
  uint32_t check_utf8_and_advance() {
    uint32_t cp = 0;
    size_t n = utf8_length(src_, pos_, &cp);
    if (n == 0) {
      error(DiagCode::E0007, pos_, pos_ + 1, fmt::format("invalid UTF-8 byte 0x{:02X}", static_cast<unsigned char>(src_[pos_])),
            "Asthra source files must be UTF-8");
      ++pos_;
      return 0xFFFD;
    }
    if (cp == 0) error(DiagCode::E0007, pos_, pos_ + 1, "NUL byte in source file");
    pos_ += n;
    return cp;
  }

  void lex_token() {
    size_t begin = pos_;
    char c = src_[pos_];
    if (c == 'r' && peek(1) == '"') { lex_string(true); return; }
    if (is_ident_start(c)) {
      while (pos_ < src_.size() && is_ident_char(src_[pos_])) ++pos_;
      std::string text(src_.substr(begin, pos_ - begin));
      static const std::unordered_map<std::string_view, Tok> kKeywords = {
#define ASTHRA_KW_MAP(name, spelling) {spelling, Tok::Kw##name},
          ASTHRA_KEYWORDS(ASTHRA_KW_MAP)
#undef ASTHRA_KW_MAP
      };
      auto it = kKeywords.find(text);
      add(it == kKeywords.end() ? Tok::Ident : it->second, begin, std::move(text));
      return;
    }
    if (is_digit(c)) { lex_number(); return; }
    if (c == '"') { lex_string(false); return; }
    if (c == '\'') { lex_char(); return; }
    ++pos_;
    auto two = [&](char next, Tok yes, Tok no) {
      if (peek() == next) { ++pos_; add(yes, begin); } else { add(no, begin); }
    };
    switch (c) {
      case '(': add(Tok::LParen, begin); return;
      case ')': add(Tok::RParen, begin); return;
      case '{': add(Tok::LBrace, begin); return;
      case '}': add(Tok::RBrace, begin); return;
      case '[': add(Tok::LBracket, begin); return;
      case ']': add(Tok::RBracket, begin); return;
      case ',': add(Tok::Comma, begin); return;
      case ';': add(Tok::Semi, begin); return;
      case '~': add(Tok::Tilde, begin); return;
      case '^': add(Tok::Caret, begin); return;
      case '#':
        if (peek() == '[') { ++pos_; add(Tok::HashBracket, begin); return; }
        break;
      case ':': two(':', Tok::ColonColon, Tok::Colon); return;
      case '.': add(Tok::Dot, begin); return;
      case '+': two('=', Tok::PlusEq, Tok::Plus); return;
      case '*': two('=', Tok::StarEq, Tok::Star); return;
      case '/': two('=', Tok::SlashEq, Tok::Slash); return;
      case '%': two('=', Tok::PercentEq, Tok::Percent); return;
      case '-':
        if (peek() == '>') { ++pos_; add(Tok::Arrow, begin); return; }
        two('=', Tok::MinusEq, Tok::Minus);
        return;
      case '=':
        if (peek() == '>') { ++pos_; add(Tok::FatArrow, begin); return; }
        two('=', Tok::EqEq, Tok::Eq);
        return;
      case '!': two('=', Tok::BangEq, Tok::Bang); return;
      case '&': two('&', Tok::AmpAmp, Tok::Amp); return;
      case '|': two('|', Tok::PipePipe, Tok::Pipe); return;
      case '<':
        if (peek() == '<') { ++pos_; add(Tok::Shl, begin); return; }
        two('=', Tok::Le, Tok::Lt);
        return;
      case '>':
        // `>>` is lexed as two `>` so that `Option<Option<i32>>` parses; the
        // parser joins adjacent `>` `>` into a shift.
        two('=', Tok::Ge, Tok::Gt);
        return;
      default:
        break;
    }
    // Not the start of any token. Full-width punctuation (a CJK input
    // method's) is reported and read as the ASCII it looks like; any other
    // character is reported and dropped.
    pos_ = begin;
    uint32_t cp = check_utf8_and_advance();
    struct Lookalike {
      uint32_t cp;
      Tok tok;
      const char* ascii;
    };
    static const Lookalike kFullWidth[] = {
        {0xFF1B, Tok::Semi, ";"},   {0xFF0C, Tok::Comma, ","},  {0xFF1A, Tok::Colon, ":"},
        {0xFF08, Tok::LParen, "("}, {0xFF09, Tok::RParen, ")"}, {0xFF5B, Tok::LBrace, "{"},
        {0xFF5D, Tok::RBrace, "}"}, {0xFF3B, Tok::LBracket, "["}, {0xFF3D, Tok::RBracket, "]"},
        {0xFF1D, Tok::Eq, "="}};
    for (const Lookalike& l : kFullWidth) {
      if (cp != l.cp) continue;
      std::string shown;
      append_utf8(shown, cp);
      error(DiagCode::E0001, begin, pos_, fmt::format("unexpected character `{}`", shown),
            fmt::format("this is a full-width `{}`: write the ASCII `{}`", shown, l.ascii));
      add(l.tok, begin);
      return;
    }
    lost_text_ = true;
    if (cp != 0 && cp != 0xFFFD) {
      // A run of the same stray character is one mistake, one diagnostic.
      size_t run_end = pos_;
      while (run_end < src_.size() && src_.compare(run_end, pos_ - begin, src_, begin, pos_ - begin) == 0)
        run_end += pos_ - begin;
      size_t count = (run_end - begin) / (pos_ - begin);
      pos_ = run_end;
      std::string shown;
      if (cp >= 0x20 && cp != 0x7F) append_utf8(shown, cp);
      std::string what = shown.empty() ? fmt::format("U+{:04X}", cp) : fmt::format("`{}`", shown);
      bool curly_quote = cp == 0x201C || cp == 0x201D || cp == 0x201E || cp == 0x2018 || cp == 0x2019;
      const char* help = cp == '?'   ? "Asthra has no `?` operator: `try e` unwraps `Ok`/`Some` or returns the `Err`/`None`"
                         : cp == '`' ? "strings are written `\"...\"`, or `\"\"\"...\"\"\"` across lines"
                         : curly_quote ? "this is a typographic quote: strings are written with the ASCII `\"`, "
                                         "characters with `'`"
                                     : "";
      error(DiagCode::E0001, begin, pos_,
            count == 1 ? fmt::format("unexpected character {}", what)
                       : fmt::format("unexpected character {} ({} times in a row)", what, count),
            help);
    }
  }

  void lex_number() {
    size_t begin = pos_;
    bool is_float = false;
    bool after_dot = !tokens_.empty() && tokens_.back().kind == Tok::Dot;
    if (src_[pos_] == '0' && (peek(1) == 'x' || peek(1) == 'b' || peek(1) == 'o')) {
      pos_ += 2;
      while (pos_ < src_.size() && (is_ident_char(src_[pos_]))) ++pos_;
    } else {
      while (pos_ < src_.size() && (is_digit(src_[pos_]) || src_[pos_] == '_')) ++pos_;
      if (!after_dot && peek() == '.' && peek(1) != '.' && !is_ident_start(peek(1))) {
        is_float = true;
        ++pos_;
        while (pos_ < src_.size() && (is_digit(src_[pos_]) || src_[pos_] == '_')) ++pos_;
      }
      if (!after_dot && (peek() == 'e' || peek() == 'E') &&
          (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
        is_float = true;
        pos_ += 2;
        while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
      }
      // A letter glued to a number (`12abc`), or a second fraction
      // (`1.5.3`, nothing can follow a float literal with `.` and a digit),
      // makes a malformed literal.
      while (pos_ < src_.size() && (is_ident_char(src_[pos_]) || (is_float && src_[pos_] == '.' && is_digit(peek(1)))))
        ++pos_;
    }
    std::string text(src_.substr(begin, pos_ - begin));
    add(is_float ? Tok::Float : Tok::Int, begin, std::move(text));
  }

  // Decodes one escape after a backslash at pos_-1; returns false if invalid.
  bool decode_escape(std::string& out) {
    size_t begin = pos_ - 1;
    char e = peek();
    ++pos_;
    switch (e) {
      case 'n': out += '\n'; return true;
      case 't': out += '\t'; return true;
      case 'r': out += '\r'; return true;
      case '\\': out += '\\'; return true;
      case '"': out += '"'; return true;
      case '\'': out += '\''; return true;
      case '0': out += '\0'; return true;
      case 'u':
        if (peek() == '{') {
          size_t close = src_.find('}', pos_);
          if (close != std::string_view::npos && close - pos_ <= 7 && close > pos_ + 1) {
            uint32_t cp = 0;
            bool ok = true;
            for (size_t i = pos_ + 1; i < close; ++i) {
              char h = src_[i];
              int v = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
              if (v < 0) { ok = false; break; }
              cp = cp * 16 + static_cast<uint32_t>(v);
            }
            if (ok && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
              append_utf8(out, cp);
              pos_ = close + 1;
              return true;
            }
          }
        }
        break;
      default:
        break;
    }
    if (e == '\n' || e == '\0') --pos_;
    error(DiagCode::E0004, begin, pos_, "invalid escape sequence",
          "valid escapes are \\n \\t \\r \\\\ \\\" \\' \\0 and \\u{XXXX}");
    return false;
  }

  // String <- '"' ... '"' / '"""' ... '"""' (escapes decoded), and the raw
  // forms 'r"..."' / 'r"""..."""' (no escapes).
  void lex_string(bool raw) {
    size_t begin = pos_;
    bool unterminated = false;
    if (raw) ++pos_;  // r
    bool triple = src_.substr(pos_, 3) == "\"\"\"";
    size_t quote = triple ? 3 : 1;
    pos_ += quote;
    std::string value;
    while (true) {
      if (pos_ >= src_.size() || (!triple && src_[pos_] == '\n')) {
        error(DiagCode::E0002, begin, begin + 1, raw ? "unterminated raw string literal" : "unterminated string literal",
              triple ? "close it with `\"\"\"`" : "close it with `\"` (use `\"\"\"` for text spanning lines)");
        unterminated = true;
        lost_text_ = true;
        break;
      }
      if (triple ? src_.substr(pos_, 3) == "\"\"\"" : src_[pos_] == '"') {
        pos_ += quote;
        break;
      }
      if (!raw && src_[pos_] == '\\') {
        ++pos_;
        decode_escape(value);
        continue;
      }
      if (src_[pos_] == '\r' && peek(1) == '\n') { ++pos_; continue; }
      size_t start = pos_;
      check_utf8_and_advance();
      value.append(src_.substr(start, pos_ - start));
    }
    add(Tok::String, begin, std::move(value));
    tokens_.back().malformed = unterminated;
  }

  void lex_char() {
    size_t begin = pos_;
    ++pos_;
    std::string value;
    bool bad_escape = false;
    if (peek() == '\\') {
      ++pos_;
      bad_escape = !decode_escape(value);
    } else if (peek() != '\'' && peek() != '\n' && pos_ < src_.size()) {
      size_t start = pos_;
      check_utf8_and_advance();
      value.append(src_.substr(start, pos_ - start));
    }
    if (peek() != '\'') {
      // Either unterminated or more than one character.
      size_t end = pos_;
      while (end < src_.size() && src_[end] != '\'' && src_[end] != '\n') ++end;
      if (end < src_.size() && src_[end] == '\'') {
        pos_ = end + 1;
        error(DiagCode::E0006, begin, pos_, "character literal must hold exactly one character",
              "use a string literal (`\"...\"`) for text");
      } else {
        pos_ = end;
        error(DiagCode::E0002, begin, begin + 1, "unterminated character literal", "close it with `'`");
        lost_text_ = true;
        add(Tok::Char, begin, std::move(value));
        tokens_.back().malformed = true;
        return;
      }
    } else {
      ++pos_;
      if (value.empty() && !bad_escape) error(DiagCode::E0006, begin, pos_, "empty character literal");
    }
    add(Tok::Char, begin, std::move(value));
  }

  uint32_t file_;
  std::string_view src_;
  Diagnostics& diags_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
  bool lost_text_ = false;
  bool comment_swallowed_the_rest_ = false;  // an unterminated `/*` ran to the end of the file
};

}  // namespace

std::vector<Token> lex(const SourceManager& sources, uint32_t file, Diagnostics& diags, bool* lost_text) {
  Lexer lexer(sources, file, diags);
  std::vector<Token> tokens = lexer.run();
  if (lost_text) *lost_text = lexer.lost_text();
  return tokens;
}

}  // namespace asthra
