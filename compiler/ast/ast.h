// The abstract syntax tree: what the parser produces.
//
// Nodes live in an Arena owned by the Module and point at each other with
// plain pointers.  The tree is exactly what was written (annotations stay
// where they were written, including their position before or after a type);
// the parser resolves nothing.  Semantic analysis fills the two kinds of
// slot the tree reserves for it — `Expr::type` and the `Symbol*` of names,
// bindings and patterns — and codegen reads those (sema also keeps one memo
// of its own in each Expr, `untyped_literal`); no later phase changes the
// shape of the tree.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/base/source.h"
#include "compiler/lex/token.h"

namespace asthra {

struct Type;    // sema/types.h
struct Symbol;  // sema/symbols.h

struct Node {
  virtual ~Node() = default;
  Span span;
};

class Arena {
 public:
  template <typename T, typename... Args>
  T* make(Args&&... args) {
    auto node = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = node.get();
    nodes_.push_back(std::move(node));
    return raw;
  }

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

// `#[name]`, `#[name(arg, key = value)]`.
struct AnnotationArg {
  std::string key;    // empty for a positional argument
  std::string value;  // identifier, number, string contents or `true`/`false`
  Span span;
};
struct Annotation {
  std::string name;
  std::vector<AnnotationArg> args;
  Span span;
  bool after_type = false;  // `let p: *mut u8 #[ownership(c)]`
};
using Annotations = std::vector<Annotation>;

// ---------------------------------------------------------------- types
enum class TypeExprKind { Named, Ptr, Slice, Array, Tuple, Func };

struct Expr;
struct TypeExpr : Node {
  TypeExprKind kind = TypeExprKind::Named;
  std::string name;               // Named: `i32`, `Result`, `Point`, `void`, `Never`
  std::vector<TypeExpr*> args;    // Named: generic arguments; Tuple: elements; Func: parameters
  TypeExpr* inner = nullptr;      // Ptr, Slice, Array element; Func return (null: void)
  bool is_mut = false;            // Ptr: `*mut` (else `*const`)
  Expr* size = nullptr;           // Array: the length expression
  // Func: the tags of each parameter and of the return (`fn(#[borrowed] *const u8) -> i32`),
  // checked like a function's; they document a callback's contract.
  std::vector<Annotations> param_annotations;
  Annotations ret_annotations;
};

// ---------------------------------------------------------------- expressions
enum class ExprKind {
  IntLit, FloatLit, StringLit, CharLit, BoolLit, VoidLit,
  Name, Path, Unary, Binary, Call, Field, Index, SliceRange, Cast,
  StructLit, ArrayLit, ArrayRepeat, TupleLit, Block, If, Match, Closure,
  Sizeof, Try, Await,
};

struct Expr : Node {
  explicit Expr(ExprKind k) : kind(k) {}
  ExprKind kind;
  // Sema's memo of Checker::is_untyped_literal, filled on the first query:
  // an operator chain asks it of every prefix, which without the memo walks
  // the chain again each time (quadratic in its length).
  enum class UntypedLiteral : uint8_t { Unknown, No, Yes };
  mutable UntypedLiteral untyped_literal = UntypedLiteral::Unknown;
  const Type* type = nullptr;  // set by sema
};

struct IntLit : Expr {
  IntLit() : Expr(ExprKind::IntLit) {}
  uint64_t value = 0;
  bool overflowed = false;  // did not fit in 64 bits
  std::string spelling;     // as written, for messages
};
struct FloatLit : Expr {
  FloatLit() : Expr(ExprKind::FloatLit) {}
  double value = 0;
  std::string spelling;
};
struct StringLit : Expr {
  StringLit() : Expr(ExprKind::StringLit) {}
  std::string value;
};
struct CharLit : Expr {
  CharLit() : Expr(ExprKind::CharLit) {}
  uint32_t value = 0;
};
struct BoolLit : Expr {
  BoolLit() : Expr(ExprKind::BoolLit) {}
  bool value = false;
};
struct VoidLit : Expr {  // `void` written as a value, as in `Result.Ok(void)`
  VoidLit() : Expr(ExprKind::VoidLit) {}
};
struct NameExpr : Expr {
  NameExpr() : Expr(ExprKind::Name) {}
  std::string name;
  Symbol* symbol = nullptr;  // set by sema
};
struct PathExpr : Expr {  // `Type::member`, `Type<T>::member`
  PathExpr() : Expr(ExprKind::Path) {}
  TypeExpr* owner = nullptr;
  std::string member;
  Span member_span;
  Symbol* symbol = nullptr;  // set by sema: the associated function
};
struct UnaryExpr : Expr {
  UnaryExpr() : Expr(ExprKind::Unary) {}
  Tok op = Tok::Minus;  // Minus, Bang, Tilde, Star (deref), Amp (address-of)
  Expr* operand = nullptr;
};
struct BinaryExpr : Expr {
  BinaryExpr() : Expr(ExprKind::Binary) {}
  Tok op = Tok::Plus;
  Expr* lhs = nullptr;
  Expr* rhs = nullptr;
};
struct CallExpr : Expr {
  CallExpr() : Expr(ExprKind::Call) {}
  Expr* callee = nullptr;
  std::vector<Expr*> args;
  // Set by sema for `value.method(args)`: the method, called with the
  // callee's object as its first argument; also for calls of generic
  // functions: the instantiation called.
  Symbol* method = nullptr;
};
struct FieldExpr : Expr {  // `e.name`, `e.0`
  FieldExpr() : Expr(ExprKind::Field) {}
  Expr* object = nullptr;
  std::string field;
  Span field_span;
  Symbol* symbol = nullptr;  // set by sema when `object` is a package (`libc.malloc`)
  bool parenthesized = false;  // `(e.name)`: a call of it calls the field's value, never a method
};
struct IndexExpr : Expr {
  IndexExpr() : Expr(ExprKind::Index) {}
  Expr* object = nullptr;
  Expr* index = nullptr;
};
struct SliceRangeExpr : Expr {  // `e[a:b]`, `e[:b]`, `e[a:]`, `e[:]`
  SliceRangeExpr() : Expr(ExprKind::SliceRange) {}
  Expr* object = nullptr;
  Expr* lo = nullptr;
  Expr* hi = nullptr;
};
struct CastExpr : Expr {
  CastExpr() : Expr(ExprKind::Cast) {}
  Expr* operand = nullptr;
  TypeExpr* target = nullptr;
};
struct FieldInit {
  std::string name;
  Expr* value = nullptr;
  Span span;
};
struct StructLitExpr : Expr {
  StructLitExpr() : Expr(ExprKind::StructLit) {}
  TypeExpr* type_expr = nullptr;
  std::vector<FieldInit> fields;
};
struct ArrayLitExpr : Expr {
  ArrayLitExpr() : Expr(ExprKind::ArrayLit) {}
  std::vector<Expr*> elements;
};
struct ArrayRepeatExpr : Expr {  // `[value; count]`
  ArrayRepeatExpr() : Expr(ExprKind::ArrayRepeat) {}
  Expr* value = nullptr;
  Expr* count = nullptr;
  uint64_t count_value = 0;  // set by sema
};
struct TupleLitExpr : Expr {
  TupleLitExpr() : Expr(ExprKind::TupleLit) {}
  std::vector<Expr*> elements;
};

struct Stmt;
struct BlockExpr : Expr {  // `{ ... }` and `unsafe { ... }`
  BlockExpr() : Expr(ExprKind::Block) {}
  std::vector<Stmt*> stmts;
  Expr* tail = nullptr;  // a final expression without `;`: the block's value
  bool is_unsafe = false;
  Span close_span;       // the `}`
};
struct IfExpr : Expr {  // `if c {..} else ..` and `if let P = e {..} else ..`
  IfExpr() : Expr(ExprKind::If) {}
  struct Pattern* let_pattern = nullptr;
  Expr* cond = nullptr;
  BlockExpr* then_block = nullptr;
  Expr* else_branch = nullptr;  // BlockExpr or IfExpr
};
struct MatchArm {
  struct Pattern* pattern = nullptr;
  Expr* body = nullptr;  // a BlockExpr or any expression
  Span span;
};
struct MatchExpr : Expr {
  MatchExpr() : Expr(ExprKind::Match) {}
  Expr* scrutinee = nullptr;
  std::vector<MatchArm> arms;
};
struct Param {
  std::string name;
  TypeExpr* type = nullptr;  // null for `self`
  Annotations annotations;
  Span span;
  bool is_self = false;
  bool is_mut = false;  // `mut x: T`: the function may change its own copy
  Symbol* symbol = nullptr;  // set by sema
};
struct ClosureExpr : Expr {  // `fn(x: i32) -> i32 { ... }`
  ClosureExpr() : Expr(ExprKind::Closure) {}
  std::vector<Param> params;
  TypeExpr* ret = nullptr;
  Annotations ret_annotations;  // `-> #[transfer_full] *mut u8`
  BlockExpr* body = nullptr;
  std::vector<Symbol*> captures;  // set by sema: outer locals it copies
  uint32_t id = 0;                // set by sema: unique per program
};
struct SizeofExpr : Expr {
  SizeofExpr() : Expr(ExprKind::Sizeof) {}
  TypeExpr* target = nullptr;
  const Type* target_type = nullptr;  // set by sema
};
struct TryExpr : Expr {
  TryExpr() : Expr(ExprKind::Try) {}
  Expr* operand = nullptr;
};
struct AwaitExpr : Expr {
  AwaitExpr() : Expr(ExprKind::Await) {}
  Expr* operand = nullptr;
};

// ---------------------------------------------------------------- patterns
enum class PatternKind { Wildcard, Binding, Literal, Variant, Tuple, Struct };

struct Pattern : Node {
  PatternKind kind = PatternKind::Wildcard;
  std::string name;                // Binding: the name; Variant: the enum; Struct: the type
  std::string variant;             // Variant
  Span variant_span;
  bool has_parens = false;         // Variant written with `(...)`
  std::vector<Pattern*> subs;      // Variant payloads, Tuple elements, Struct field patterns
  std::vector<std::string> field_names;  // Struct
  Expr* literal = nullptr;         // Literal (possibly a negated number)
  Symbol* symbol = nullptr;        // Binding: set by sema
  const Type* type = nullptr;      // set by sema: the type matched
};

// ---------------------------------------------------------------- statements
enum class StmtKind { Let, Assign, Expr, While, For, Return, Break, Continue, Spawn };

struct Stmt : Node {
  explicit Stmt(StmtKind k) : kind(k) {}
  StmtKind kind;
};
struct LetStmt : Stmt {
  LetStmt() : Stmt(StmtKind::Let) {}
  std::string name;
  Span name_span;
  bool is_mut = false;
  TypeExpr* type = nullptr;  // may be null: inferred
  Annotations annotations;
  Expr* init = nullptr;
  Symbol* symbol = nullptr;
};
struct AssignStmt : Stmt {
  AssignStmt() : Stmt(StmtKind::Assign) {}
  Expr* target = nullptr;
  Tok op = Tok::Eq;  // Eq or a compound operator
  Expr* value = nullptr;
};
struct ExprStmt : Stmt {
  ExprStmt() : Stmt(StmtKind::Expr) {}
  Expr* expr = nullptr;
};
struct WhileStmt : Stmt {
  WhileStmt() : Stmt(StmtKind::While) {}
  Expr* cond = nullptr;
  BlockExpr* body = nullptr;
};
struct ForStmt : Stmt {
  ForStmt() : Stmt(StmtKind::For) {}
  std::string var;
  Span var_span;
  Expr* iterable = nullptr;
  BlockExpr* body = nullptr;
  Symbol* symbol = nullptr;
};
struct ReturnStmt : Stmt {
  ReturnStmt() : Stmt(StmtKind::Return) {}
  Expr* value = nullptr;
};
struct BreakStmt : Stmt {
  BreakStmt() : Stmt(StmtKind::Break) {}
};
struct ContinueStmt : Stmt {
  ContinueStmt() : Stmt(StmtKind::Continue) {}
};
struct SpawnStmt : Stmt {  // `spawn f(x);`, `spawn_with_handle h = f(x);`
  SpawnStmt() : Stmt(StmtKind::Spawn) {}
  Expr* call = nullptr;
  std::string handle;  // empty for plain spawn
  Span handle_span;
  Symbol* symbol = nullptr;  // set by sema: the handle binding
  uint32_t id = 0;           // set by sema: unique per program
};

// ---------------------------------------------------------------- declarations
enum class DeclKind { Fn, Struct, Enum, Const, Impl, Trait, Import };

struct Decl : Node {
  explicit Decl(DeclKind k) : kind(k) {}
  DeclKind kind;
  std::string name;
  Span name_span;
  Annotations annotations;  // written before the declaration
  bool is_pub = false;
};

struct FnDecl : Decl {
  FnDecl() : Decl(DeclKind::Fn) {}
  std::vector<std::string> generics;
  std::vector<std::vector<std::string>> generic_bounds;  // trait names per parameter
  std::vector<Param> params;
  TypeExpr* ret = nullptr;  // null: void
  Annotations ret_annotations;
  BlockExpr* body = nullptr;  // null for extern and trait signatures
  bool body_has_syntax_errors = false;  // sema skips such a body
  bool body_has_type_errors = false;    // the passes after sema skip such a body
  bool is_extern = false;
  bool has_library = false;
  std::string library;  // extern "lib"
  Symbol* symbol = nullptr;
};

struct FieldDecl {
  std::string name;
  TypeExpr* type = nullptr;
  bool is_pub = false;
  Span span;
  Annotations annotations;  // checked (no memory tag is allowed on a field)
};
struct StructDecl : Decl {
  StructDecl() : Decl(DeclKind::Struct) {}
  std::vector<std::string> generics;
  std::vector<std::vector<std::string>> generic_bounds;
  std::vector<FieldDecl> fields;
};

struct VariantDecl {
  std::string name;
  std::vector<TypeExpr*> payload;
  Span span;
  Annotations annotations;  // checked (no memory tag is allowed on a variant)
};
struct EnumDecl : Decl {
  EnumDecl() : Decl(DeclKind::Enum) {}
  std::vector<std::string> generics;
  std::vector<std::vector<std::string>> generic_bounds;
  std::vector<VariantDecl> variants;
};

struct ConstDecl : Decl {
  ConstDecl() : Decl(DeclKind::Const) {}
  TypeExpr* type = nullptr;
  Expr* value = nullptr;
  Symbol* symbol = nullptr;
  // Set by sema for an integer constant: its value, two's complement in 64
  // bits (codegen writes it instead of the expression, which may name other
  // constants many times over).
  std::optional<int64_t> int_value;
};

struct ImplDecl : Decl {  // `impl Type { ... }`, `impl Trait for Type { ... }`
  ImplDecl() : Decl(DeclKind::Impl) {}
  std::vector<std::string> generics;
  TypeExpr* self_type = nullptr;
  std::string trait_name;
  std::vector<FnDecl*> methods;
};

struct TraitDecl : Decl {
  TraitDecl() : Decl(DeclKind::Trait) {}
  std::vector<FnDecl*> methods;
};

struct ImportDecl : Decl {  // name holds the alias
  ImportDecl() : Decl(DeclKind::Import) {}
  std::string path;
};

struct Module {
  uint32_t file = 0;
  std::string package = "main";
  Span package_span;
  std::vector<Decl*> decls;
  // A declaration was lost to a syntax error: checking the rest would
  // report names it declared as missing, so sema does not run.
  bool lost_declarations = false;
  Arena arena;
};

}  // namespace asthra
