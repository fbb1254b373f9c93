#include "compiler/parse/parser.h"

#include "compiler/base/check.h"
#include "compiler/base/spelling.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <set>

namespace asthra {
namespace {

// Thrown after a syntax error has been reported; caught where parsing can
// resume.  It never leaves this file.
struct SyntaxError {};

class Parser {
 public:
  Parser(std::vector<Token> tokens, uint32_t file, Diagnostics& diags)
      : toks_(std::move(tokens)), diags_(diags), module_(std::make_unique<Module>()) {
    module_->file = file;
  }

  // Module <- ('package' Ident ';')? TopLevelDecl*
  std::unique_ptr<Module> run() {
    if (at(Tok::KwPackage)) {
      try {
        next();
        Token name = expect(Tok::Ident, "a package name");
        module_->package = name.text;
        module_->package_span = name.span;
        expect_semi();
      } catch (SyntaxError&) {
        sync_top_level();
      }
    }
    while (!at(Tok::Eof)) {
      size_t before = pos_;
      if (cur().at_line_start && starts_declaration(cur().kind)) quiet_ = false;
      misclosed_brace_.reset();
      unclosed_reported_ = false;
      try {
        if (Decl* d = parse_top_level()) module_->decls.push_back(d);
      } catch (SyntaxError&) {
        sync_top_level();
      }
      if (pos_ == before) next();  // always make progress
    }
    return std::move(module_);
  }

 private:
  // ------------------------------------------------------------ token access
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
  bool at(Tok k) const { return cur().kind == k; }
  const Token& prev() const { return toks_[pos_ == 0 ? 0 : pos_ - 1]; }
  Token next() {
    Token t = cur();
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k)) return false;
    next();
    return true;
  }
  Span span_from(Span begin) const {
    Span s = begin;
    s.end = std::max(prev().span.end, begin.begin);
    return s;
  }

  // After a malformed token (an unterminated literal, or an end of file
  // that an unterminated comment swallowed the rest of the text into) the
  // lexer's error says it all; the parser stays quiet.
  bool after_malformed() const { return prev().malformed || cur().malformed; }
  [[noreturn]] void fail(DiagCode code, Span span, std::string msg, std::string help = {}) {
    if (!after_malformed() && !quiet_) {
      auto d = diags_.report(code, span, std::move(msg));
      if (!help.empty()) d.help(std::move(help));
    }
    throw SyntaxError{};
  }
  [[noreturn]] void unexpected(const char* wanted) {
    fail(DiagCode::E0010, cur().span, fmt::format("expected {}, found {}", wanted, describe(cur())));
  }
  static std::string describe(const Token& t) {
    if (t.kind == Tok::Ident) return fmt::format("identifier `{}`", t.text);
    return tok_name(t.kind);
  }
  Token expect(Tok k, const char* what = nullptr) {
    if (!at(k)) unexpected(what ? what : tok_name(k));
    return next();
  }
  // A missing `;` is reported at the end of the line that lacks it.
  void expect_semi() {
    if (accept(Tok::Semi)) return;
    if (cur().at_line_start || at(Tok::Eof) || at(Tok::RBrace)) {
      // Cut off by the next function: the unclosed `{` is the error.
      if (after_malformed() || quiet_ || at_next_top_level_fn()) return;
      Span end = prev().span;
      end.begin = end.end;
      diags_.report(DiagCode::E0011, end, "expected `;` at the end of this statement")
          .help("add `;` here");
      return;  // recovered: carry on as if it were there
    }
    bool go_declaration = at(Tok::Colon) && peek().kind == Tok::Eq && cur().span.end == peek().span.begin;
    fail(DiagCode::E0010, cur().span, fmt::format("expected `;`, found {}", describe(cur())),
         go_declaration ? "Asthra has no `:=`: declare a binding with `let name = value;`" : "");
  }

  // The `{` of an `if` or `while` body, which a C habit replaces by `=`.
  void expect_body_after_condition(const char* what) {
    if (at(Tok::LBrace)) return;
    fail(DiagCode::E0010, cur().span, fmt::format("expected `{{` to start the `{}` body, found {}", what, describe(cur())),
         at(Tok::Eq) ? "`=` assigns; compare with `==`" : "");
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxNesting) {
        p.depth_ = 0;  // report once, then unwind
        Span at = p.cur().span;
        p.diags_.report(DiagCode::E0015, at, fmt::format("expression or block nested more than {} levels deep", kMaxNesting))
            .help("split it into smaller functions or intermediate `let` bindings");
        // The rest of this declaration cannot be parsed sensibly: stay
        // quiet until the next one.
        p.quiet_ = true;
        throw SyntaxError{};
      }
    }
    ~DepthGuard() {
      if (p.depth_ > 0) --p.depth_;
    }
  };

  static bool starts_declaration(Tok k) {
    return k == Tok::KwFn || k == Tok::KwStruct || k == Tok::KwEnum || k == Tok::KwExtern || k == Tok::KwConst ||
           k == Tok::KwImpl || k == Tok::KwTrait || k == Tok::KwPub || k == Tok::KwPriv || k == Tok::KwImport ||
           k == Tok::HashBracket;
  }

  // Left-deep chains (`a + b + ...`, `x.f().g()...`, `else if ...`) are
  // built without recursion here, but later phases recurse over them.
  void check_chain(int length, const char* what) {
    if (length <= kMaxChain) return;
    fail(DiagCode::E0015, cur().span, fmt::format("more than {} {} in one chain", kMaxChain, what),
         "split it with intermediate `let` bindings or functions");
  }

  // Skip to the start of the next top-level declaration.
  void sync_top_level() {
    module_->lost_declarations = true;
    int depth = 0;
    while (!at(Tok::Eof)) {
      Tok k = cur().kind;
      if (k == Tok::LBrace) depth++;
      if (k == Tok::RBrace) {
        next();
        if (--depth <= 0) return;
        continue;
      }
      if (depth <= 0 && cur().at_line_start && starts_declaration(k)) return;
      next();
    }
  }

  // Skip past the end of the statement (or match arm: `separator` is `,`)
  // that started at token `begin`: a `separator` at its depth, or up to (not
  // past) the `}` closing the enclosing block. Braces it opened before the
  // error (a struct literal's, a closure's) are still open: their `}` does
  // not end the block.
  void sync_past(size_t begin, Tok separator) {
    int depth = 0;
    for (size_t i = begin; i < pos_; ++i) {
      if (toks_[i].kind == Tok::LBrace) depth++;
      if (toks_[i].kind == Tok::RBrace && depth > 0) depth--;
    }
    while (!at(Tok::Eof) && !at_next_top_level_fn()) {
      Tok k = cur().kind;
      if (k == Tok::LBrace) depth++;
      if (k == Tok::RBrace) {
        if (depth == 0) return;
        depth--;
        next();
        if (depth == 0 && !at(Tok::Semi) && cur().at_line_start) return;
        continue;
      }
      if (k == separator && depth == 0) {
        next();
        return;
      }
      if (depth == 0 && cur().at_line_start && pos_ > 0 &&
          (k == Tok::KwLet || k == Tok::KwReturn || k == Tok::KwIf || k == Tok::KwWhile ||
           k == Tok::KwFor || k == Tok::KwMatch || k == Tok::KwFn))
        return;
      next();
    }
  }

  // ------------------------------------------------------------ annotations
  // Annotation <- '#[' Ident ('(' AnnotationArg (',' AnnotationArg)* ')')? ']'
  // AnnotationArg <- (Ident '=')? (Ident / Int / String / 'true' / 'false' / 'none')
  Annotations parse_annotations(bool after_type = false) {
    Annotations out;
    while (at(Tok::HashBracket)) {
      Span begin = next().span;
      Annotation a;
      a.after_type = after_type;
      if (!at(Tok::Ident) && !is_keyword(cur().kind)) unexpected("an annotation name");
      a.name = next().text;
      if (accept(Tok::LParen)) {
        while (!at(Tok::RParen)) {
          AnnotationArg arg;
          arg.span = cur().span;
          if ((at(Tok::Ident) || is_keyword(cur().kind)) && peek().kind == Tok::Eq) {
            arg.key = next().text;
            next();
          }
          const Token& v = cur();
          if (v.kind == Tok::Ident || v.kind == Tok::Int || v.kind == Tok::String ||
              is_keyword(v.kind)) {
            arg.value = v.kind == Tok::String ? v.text : std::string(tok_text(v));
            next();
          } else {
            unexpected("an annotation argument");
          }
          arg.span = span_from(arg.span);
          a.args.push_back(std::move(arg));
          if (!accept(Tok::Comma)) break;
        }
        expect(Tok::RParen);
      }
      expect(Tok::RBracket, "`]` to close the annotation");
      a.span = span_from(begin);
      out.push_back(std::move(a));
    }
    return out;
  }
  static bool is_keyword(Tok k) { return k >= Tok::KwAs && k <= Tok::KwTry; }
  static std::string_view tok_text(const Token& t) {
    if (is_keyword(t.kind)) {
      std::string_view n = tok_name(t.kind);
      return n.substr(1, n.size() - 2);  // strip the backquotes
    }
    return t.text;
  }

  // Help for a declaration written as another language writes it.
  std::string declaration_habit_help() const {
    if (at(Tok::Semi) && pos_ > 0 && prev().kind == Tok::RBrace)
      return "remove the `;`: a declaration ends with its `}`";
    if (at(Tok::KwLet)) return "a value at the top level is a constant: `const NAME: T = value;`";
    if (!at(Tok::Ident)) return "";
    const std::string& word = cur().text;
    // `func main()`, `int main()`, `void f()`, `def f()`.
    if (peek().kind == Tok::Ident && peek(2).kind == Tok::LParen)
      return fmt::format("functions are declared with `fn`: `fn {}(...) -> T {{ ... }}`", peek().text);
    if (word == "var" || word == "static")
      return "a value at the top level is a constant: `const NAME: T = value;`";
    if (word == "use" || word == "include") return "packages are imported with `import \"path\";`";
    if (word == "class" || word == "type" || word == "typedef") return "declare a type with `struct` or `enum`";
    return "";
  }

  // ------------------------------------------------------------ declarations
  // TopLevelDecl <- Annotation* ('pub' / 'priv')? (FnDecl / ExternDecl /
  //                 StructDecl / EnumDecl / ConstDecl / ImplDecl / TraitDecl / ImportDecl)
  Decl* parse_top_level() {
    Annotations annotations = parse_annotations();
    bool is_pub = false;
    if (accept(Tok::KwPub)) is_pub = true;
    else accept(Tok::KwPriv);
    // Annotations may also follow the visibility.
    Annotations more = parse_annotations();
    annotations.insert(annotations.end(), more.begin(), more.end());
    Decl* d = nullptr;
    switch (cur().kind) {
      case Tok::KwFn: d = parse_top_fn(); break;
      case Tok::KwExtern: d = parse_extern(); break;
      case Tok::KwStruct: d = parse_struct(); break;
      case Tok::KwEnum: d = parse_enum(); break;
      case Tok::KwConst: d = parse_const(); break;
      case Tok::KwImpl: d = parse_impl(); break;
      case Tok::KwTrait: d = parse_trait(); break;
      case Tok::KwImport: d = parse_import(); break;
      case Tok::KwPackage:
        fail(DiagCode::E0014, cur().span, "`package` must come first in the file",
             "move the package declaration to the top");
      default:
        fail(DiagCode::E0014, cur().span,
             fmt::format("expected a declaration (`fn`, `struct`, `enum`, `extern`, `const`, "
                         "`impl`, `trait`, `import`), found {}",
                         describe(cur())),
             declaration_habit_help());
    }
    d->annotations = std::move(annotations);
    d->is_pub = is_pub;
    return d;
  }

  // ImportDecl <- 'import' String ('as' Ident)? ';'
  Decl* parse_import() {
    Span begin = next().span;
    auto* d = module_->arena.make<ImportDecl>();
    Token path = expect(Tok::String, "an import path string");
    d->path = path.text;
    if (accept(Tok::KwAs)) {
      Token alias = expect(Tok::Ident, "an alias name");
      d->name = alias.text;
      d->name_span = alias.span;
    } else {
      size_t slash = d->path.find_last_of('/');
      d->name = slash == std::string::npos ? d->path : d->path.substr(slash + 1);
      d->name_span = path.span;
    }
    expect_semi();
    d->span = span_from(begin);
    return d;
  }

  // TypeParams <- '<' Ident (':' Ident ('+' Ident)*)? (',' ...)* '>'
  std::vector<std::string> parse_generic_params(std::vector<std::vector<std::string>>* bounds = nullptr) {
    std::vector<std::string> out;
    if (!accept(Tok::Lt)) return out;
    while (!at(Tok::Gt)) {
      out.push_back(expect(Tok::Ident, "a type parameter name").text);
      std::vector<std::string> these;
      if (accept(Tok::Colon)) {
        do {
          std::string trait = expect(Tok::Ident, "a trait name").text;
          if (at(Tok::Dot) && peek().kind == Tok::Ident) {  // `pkg.Trait`
            next();
            trait += "." + next().text;
          }
          these.push_back(trait);
        } while (accept(Tok::Plus));
      }
      if (bounds) bounds->push_back(std::move(these));
      if (!accept(Tok::Comma)) break;
    }
    expect(Tok::Gt, "`>` to close the type parameters");
    return out;
  }

  // ParamList <- 'none' / (Param (',' Param)*)?
  // Param <- Annotation* ('self' / Ident ':' Annotation* Type Annotation*)
  std::vector<Param> parse_params() {
    std::vector<Param> params;
    expect(Tok::LParen);
    if (at(Tok::KwNone) && peek().kind == Tok::RParen) {
      next();
    } else {
      while (!at(Tok::RParen)) {
        Param p;
        p.annotations = parse_annotations();
        p.span = cur().span;
        // `&self`, `&mut self`: one mistake, reported and read as `self` so
        // that parsing goes on.
        size_t self_at = !at(Tok::Amp) ? 0 : peek().kind == Tok::KwMut ? 2 : 1;
        if (self_at > 0 && peek(self_at).kind == Tok::KwSelf) {
          Span written = cur().span;
          written.end = peek(self_at).span.end;
          if (!quiet_)
            diags_.report(DiagCode::E0010, written, "a method's receiver is written `self`")
                .help("methods take `self` by value (a copy of the struct); write `fn name(self, ...)`");
          while (!at(Tok::KwSelf)) next();
        }
        // `mut x: T` (as in Rust): the parameter is a copy the function may
        // change; the caller's value is untouched either way.
        p.is_mut = accept(Tok::KwMut);
        if (accept(Tok::KwSelf)) {
          p.is_self = true;
          p.name = "self";
        } else {
          p.name = expect(Tok::Ident, "a parameter name").text;
          expect(Tok::Colon, "`:` and the parameter's type");
          Annotations before = parse_annotations();
          p.type = parse_type();
          Annotations after = parse_annotations(true);
          p.annotations.insert(p.annotations.end(), before.begin(), before.end());
          p.annotations.insert(p.annotations.end(), after.begin(), after.end());
        }
        p.span = span_from(p.span);
        params.push_back(std::move(p));
        if (!accept(Tok::Comma)) break;
      }
    }
    expect(Tok::RParen, "`,` or `)` in the parameter list");
    return params;
  }

  // ('->' Annotation* Type Annotation*)?
  void parse_return(FnDecl* f) {
    if (!accept(Tok::Arrow)) return;
    f->ret_annotations = parse_annotations();
    f->ret = parse_type();
    Annotations after = parse_annotations(true);
    f->ret_annotations.insert(f->ret_annotations.end(), after.begin(), after.end());
  }

  // FnDecl <- 'fn' Ident TypeParams? '(' ParamList ')' ('->' Type)? (Block / ';')
  FnDecl* parse_fn(bool signature_only_allowed) {
    // A function's (or method's) own recovery state: see expect_close_brace.
    misclosed_brace_.reset();
    unclosed_reported_ = false;
    fn_indent_ = statement_indent_ = cur().line_indent;
    Span begin = expect(Tok::KwFn).span;
    auto* f = module_->arena.make<FnDecl>();
    Token name = expect(Tok::Ident, "a function name");
    f->name = name.text;
    f->name_span = name.span;
    f->generics = parse_generic_params(&f->generic_bounds);
    f->params = parse_params();
    parse_return(f);
    if (signature_only_allowed && accept(Tok::Semi)) {
      f->span = span_from(begin);
      return f;
    }
    if (!at(Tok::LBrace)) {
      if (at(Tok::Semi))
        fail(DiagCode::E0010, cur().span, "a function needs a body",
             "write `{ ... }`, or declare a foreign function with `extern`");
      unexpected("`{` to start the function body");
    }
    int errors_before = diags_.error_mark();
    f->body = parse_block(false);
    f->body_has_syntax_errors = diags_.error_mark() != errors_before;
    f->span = span_from(begin);
    return f;
  }

  // TopFnDecl <- 'fn' Ident TypeParams? '(' ParamList ')' ('->' Type)? (Block / ';')
  // A top-level function written without a body (the seed's
  // `pub fn process_data(...) -> #[transfer_full] *mut Result;`) is a foreign
  // function of the C library: the same as `extern fn` (language.md).
  FnDecl* parse_top_fn() {
    FnDecl* f = parse_fn(/*signature_only_allowed=*/true);
    if (f->body) return f;
    if (!f->generics.empty())
      fail(DiagCode::E0010, f->name_span, "a generic function needs a body",
           "a function declared without a body is foreign, and foreign functions are not generic: write `{ ... }`");
    f->is_extern = true;
    return f;
  }

  // ExternDecl <- 'extern' String? 'fn' Ident '(' ParamList ')' ('->' Type)? ';'
  FnDecl* parse_extern() {
    Span begin = next().span;
    bool has_library = false;
    std::string library;
    if (at(Tok::String)) {
      has_library = true;
      library = next().text;
    }
    if (!at(Tok::KwFn)) unexpected("`fn` after `extern`");
    next();
    auto* f = module_->arena.make<FnDecl>();
    f->is_extern = true;
    f->has_library = has_library;
    f->library = library;
    Token name = expect(Tok::Ident, "a function name");
    f->name = name.text;
    f->name_span = name.span;
    f->params = parse_params();
    parse_return(f);
    if (at(Tok::LBrace))
      fail(DiagCode::E0010, cur().span, "an `extern` function has no body",
           "end the declaration with `;`");
    expect_semi();
    f->span = span_from(begin);
    return f;
  }

  // StructDecl <- 'struct' Ident TypeParams? '{' ('none' / Field (',' Field)* ','?) '}'
  // Field <- Annotation* ('pub' / 'priv')? Ident ':' Type
  Decl* parse_struct() {
    Span begin = next().span;
    auto* s = module_->arena.make<StructDecl>();
    Token name = expect(Tok::Ident, "a struct name");
    s->name = name.text;
    s->name_span = name.span;
    s->generics = parse_generic_params(&s->generic_bounds);
    if (accept(Tok::Semi)) {  // `struct Unit;`
      s->span = span_from(begin);
      return s;
    }
    expect(Tok::LBrace, "`{` to start the struct's fields");
    if (at(Tok::KwNone) && peek().kind == Tok::RBrace) next();
    while (!at(Tok::RBrace)) {
      FieldDecl f;
      f.annotations = parse_annotations();
      f.span = cur().span;
      if (accept(Tok::KwPub)) f.is_pub = true;
      else accept(Tok::KwPriv);
      Token fname = expect(Tok::Ident, "a field name");
      f.name = fname.text;
      expect(Tok::Colon, "`:` and the field's type");
      f.type = parse_type();
      f.span = span_from(f.span);
      s->fields.push_back(f);
      if (!accept(Tok::Comma)) {
        if (!at(Tok::RBrace)) unexpected("`,` or `}` after the field");
        break;
      }
    }
    expect(Tok::RBrace);
    s->span = span_from(begin);
    return s;
  }

  // EnumDecl <- 'enum' Ident TypeParams? '{' ('none' / Variant (',' Variant)* ','?) '}'
  // Variant <- Annotation* ('pub' / 'priv')? Ident ('(' Type (',' Type)* ')')?
  Decl* parse_enum() {
    Span begin = next().span;
    auto* e = module_->arena.make<EnumDecl>();
    Token name = expect(Tok::Ident, "an enum name");
    e->name = name.text;
    e->name_span = name.span;
    e->generics = parse_generic_params(&e->generic_bounds);
    expect(Tok::LBrace, "`{` to start the enum's variants");
    if (at(Tok::KwNone) && peek().kind == Tok::RBrace) next();
    while (!at(Tok::RBrace)) {
      VariantDecl v;
      v.annotations = parse_annotations();
      v.span = cur().span;
      if (!accept(Tok::KwPub)) accept(Tok::KwPriv);
      v.name = expect(Tok::Ident, "a variant name").text;
      if (accept(Tok::LParen)) {
        while (!at(Tok::RParen)) {
          v.payload.push_back(parse_type());
          if (!accept(Tok::Comma)) break;
        }
        expect(Tok::RParen);
      }
      v.span = span_from(v.span);
      e->variants.push_back(v);
      if (!accept(Tok::Comma)) {
        if (!at(Tok::RBrace)) unexpected("`,` or `}` after the variant");
        break;
      }
    }
    expect(Tok::RBrace);
    e->span = span_from(begin);
    return e;
  }

  // ConstDecl <- 'const' Ident (':' Type)? '=' Expr ';'
  Decl* parse_const() {
    Span begin = next().span;
    auto* c = module_->arena.make<ConstDecl>();
    Token name = expect(Tok::Ident, "a constant name");
    c->name = name.text;
    c->name_span = name.span;
    if (accept(Tok::Colon)) c->type = parse_type();
    expect(Tok::Eq, "`=` and the constant's value");
    c->value = parse_expr();
    expect_semi();
    c->span = span_from(begin);
    return c;
  }

  // ImplDecl <- 'impl' TypeParams? (Ident 'for')? Type '{' MethodDecl* '}'
  Decl* parse_impl() {
    Span begin = next().span;
    auto* d = module_->arena.make<ImplDecl>();
    d->generics = parse_generic_params();
    TypeExpr* first = parse_type();
    if (accept(Tok::KwFor)) {
      d->trait_name = first->name;
      d->self_type = parse_type();
    } else {
      d->self_type = first;
    }
    d->name = d->self_type->name;
    d->name_span = d->self_type->span;
    expect(Tok::LBrace, "`{` to start the impl block");
    while (!at(Tok::RBrace) && !at(Tok::Eof)) {
      Annotations annotations = parse_annotations();
      bool is_pub = accept(Tok::KwPub);
      if (!is_pub) accept(Tok::KwPriv);
      FnDecl* m = parse_fn(false);
      m->annotations = std::move(annotations);
      m->is_pub = is_pub;
      d->methods.push_back(m);
    }
    expect(Tok::RBrace);
    d->span = span_from(begin);
    return d;
  }

  // TraitDecl <- 'trait' Ident '{' (Annotation* ('pub'/'priv')? FnSignature (';' / Block))* '}'
  Decl* parse_trait() {
    Span begin = next().span;
    auto* d = module_->arena.make<TraitDecl>();
    Token name = expect(Tok::Ident, "a trait name");
    d->name = name.text;
    d->name_span = name.span;
    expect(Tok::LBrace, "`{` to start the trait's methods");
    while (!at(Tok::RBrace) && !at(Tok::Eof)) {
      Annotations annotations = parse_annotations();
      if (!accept(Tok::KwPub)) accept(Tok::KwPriv);
      FnDecl* m = parse_fn(true);
      m->annotations = std::move(annotations);
      d->methods.push_back(m);
    }
    expect(Tok::RBrace);
    d->span = span_from(begin);
    return d;
  }

  // ------------------------------------------------------------ types
  // Type <- '*' ('mut' / 'const') Type / '[' ']' Type / '[' Expr ']' Type
  //       / '(' ')' / '(' Type ')' / '(' Type ',' ')' / '(' Type (',' Type)+ ','? ')'
  //       / 'fn' '(' (Annotation* (Ident ':')? Annotation* Type Annotation*)* ')' ('->' Annotation* Type Annotation*)?
  //       / Name ('<' Type (',' Type)* '>')?
  TypeExpr* parse_type() {
    DepthGuard guard(*this);
    Span begin = cur().span;
    auto* t = module_->arena.make<TypeExpr>();
    switch (cur().kind) {
      case Tok::Star:
        next();
        t->kind = TypeExprKind::Ptr;
        if (accept(Tok::KwMut)) t->is_mut = true;
        else if (!accept(Tok::KwConst))
          fail(DiagCode::E0013, cur().span, "a raw pointer type needs `mut` or `const`",
               "write `*mut T` or `*const T`");
        t->inner = parse_type();
        break;
      case Tok::LBracket:
        next();
        if (accept(Tok::RBracket)) {
          t->kind = TypeExprKind::Slice;
        } else {
          t->kind = TypeExprKind::Array;
          t->size = parse_expr();
          expect(Tok::RBracket, "`]` after the array length");
        }
        t->inner = parse_type();
        break;
      case Tok::LParen: {
        next();
        t->kind = TypeExprKind::Tuple;
        bool trailing_comma = false;
        while (!at(Tok::RParen)) {
          t->args.push_back(parse_type());
          trailing_comma = accept(Tok::Comma);
          if (!trailing_comma) break;
        }
        expect(Tok::RParen, "`)` to close the tuple type");
        if (t->args.empty()) {  // `()` is the unit type
          t->kind = TypeExprKind::Named;
          t->name = "void";
        } else if (t->args.size() == 1 && !trailing_comma) {
          TypeExpr* inner = t->args[0];
          return inner;  // parenthesised type; `(T,)` is a 1-tuple
        }
        break;
      }
      case Tok::KwFn:
        next();
        t->kind = TypeExprKind::Func;
        expect(Tok::LParen);
        while (!at(Tok::RParen)) {
          Annotations tags = parse_annotations();
          // Parameter names are allowed and ignored: `fn(x: i32) -> i32`.
          if (at(Tok::Ident) && peek().kind == Tok::Colon) {
            next();
            next();
            Annotations more = parse_annotations();
            tags.insert(tags.end(), more.begin(), more.end());
          }
          t->args.push_back(parse_type());
          Annotations after = parse_annotations(true);
          tags.insert(tags.end(), after.begin(), after.end());
          t->param_annotations.push_back(std::move(tags));
          if (!accept(Tok::Comma)) break;
        }
        expect(Tok::RParen, "`)` to close the function type's parameters");
        if (accept(Tok::Arrow)) {
          t->ret_annotations = parse_annotations();
          t->inner = parse_type();
          Annotations after = parse_annotations(true);
          t->ret_annotations.insert(t->ret_annotations.end(), after.begin(), after.end());
        }
        break;
      case Tok::Ident:
      case Tok::KwVoid:
      case Tok::KwResult:
      case Tok::KwOption:
        t->kind = TypeExprKind::Named;
        t->name = std::string(tok_text(next()));
        // A type of an imported package: `geo.Point`.
        if (t->kind == TypeExprKind::Named && at(Tok::Dot) && peek().kind == Tok::Ident) {
          next();
          t->name += "." + next().text;
        }
        if (at(Tok::Lt)) {
          next();
          while (!at(Tok::Gt)) {
            t->args.push_back(parse_type());
            if (!accept(Tok::Comma)) break;
          }
          expect(Tok::Gt, "`>` to close the type arguments");
        }
        break;
      default:
        fail(DiagCode::E0013, cur().span, fmt::format("expected a type, found {}", describe(cur())));
    }
    t->span = span_from(begin);
    return t;
  }

  // After `Name`, is `<` the start of type arguments followed by `{` or `::`
  // (a generic struct literal or path) rather than a comparison?
  bool generic_args_follow(bool struct_lit_allowed, size_t offset = 0) const {
    std::optional<size_t> close = type_arguments_end(offset);
    if (!close) return false;
    Tok after = toks_[std::min(*close + 1, toks_.size() - 1)].kind;
    return after == Tok::ColonColon || (after == Tok::LBrace && struct_lit_allowed);
  }
  // The index of the `>` closing the `<` at `offset` tokens ahead when only
  // tokens of types come between (so `a < b && c > d` is not type arguments).
  std::optional<size_t> type_arguments_end(size_t offset) const {
    if (peek(offset).kind != Tok::Lt) return std::nullopt;
    int depth = 0;
    for (size_t i = pos_ + offset; i < toks_.size(); ++i) {
      switch (toks_[i].kind) {
        case Tok::Lt: depth++; break;
        case Tok::Gt:
          if (--depth == 0) return i;
          break;
        case Tok::Ident: case Tok::Comma: case Tok::Star: case Tok::KwMut: case Tok::KwConst:
        case Tok::LBracket: case Tok::RBracket: case Tok::Int: case Tok::KwVoid:
        case Tok::KwResult: case Tok::KwOption: case Tok::LParen: case Tok::RParen:
          break;
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // `f<i32>(x)`, as Rust's `f::<i32>(x)` and C++ write it: type arguments
  // are not written on calls. Told from the comparisons `a < b > (c)` by a
  // type where the first argument would be (a built-in type, a capitalised
  // name, `[`, `*`, `Result`, `Option`), and reported over the `<...>`.
  void reject_call_type_arguments() {
    if (!at(Tok::Lt)) return;
    const Token& first = peek();
    static const std::set<std::string, std::less<>> kBuiltinTypes = {
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize",
        "int", "float", "f32", "f64", "bool", "char", "string"};
    bool looks_like_type = first.kind == Tok::KwResult || first.kind == Tok::KwOption ||
                           first.kind == Tok::LBracket || first.kind == Tok::Star ||
                           (first.kind == Tok::Ident && (kBuiltinTypes.count(first.text) ||
                                                         (first.text[0] >= 'A' && first.text[0] <= 'Z')));
    std::optional<size_t> close = type_arguments_end(0);
    if (!looks_like_type || !close || toks_[std::min(*close + 1, toks_.size() - 1)].kind != Tok::LParen) return;
    fail(DiagCode::E0010, Span{cur().span.file, cur().span.begin, toks_[*close].span.end},
         "type arguments are not written on a call",
         "remove them: a call's type arguments are inferred from its arguments and the type expected "
         "(`let x: T = f(...)`)");
  }

  // ------------------------------------------------------------ statements
  // Block <- '{' Statement* Expr? '}'
  BlockExpr* parse_block(bool is_unsafe) {
    DepthGuard guard(*this);
    auto* b = module_->arena.make<BlockExpr>();
    b->is_unsafe = is_unsafe;
    // The indentation its `}` should have: the line of the `{`, or of the
    // statement it belongs to when that started on an earlier line (a
    // signature or condition spread over several lines).
    uint32_t open_indent = std::min(cur().line_indent, statement_indent_);
    Span begin = expect(Tok::LBrace).span;
    while (!at_block_end()) {
      size_t before = pos_;
      try {
        parse_statement(b);
      } catch (SyntaxError&) {
        sync_past(before, Tok::Semi);
      }
      if (pos_ == before) next();
    }
    b->close_span = cur().span;
    expect_close_brace(begin, open_indent);
    b->span = span_from(begin);
    return b;
  }

  // `fn name` first on a line inside a block, no more indented than the
  // function being parsed (or, once a `}` looked misplaced, at any
  // indentation): the next function or method, so the blocks still open lack
  // their `}`. Recovery stops there and parses it as a declaration.
  bool at_next_top_level_fn() const {
    bool nested = depth_ > 0;  // inside some block or expression (only asked there)
    bool unindented = cur().line_indent == 0 || cur().line_indent <= fn_indent_;
    return nested && at(Tok::KwFn) && cur().at_line_start && (unindented || misclosed_brace_) &&
           peek().kind == Tok::Ident;
  }
  bool at_block_end() const { return at(Tok::RBrace) || at(Tok::Eof) || at_next_top_level_fn(); }

  // The `}` of the `{` at `open` (on a line indented by `open_indent`).
  // Without one, a `{` is reported as never closed, once for all the blocks
  // left open: the first `{` of this declaration whose `}` was less indented
  // than its own line, as that `}` was probably meant for an outer block (the
  // missing one is then this `{`'s), else `open`. The blocks then end there,
  // so the declaration is kept (its body marked as having syntax errors) and
  // the rest of the program is still checked.
  void expect_close_brace(Span open, uint32_t open_indent) {
    if (at(Tok::RBrace)) {
      if (cur().at_line_start && cur().line_indent < open_indent && !misclosed_brace_) misclosed_brace_ = open;
      next();
      return;
    }
    if (!after_malformed() && !unclosed_reported_ && !quiet_) {
      diags_.report(DiagCode::E0010, misclosed_brace_ ? *misclosed_brace_ : open, "this `{` is never closed")
          .help(at(Tok::Eof) ? "add the matching `}`" : "add the matching `}` before the next function");
    }
    unclosed_reported_ = true;
  }

  // A statement that starts with a word another language uses, or with a
  // misspelt keyword (`retrun x;`: a name cannot be followed by a value).
  void reject_statement_habit() {
    const std::string& word = cur().text;
    if ((word == "elif" || word == "elsif" || word == "elseif") && prev().kind == Tok::RBrace)
      fail(DiagCode::E0010, cur().span, fmt::format("Asthra has no `{}`", word), "write `else if`");
    if (word == "loop" && peek().kind == Tok::LBrace)
      fail(DiagCode::E0010, cur().span, "Asthra has no `loop`", "write `while true { ... }`");
    Tok after = peek().kind;
    bool value_follows = !peek().at_line_start && (after == Tok::Ident || after == Tok::Int || after == Tok::Float ||
                                                   after == Tok::String || after == Tok::Char || after == Tok::KwMut);
    if (!value_follows) return;
    ClosestSpelling closest(word);
    for (const char* keyword : {"return", "let", "while", "for", "match", "if", "break", "continue", "spawn",
                                "spawn_with_handle", "unsafe", "mut"})
      closest.consider(keyword);
    if (!closest.best().empty())
      fail(DiagCode::E0010, cur().span, fmt::format("expected a statement, found identifier `{}`", word),
           fmt::format("did you mean `{}`?", closest.best()));
  }

  // `fn helper(...) { ... }` inside a body, as C and Python allow: an error,
  // then read as `let helper = fn(...) { ... };` so that the rest of the
  // body is checked as written.
  Stmt* parse_nested_fn() {
    Span begin = next().span;
    Token name = next();
    if (!quiet_)
      diags_.report(DiagCode::E0010, name.span, "a function cannot be declared inside another function")
          .help(fmt::format("declare `{0}` at the top level, or bind a closure: `let {0} = fn(...) -> T {{ ... }};`",
                            name.text));
    auto* s = module_->arena.make<LetStmt>();
    s->name = name.text;
    s->name_span = name.span;
    s->init = parse_closure_after_fn(begin);
    s->span = span_from(begin);
    return s;
  }

  static bool is_block_like(const Expr* e) {
    return e->kind == ExprKind::Block || e->kind == ExprKind::If || e->kind == ExprKind::Match;
  }

  // Statement <- LetStmt / ReturnStmt / 'break' ';' / 'continue' ';' / WhileStmt
  //            / ForStmt / SpawnStmt / Expr (AssignOp Expr)? ';'
  void parse_statement(BlockExpr* block) {
    uint32_t outer_statement_indent = statement_indent_;
    statement_indent_ = cur().line_indent;
    struct Restore {
      uint32_t& indent;
      uint32_t saved;
      ~Restore() { indent = saved; }
    } restore{statement_indent_, outer_statement_indent};
    auto push = [&](Stmt* s) {
      if (block->tail) {  // a tail followed by more statements was a statement
        auto* es = module_->arena.make<ExprStmt>();
        es->expr = block->tail;
        es->span = block->tail->span;
        block->stmts.push_back(es);
        block->tail = nullptr;
      }
      block->stmts.push_back(s);
    };
    Span begin = cur().span;
    switch (cur().kind) {
      case Tok::Semi:
        next();
        return;
      case Tok::KwLet: {
        next();
        auto* s = module_->arena.make<LetStmt>();
        s->is_mut = accept(Tok::KwMut);
        Token name = expect(Tok::Ident, "a variable name");
        s->name = name.text;
        s->name_span = name.span;
        if (accept(Tok::Colon)) {
          s->annotations = parse_annotations();
          s->type = parse_type();
          Annotations after = parse_annotations(true);
          s->annotations.insert(s->annotations.end(), after.begin(), after.end());
        }
        if (at(Tok::Semi))
          fail(DiagCode::E0010, cur().span, "expected `=` and an initial value, found `;`",
               "every binding starts with a value: `let x: i32 = 0;` (`let mut` to change it later)");
        expect(Tok::Eq, "`=` and an initial value");
        s->init = parse_expr();
        expect_semi();
        s->span = span_from(begin);
        push(s);
        return;
      }
      case Tok::KwReturn: {
        next();
        auto* s = module_->arena.make<ReturnStmt>();
        if (!at(Tok::Semi) && !at(Tok::RBrace) && !cur().at_line_start) s->value = parse_expr();
        expect_semi();
        s->span = span_from(begin);
        push(s);
        return;
      }
      case Tok::KwBreak:
      case Tok::KwContinue: {
        bool is_break = next().kind == Tok::KwBreak;
        Stmt* s = is_break ? static_cast<Stmt*>(module_->arena.make<BreakStmt>())
                           : static_cast<Stmt*>(module_->arena.make<ContinueStmt>());
        expect_semi();
        s->span = span_from(begin);
        push(s);
        return;
      }
      case Tok::KwWhile: {
        next();
        auto* s = module_->arena.make<WhileStmt>();
        s->cond = parse_expr_no_struct();
        expect_body_after_condition("while");
        s->body = parse_block(false);
        s->span = span_from(begin);
        push(s);
        return;
      }
      case Tok::KwFor: {
        next();
        auto* s = module_->arena.make<ForStmt>();
        Token var = expect(Tok::Ident, "a loop variable name");
        s->var = var.text;
        s->var_span = var.span;
        expect(Tok::KwIn, "`in`");
        s->iterable = parse_expr_no_struct();
        s->body = parse_block(false);
        s->span = span_from(begin);
        push(s);
        return;
      }
      case Tok::KwSpawn:
      case Tok::KwSpawnWithHandle: {
        bool with_handle = next().kind == Tok::KwSpawnWithHandle;
        auto* s = module_->arena.make<SpawnStmt>();
        if (with_handle) {
          Token h = expect(Tok::Ident, "a handle name");
          s->handle = h.text;
          s->handle_span = h.span;
          expect(Tok::Eq, "`=` and the call to spawn");
        }
        s->call = parse_expr();
        expect_semi();
        s->span = span_from(begin);
        push(s);
        return;
      }
      case Tok::KwFn:
        if (peek().kind == Tok::Ident) {
          push(parse_nested_fn());
          return;
        }
        break;
      case Tok::Ident:
        reject_statement_habit();
        break;
      default:
        break;
    }
    // A statement that starts with a block-like expression ends with its
    // block: `if c { } *p = 1;` is two statements, not a multiplication.
    bool starts_block_like = at(Tok::KwIf) || at(Tok::KwMatch) || at(Tok::LBrace) ||
                             (at(Tok::KwUnsafe) && peek().kind == Tok::LBrace);
    Expr* e = starts_block_like ? parse_primary() : parse_expr();
    Tok op = cur().kind;
    if (op == Tok::Eq || op == Tok::PlusEq || op == Tok::MinusEq || op == Tok::StarEq ||
        op == Tok::SlashEq || op == Tok::PercentEq) {
      next();
      auto* s = module_->arena.make<AssignStmt>();
      s->target = e;
      s->op = op;
      s->value = parse_expr();
      expect_semi();
      s->span = span_from(begin);
      push(s);
      return;
    }
    if (accept(Tok::Semi) || (is_block_like(e) && !at(Tok::RBrace))) {
      auto* s = module_->arena.make<ExprStmt>();
      s->expr = e;
      s->span = span_from(begin);
      push(s);
      return;
    }
    if (at(Tok::RBrace)) {  // the block's value
      block->tail = e;
      return;
    }
    expect_semi();
    auto* s = module_->arena.make<ExprStmt>();
    s->expr = e;
    s->span = span_from(begin);
    push(s);
  }

  // ------------------------------------------------------------ expressions
  Expr* parse_expr() {
    bool saved = no_struct_;
    no_struct_ = false;
    Expr* e = parse_binary(0);
    no_struct_ = saved;
    return e;
  }
  // In `if`, `while`, `for` and `match` heads a `{` starts the body, never a
  // struct literal.
  Expr* parse_expr_no_struct() {
    bool saved = no_struct_;
    no_struct_ = true;
    Expr* e = parse_binary(0);
    no_struct_ = saved;
    return e;
  }

  // Binary precedence, lowest first: || && | ^ & (== !=) (< <= > >=) (<< >>) (+ -) (* / %)
  static int precedence(Tok k) {
    switch (k) {
      case Tok::PipePipe: return 1;
      case Tok::AmpAmp: return 2;
      case Tok::Pipe: return 3;
      case Tok::Caret: return 4;
      case Tok::Amp: return 5;
      case Tok::EqEq: case Tok::BangEq: return 6;
      case Tok::Lt: case Tok::Le: case Tok::Gt: case Tok::Ge: return 7;
      case Tok::Shl: case Tok::Shr: return 8;
      case Tok::Plus: case Tok::Minus: return 9;
      case Tok::Star: case Tok::Slash: case Tok::Percent: return 10;
      default: return 0;
    }
  }

  // The lexer splits `>>` into two `>`; two adjacent `>` form a shift.
  Tok binary_op_here() const {
    if (cur().kind == Tok::Gt && peek().kind == Tok::Gt && peek().span.begin == cur().span.end)
      return Tok::Shr;
    return cur().kind;
  }

  Expr* parse_binary(int min_prec) {
    Expr* lhs = parse_cast();
    // A long chain `a + b + c + ...` builds a left-deep tree without
    // recursing here; later phases recurse over it, so it is bounded too.
    int chain = 0;
    while (true) {
      Tok op = binary_op_here();
      int prec = precedence(op);
      if (prec == 0 || prec <= min_prec) break;
      check_chain(++chain, "operators");
      next();
      if (op == Tok::Shr) next();
      Expr* rhs = parse_binary(prec);
      auto* b = module_->arena.make<BinaryExpr>();
      b->op = op;
      b->lhs = lhs;
      b->rhs = rhs;
      b->span = Span{lhs->span.file, lhs->span.begin, rhs->span.end};
      lhs = b;
    }
    return lhs;
  }

  // Cast <- Unary ('as' Type)*
  Expr* parse_cast() {
    Expr* e = parse_unary();
    int chain = 0;
    while (at(Tok::KwAs)) {
      check_chain(++chain, "`as` casts");
      next();
      auto* c = module_->arena.make<CastExpr>();
      c->operand = e;
      c->target = parse_type();
      c->span = Span{e->span.file, e->span.begin, c->target->span.end};
      e = c;
    }
    return e;
  }

  // Unary <- ('!' / '-' / '~' / '*' / '&') Unary / 'await' Unary / 'try' Unary / Postfix
  Expr* parse_unary() {
    Span begin = cur().span;
    Tok k = cur().kind;
    if (k == Tok::Bang || k == Tok::Minus || k == Tok::Tilde || k == Tok::Star || k == Tok::Amp ||
        k == Tok::AmpAmp || k == Tok::KwAwait || k == Tok::KwTry) {
      // Each prefix operator nests one level.
      DepthGuard guard(*this);
      return parse_prefixed(begin, k);
    }
    return parse_postfix(parse_primary());
  }

  Expr* parse_prefixed(Span begin, Tok k) {
    if (k != Tok::KwAwait && k != Tok::KwTry) {
      next();
      if (k == Tok::AmpAmp) {  // `&&x` is `&(&x)`
        fail(DiagCode::E0010, begin, "`&&` cannot take the address of an address",
             "take the address once: `&x`");
      }
      auto* u = module_->arena.make<UnaryExpr>();
      u->op = k;
      u->operand = parse_unary();
      u->span = span_from(begin);
      return u;
    }
    if (k == Tok::KwAwait) {
      next();
      auto* a = module_->arena.make<AwaitExpr>();
      a->operand = parse_unary();
      a->span = span_from(begin);
      return a;
    }
    if (k == Tok::KwTry) {
      next();
      auto* t = module_->arena.make<TryExpr>();
      t->operand = parse_unary();
      t->span = span_from(begin);
      return t;
    }
    ASTHRA_UNREACHABLE("prefix operator");
  }

  std::vector<Expr*> parse_call_args() {
    DepthGuard guard(*this);  // `f(g(h(...)))` nests like parentheses
    std::vector<Expr*> args;
    next();  // (
    if (at(Tok::KwNone) && peek().kind == Tok::RParen) {
      next();
    } else {
      while (!at(Tok::RParen)) {
        args.push_back(parse_expr());
        if (!accept(Tok::Comma)) break;
      }
    }
    expect(Tok::RParen, "`,` or `)` in the argument list");
    return args;
  }

  // Postfix <- Primary ('(' Args ')' / '.' (Ident / Int) / '[' Expr ']' / '[' Expr? ':' Expr? ']')*
  Expr* parse_postfix(Expr* e) {
    int chain = 0;
    while (true) {
      if (at(Tok::LParen) || at(Tok::Dot) || at(Tok::LBracket)) check_chain(++chain, "calls, fields and indexes");
      if (at(Tok::LParen)) {
        auto* c = module_->arena.make<CallExpr>();
        c->callee = e;
        c->args = parse_call_args();
        c->span = span_from(e->span);
        e = c;
      } else if (at(Tok::Dot)) {
        next();
        auto* f = module_->arena.make<FieldExpr>();
        f->object = e;
        if (at(Tok::Ident) || at(Tok::Int) || is_keyword(cur().kind)) {
          f->field_span = cur().span;
          f->field = std::string(tok_text(next()));
        } else if (at(Tok::Dot) && prev().span.end == cur().span.begin) {
          fail(DiagCode::E0010, Span{cur().span.file, prev().span.begin, cur().span.end}, "Asthra has no `..` ranges",
               "iterate over `range(a, b)` (from a up to b - 1), or slice with `s[a:b]`");
        } else {
          unexpected("a field name after `.`");
        }
        f->span = span_from(e->span);
        e = f;
      } else if (at(Tok::LBracket)) {
        next();
        Expr* lo = nullptr;
        if (!at(Tok::Colon)) lo = parse_expr();
        if (accept(Tok::Colon)) {
          auto* s = module_->arena.make<SliceRangeExpr>();
          s->object = e;
          s->lo = lo;
          if (!at(Tok::RBracket)) s->hi = parse_expr();
          expect(Tok::RBracket, "`]` to close the slice range");
          s->span = span_from(e->span);
          e = s;
        } else {
          auto* i = module_->arena.make<IndexExpr>();
          i->object = e;
          i->index = lo;
          expect(Tok::RBracket, "`]` to close the index");
          i->span = span_from(e->span);
          e = i;
        }
      } else {
        return e;
      }
    }
  }

  // Parentheses, array literals and blocks each nest one level.
  Expr* parse_primary() {
    Span begin = cur().span;
    switch (cur().kind) {
      case Tok::Int: {
        Token t = next();
        auto* lit = module_->arena.make<IntLit>();
        lit->span = t.span;
        lit->spelling = t.text;
        parse_int(t, lit);
        return lit;
      }
      case Tok::Float: {
        Token t = next();
        auto* lit = module_->arena.make<FloatLit>();
        lit->span = t.span;
        std::string digits;
        for (char c : t.text)
          if (c != '_') digits += c;
        char* end = nullptr;
        lit->value = std::strtod(digits.c_str(), &end);
        lit->spelling = digits;
        if (end == nullptr || *end != '\0')
          diags_.report(DiagCode::E0005, t.span, fmt::format("invalid float literal `{}`", t.text));
        return lit;
      }
      case Tok::String: {
        auto* lit = module_->arena.make<StringLit>();
        Token t = next();
        lit->value = t.text;
        lit->span = t.span;
        return lit;
      }
      case Tok::Char: {
        auto* lit = module_->arena.make<CharLit>();
        Token t = next();
        lit->span = t.span;
        lit->value = decode_first_scalar(t.text);
        return lit;
      }
      case Tok::KwTrue:
      case Tok::KwFalse: {
        auto* lit = module_->arena.make<BoolLit>();
        lit->value = next().kind == Tok::KwTrue;
        lit->span = begin;
        return lit;
      }
      case Tok::KwVoid: {
        next();
        // `void` as a value; `()` below is the same.
        auto* v = module_->arena.make<VoidLit>();
        v->span = begin;
        return v;
      }
      case Tok::LParen: {
        DepthGuard guard(*this);
        next();
        if (accept(Tok::RParen)) {
          auto* v = module_->arena.make<VoidLit>();
          v->span = span_from(begin);
          return v;
        }
        Expr* first = parse_expr();
        if (accept(Tok::RParen)) {  // parenthesised
          if (first->kind == ExprKind::Field) static_cast<FieldExpr*>(first)->parenthesized = true;
          return first;
        }
        auto* t = module_->arena.make<TupleLitExpr>();
        t->elements.push_back(first);
        while (accept(Tok::Comma)) {
          if (at(Tok::RParen)) break;
          t->elements.push_back(parse_expr());
        }
        expect(Tok::RParen, "`,` or `)` in the tuple");
        t->span = span_from(begin);
        return t;
      }
      case Tok::LBracket: {
        DepthGuard guard(*this);
        next();
        if (at(Tok::KwNone) && peek().kind == Tok::RBracket) next();
        if (accept(Tok::RBracket)) {
          auto* a = module_->arena.make<ArrayLitExpr>();
          a->span = span_from(begin);
          return a;
        }
        Expr* first = parse_expr();
        if (accept(Tok::Semi)) {
          auto* r = module_->arena.make<ArrayRepeatExpr>();
          r->value = first;
          r->count = parse_expr();
          expect(Tok::RBracket, "`]` to close the array");
          r->span = span_from(begin);
          return r;
        }
        auto* a = module_->arena.make<ArrayLitExpr>();
        a->elements.push_back(first);
        while (accept(Tok::Comma)) {
          if (at(Tok::RBracket)) break;
          a->elements.push_back(parse_expr());
        }
        expect(Tok::RBracket, "`,` or `]` in the array literal");
        a->span = span_from(begin);
        return a;
      }
      case Tok::LBrace:
        if (no_struct_)
          fail(DiagCode::E0012, cur().span, "expected an expression, found `{`",
               "write the condition (or the value matched) before the block");
        return parse_block(false);
      case Tok::KwUnsafe:
        next();
        if (!at(Tok::LBrace)) unexpected("`{` after `unsafe`");
        {
          BlockExpr* b = parse_block(true);
          b->span = span_from(begin);
          return b;
        }
      case Tok::KwIf:
        return parse_if();
      case Tok::KwMatch:
        return parse_match();
      case Tok::KwFn:
        return parse_closure();
      case Tok::KwSizeof: {
        next();
        auto* s = module_->arena.make<SizeofExpr>();
        expect(Tok::LParen, "`(` after `sizeof`");
        s->target = parse_type();
        expect(Tok::RParen);
        s->span = span_from(begin);
        return s;
      }
      case Tok::Ident:
      case Tok::KwResult:
      case Tok::KwOption:
      case Tok::KwSelf:
        return parse_name_like();
      default:
        break;
    }
    fail(DiagCode::E0012, cur().span, fmt::format("expected an expression, found {}", describe(cur())),
         habit_help());
  }

  // Help for an operator other languages have and Asthra does not, seen as
  // its second token glued to the first (`i++` is `i +` then `+`).
  std::string habit_help() const {
    const Token& op = prev();
    // `i--;` gets as far as the `;`: `-` is also a unary operator.
    if (pos_ >= 2 && op.kind == Tok::Minus && toks_[pos_ - 2].kind == Tok::Minus &&
        toks_[pos_ - 2].span.end == op.span.begin)
      return "Asthra has no `--`: write `x -= 1;`";
    if (pos_ == 0 || op.span.end != cur().span.begin) return "";
    Tok k = cur().kind;
    if (k == Tok::Plus && op.kind == k) return "Asthra has no `++`: write `x += 1;`";
    bool assigns = k == Tok::Eq || (k == Tok::Ge && op.kind == Tok::Gt);
    const char* bit_op = op.kind == Tok::Pipe ? "|" : op.kind == Tok::Amp ? "&" : op.kind == Tok::Caret ? "^"
                       : op.kind == Tok::Shl ? "<<" : op.kind == Tok::Gt ? ">>" : nullptr;
    if (assigns && bit_op)
      return fmt::format("the compound assignments are `+= -= *= /= %=`: write `x = x {} y;`", bit_op);
    return "";
  }

  static uint32_t decode_first_scalar(const std::string& s) {
    if (s.empty()) return 0;
    auto b = static_cast<unsigned char>(s[0]);
    if (b < 0x80) return b;
    int n = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
    uint32_t cp = b & (0x7F >> n);
    for (int i = 1; i < n && i < static_cast<int>(s.size()); ++i)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    return cp;
  }

  void parse_int(const Token& t, IntLit* lit) {
    std::string digits;
    for (char c : t.text)
      if (c != '_') digits += c;
    int base = 10;
    size_t start = 0;
    if (digits.size() > 1 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'b' || digits[1] == 'o')) {
      base = digits[1] == 'x' ? 16 : digits[1] == 'b' ? 2 : 8;
      start = 2;
    }
    if (start >= digits.size()) {
      diags_.report(DiagCode::E0005, t.span, fmt::format("invalid integer literal `{}`", t.text));
      return;
    }
    uint64_t v = 0;
    for (size_t i = start; i < digits.size(); ++i) {
      char c = digits[i];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 99;
      if (d >= base) {
        diags_.report(DiagCode::E0005, t.span, fmt::format("invalid digit `{}` in {} literal `{}`", c,
                                                           base == 10 ? "decimal" : base == 16 ? "hexadecimal" : base == 2 ? "binary" : "octal",
                                                           t.text));
        return;
      }
      if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) lit->overflowed = true;
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    lit->value = v;
  }

  // Name, `Name { fields }`, `Name<T> { fields }`, `Name::member`, `Name<T>::member`
  Expr* parse_name_like() {
    Span begin = cur().span;
    Token name = next();
    std::string text(tok_text(name));
    // `pkg.Type { ... }`, `pkg.Type::f(...)`, `pkg.Type<T> { ... }` and
    // `pkg.Type<T>::f(...)`: an imported package's type.
    if (name.kind == Tok::Ident && at(Tok::Dot) && peek().kind == Tok::Ident &&
        ((peek(2).kind == Tok::LBrace && !no_struct_ && struct_literal_at(2)) || peek(2).kind == Tok::ColonColon ||
         generic_args_follow(!no_struct_, 2))) {
      next();
      text += "." + next().text;
    }
    reject_call_type_arguments();
    bool generic = generic_args_follow(!no_struct_);
    if (generic || at(Tok::ColonColon) || (at(Tok::LBrace) && !no_struct_ && looks_like_struct_literal())) {
      auto* te = module_->arena.make<TypeExpr>();
      te->kind = TypeExprKind::Named;
      te->name = text;
      if (generic) {
        next();
        while (!at(Tok::Gt)) {
          te->args.push_back(parse_type());
          if (!accept(Tok::Comma)) break;
        }
        expect(Tok::Gt);
      }
      te->span = span_from(begin);
      if (accept(Tok::ColonColon)) {
        auto* p = module_->arena.make<PathExpr>();
        p->owner = te;
        p->member_span = cur().span;
        reject_call_type_arguments();  // `f::<i32>(x)`
        p->member = expect(Tok::Ident, "a member name after `::`").text;
        p->span = span_from(begin);
        return p;
      }
      return parse_struct_literal(te, begin);
    }
    auto* n = module_->arena.make<NameExpr>();
    n->name = text;
    n->span = name.span;
    return n;
  }

  // `{` after a name starts a struct literal when it reads `{ }`, `{ none }`
  // or `{ ident :`.
  bool looks_like_struct_literal() const { return struct_literal_at(0); }
  // Whether the `{` at `offset` tokens ahead starts a struct literal.
  bool struct_literal_at(size_t offset) const {
    const Token& a = peek(offset + 1);
    if (a.kind == Tok::RBrace) return true;
    if (a.kind == Tok::KwNone && peek(offset + 2).kind == Tok::RBrace) return true;
    return a.kind == Tok::Ident && peek(offset + 2).kind == Tok::Colon;
  }

  // StructLiteral <- Name TypeArgs? '{' (FieldInit (',' FieldInit)* ','?)? '}'
  Expr* parse_struct_literal(TypeExpr* te, Span begin) {
    DepthGuard guard(*this);
    auto* s = module_->arena.make<StructLitExpr>();
    s->type_expr = te;
    expect(Tok::LBrace);
    if (at(Tok::KwNone) && peek().kind == Tok::RBrace) next();
    while (!at(Tok::RBrace)) {
      FieldInit f;
      f.span = cur().span;
      f.name = expect(Tok::Ident, "a field name").text;
      expect(Tok::Colon, "`:` and the field's value");
      f.value = parse_expr();
      f.span = span_from(f.span);
      s->fields.push_back(f);
      if (!accept(Tok::Comma)) break;
    }
    expect(Tok::RBrace, "`,` or `}` in the struct literal");
    s->span = span_from(begin);
    return s;
  }

  // IfExpr <- 'if' ('let' Pattern '=')? Expr Block ('else' (IfExpr / Block))?
  Expr* parse_if(int chain = 0) {
    check_chain(chain, "`else if` branches");
    Span begin = next().span;
    auto* e = module_->arena.make<IfExpr>();
    if (accept(Tok::KwLet)) {
      e->let_pattern = parse_pattern();
      expect(Tok::Eq, "`=` after the pattern");
    }
    e->cond = parse_expr_no_struct();
    expect_body_after_condition("if");
    e->then_block = parse_block(false);
    if (accept(Tok::KwElse)) {
      if (at(Tok::KwIf)) e->else_branch = parse_if(chain + 1);
      else if (at(Tok::LBrace)) e->else_branch = parse_block(false);
      else unexpected("`{` or `if` after `else`");
    }
    e->span = span_from(begin);
    return e;
  }

  // MatchExpr <- 'match' Expr '{' (Pattern '=>' (Block ','? / Expr (',' / &'}')))* '}'
  Expr* parse_match() {
    Span begin = next().span;
    auto* m = module_->arena.make<MatchExpr>();
    m->scrutinee = parse_expr_no_struct();
    uint32_t open_indent = std::min(cur().line_indent, statement_indent_);
    Span open = expect(Tok::LBrace, "`{` to start the match arms").span;
    uint32_t outer_statement_indent = statement_indent_;
    while (!at_block_end()) {
      size_t arm_begin = pos_;
      try {
        MatchArm arm;
        arm.span = cur().span;
        statement_indent_ = cur().line_indent;  // an arm's block closes at its own indentation
        arm.pattern = parse_pattern();
        if (at(Tok::ColonColon) && arm.pattern->kind == PatternKind::Binding)
          fail(DiagCode::E0010, cur().span, "expected `=>` after the pattern, found `::`",
               fmt::format("enum variants are named with `.`: `{}.{}`", arm.pattern->name,
                           peek().kind == Tok::Ident ? peek().text : "Variant"));
        expect(Tok::FatArrow, "`=>` after the pattern");
        if (at(Tok::LBrace)) {
          arm.body = parse_block(false);
          accept(Tok::Comma);
        } else {
          DepthGuard guard(*this);  // `A => match ... { B => match ...` nests
          arm.body = parse_expr();
          if (!accept(Tok::Comma) && !at(Tok::RBrace)) {
            if (at(Tok::Semi)) {
              fail(DiagCode::E0010, cur().span, "expected `,` after a match arm, found `;`",
                   "separate match arms with `,`");
            }
            unexpected("`,` or `}` after the match arm");
          }
        }
        arm.span = span_from(arm.span);
        m->arms.push_back(arm);
      } catch (SyntaxError&) {
        sync_past(arm_begin, Tok::Comma);  // to the next arm
      }
      // Always make progress: sync_past may stop where the arm began (at a
      // statement keyword); the rest of that line is skipped with it.
      if (pos_ == arm_begin) {
        do next();
        while (!at(Tok::Eof) && !cur().at_line_start);
      }
    }
    statement_indent_ = outer_statement_indent;
    expect_close_brace(open, open_indent);
    m->span = span_from(begin);
    return m;
  }

  // Pattern <- '_' / Literal / '-' Int / Name '.' Ident ('(' Patterns ')')?
  //          / Name '{' Ident ':' Pattern ... '}' / '(' Pattern ')' (parenthesised)
  //          / '(' Pattern ',' ')' / '(' Pattern (',' Pattern)+ ','? ')' / Ident
  Pattern* parse_pattern() {
    DepthGuard guard(*this);
    Span begin = cur().span;
    auto* p = module_->arena.make<Pattern>();
    switch (cur().kind) {
      case Tok::Int: case Tok::Float: case Tok::String: case Tok::Char:
      case Tok::KwTrue: case Tok::KwFalse: case Tok::Minus:
        p->kind = PatternKind::Literal;
        p->literal = parse_unary();
        break;
      case Tok::LParen: {
        next();
        p->kind = PatternKind::Tuple;
        bool trailing_comma = false;
        while (!at(Tok::RParen)) {
          p->subs.push_back(parse_pattern());
          trailing_comma = accept(Tok::Comma);
          if (!trailing_comma) break;
        }
        expect(Tok::RParen, "`)` to close the tuple pattern");
        if (p->subs.size() == 1 && !trailing_comma) return p->subs[0];  // parenthesised; `(p,)` is a 1-tuple
        break;
      }
      case Tok::Ident: case Tok::KwResult: case Tok::KwOption: {
        std::string name(tok_text(next()));
        if (name == "_" ) {
          p->kind = PatternKind::Wildcard;
          break;
        }
        if (accept(Tok::Dot)) {
          p->kind = PatternKind::Variant;
          p->name = name;
          p->variant_span = cur().span;
          p->variant = expect(Tok::Ident, "a variant name").text;
          if (at(Tok::Dot) && peek().kind == Tok::Ident) {  // `pkg.Enum.Variant`
            next();
            p->name += "." + p->variant;
            p->variant_span = cur().span;
            p->variant = next().text;
          } else if (at(Tok::LBrace) || (at(Tok::Lt) && generic_args_follow(true))) {  // `pkg.Struct { ... }`
            parse_struct_pattern(p, name + "." + p->variant);
            break;
          }
          if (accept(Tok::LParen)) {
            p->has_parens = true;
            if (at(Tok::KwNone) && peek().kind == Tok::RParen) next();
            while (!at(Tok::RParen)) {
              p->subs.push_back(parse_pattern());
              if (!accept(Tok::Comma)) break;
            }
            expect(Tok::RParen, "`)` to close the variant's patterns");
          }
        } else if (at(Tok::LBrace) || (at(Tok::Lt) && generic_args_follow(true))) {
          parse_struct_pattern(p, name);
        } else {
          p->kind = PatternKind::Binding;
          p->name = name;
        }
        break;
      }
      default:
        fail(DiagCode::E0016, cur().span, fmt::format("expected a pattern, found {}", describe(cur())),
             "patterns are `Enum.Variant(x)`, literals, `(a, b)`, a name or `_`");
    }
    p->span = span_from(begin);
    return p;
  }

  // The rest of a struct pattern of type `name` (maybe `pkg.Name`), from
  // its type arguments or `{`.
  void parse_struct_pattern(Pattern* p, std::string name) {
    // `Pair<i32> { ... }`: the type arguments are the scrutinee's.
    if (at(Tok::Lt)) {
      next();
      while (!at(Tok::Gt)) {
        parse_type();
        if (!accept(Tok::Comma)) break;
      }
      expect(Tok::Gt);
    }
    p->kind = PatternKind::Struct;
    p->name = std::move(name);
    p->variant.clear();
    expect(Tok::LBrace);
    while (!at(Tok::RBrace)) {
      p->field_names.push_back(expect(Tok::Ident, "a field name").text);
      if (accept(Tok::Colon)) {
        p->subs.push_back(parse_pattern());
      } else {  // shorthand `{ x }` binds x
        auto* b = module_->arena.make<Pattern>();
        b->kind = PatternKind::Binding;
        b->name = p->field_names.back();
        b->span = prev().span;
        p->subs.push_back(b);
      }
      if (!accept(Tok::Comma)) break;
    }
    expect(Tok::RBrace, "`}` to close the struct pattern");
  }

  // Closure <- 'fn' '(' ParamList ')' ('->' Annotation* Type Annotation*)? Block
  Expr* parse_closure() { return parse_closure_after_fn(next().span); }
  Expr* parse_closure_after_fn(Span begin) {
    auto* c = module_->arena.make<ClosureExpr>();
    c->params = parse_params();
    if (accept(Tok::Arrow)) {
      c->ret_annotations = parse_annotations();
      c->ret = parse_type();
      Annotations after = parse_annotations(true);
      c->ret_annotations.insert(c->ret_annotations.end(), after.begin(), after.end());
    }
    c->body = parse_block(false);
    c->span = span_from(begin);
    return c;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  Diagnostics& diags_;
  std::unique_ptr<Module> module_;
  int depth_ = 0;
  bool no_struct_ = false;
  bool quiet_ = false;  // after a nesting overflow, until the next declaration
  // In the current declaration: the first `{` whose `}` looked misplaced,
  // and whether a `{` was reported as never closed (expect_close_brace).
  std::optional<Span> misclosed_brace_;
  bool unclosed_reported_ = false;
  uint32_t fn_indent_ = 0;         // the line of the function being parsed
  uint32_t statement_indent_ = 0;  // the line the current statement starts on
};

}  // namespace

std::unique_ptr<Module> parse(std::vector<Token> tokens, uint32_t file, Diagnostics& diags) {
  return Parser(std::move(tokens), file, diags).run();
}

}  // namespace asthra
