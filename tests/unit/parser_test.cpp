// Parser: the whole grammar parses into the expected tree, annotations stay
// where they were written, and errors are reported and recovered from.
#include <gtest/gtest.h>

#include "frontend_helpers.h"

namespace asthra {
namespace {

using testing::compile;

TEST(Parser, DeclarationsOfEveryKind) {
  auto c = compile(R"(
package demo;
import "stdlib/io" as io;
pub const N: i32 = 4;
#[ownership(c)] struct Raw { fd: i32 }
pub struct Pair<T> { pub first: T, second: T }
enum Shape { Circle(f64), Rect(f64, f64), Empty }
trait Area { fn area(self) -> f64; }
impl Area for Shape { pub fn area(self) -> f64 { return 0.0; } }
extern "C" fn strlen(#[borrowed] s: *const u8) -> usize;
extern fn abs(x: i32) -> i32;
fn generic<T>(x: T) -> T { return x; }
)", false);
  ASSERT_TRUE(c->ok);
  ASSERT_EQ(c->module->package, "demo");
  auto& d = c->module->decls;
  ASSERT_EQ(d.size(), 10u);
  EXPECT_EQ(d[0]->kind, DeclKind::Import);
  EXPECT_EQ(static_cast<ImportDecl*>(d[0])->path, "stdlib/io");
  EXPECT_EQ(d[0]->name, "io");
  EXPECT_TRUE(d[1]->is_pub);
  EXPECT_EQ(d[2]->annotations.size(), 1u);
  EXPECT_EQ(d[2]->annotations[0].name, "ownership");
  EXPECT_EQ(d[2]->annotations[0].args[0].value, "c");
  EXPECT_EQ(static_cast<StructDecl*>(d[3])->generics, std::vector<std::string>{"T"});
  EXPECT_EQ(static_cast<EnumDecl*>(d[4])->variants.size(), 3u);
  EXPECT_EQ(d[5]->kind, DeclKind::Trait);
  EXPECT_EQ(static_cast<ImplDecl*>(d[6])->trait_name, "Area");
  auto* ext = static_cast<FnDecl*>(d[7]);
  EXPECT_TRUE(ext->is_extern);
  EXPECT_EQ(ext->library, "C");
  EXPECT_EQ(ext->params[0].annotations[0].name, "borrowed");
  EXPECT_FALSE(static_cast<FnDecl*>(d[8])->has_library);
}

TEST(Parser, AnnotationsBeforeAndAfterTypes) {
  auto c = compile(R"(
fn f() {
  let a: #[ownership(c)] *mut u8 = g();
  let b: *mut u8 #[ownership(pinned)] = g();
}
extern "libc" fn m(size: usize) -> #[transfer_full] *mut void;
)", false);
  ASSERT_TRUE(c->ok);
  auto* f = static_cast<FnDecl*>(c->module->decls[0]);
  auto* a = static_cast<LetStmt*>(f->body->stmts[0]);
  auto* b = static_cast<LetStmt*>(f->body->stmts[1]);
  ASSERT_EQ(a->annotations.size(), 1u);
  EXPECT_FALSE(a->annotations[0].after_type);
  ASSERT_EQ(b->annotations.size(), 1u);
  EXPECT_TRUE(b->annotations[0].after_type);
  EXPECT_EQ(b->annotations[0].args[0].value, "pinned");
  auto* m = static_cast<FnDecl*>(c->module->decls[1]);
  ASSERT_EQ(m->ret_annotations.size(), 1u);
  EXPECT_EQ(m->ret_annotations[0].name, "transfer_full");
}

TEST(Parser, OperatorPrecedenceAndCasts) {
  auto c = compile("fn f() { let x = 1 + 2 * 3 << 1 == 14 && true || false; let y = -a as u8 + b; }", false);
  ASSERT_TRUE(c->ok);
  auto* f = static_cast<FnDecl*>(c->module->decls[0]);
  auto* x = static_cast<BinaryExpr*>(static_cast<LetStmt*>(f->body->stmts[0])->init);
  EXPECT_EQ(x->op, Tok::PipePipe);
  auto* land = static_cast<BinaryExpr*>(x->lhs);
  EXPECT_EQ(land->op, Tok::AmpAmp);
  auto* eq = static_cast<BinaryExpr*>(land->lhs);
  EXPECT_EQ(eq->op, Tok::EqEq);
  EXPECT_EQ(static_cast<BinaryExpr*>(eq->lhs)->op, Tok::Shl);
  auto* y = static_cast<BinaryExpr*>(static_cast<LetStmt*>(f->body->stmts[1])->init);
  EXPECT_EQ(y->op, Tok::Plus);
  ASSERT_EQ(y->lhs->kind, ExprKind::Cast);  // `-a as u8` is `(-a) as u8`
  EXPECT_EQ(static_cast<CastExpr*>(y->lhs)->operand->kind, ExprKind::Unary);
}

TEST(Parser, NestedGenericsCloseWithShift) {
  auto c = compile("fn f(x: Option<Option<i32>>) { let y = a >> 2; }", false);
  ASSERT_TRUE(c->ok);
  auto* f = static_cast<FnDecl*>(c->module->decls[0]);
  EXPECT_EQ(f->params[0].type->args[0]->args[0]->name, "i32");
  auto* y = static_cast<BinaryExpr*>(static_cast<LetStmt*>(f->body->stmts[0])->init);
  EXPECT_EQ(y->op, Tok::Shr);
}

TEST(Parser, ParenthesesGroupAndATrailingCommaMakesATuple) {
  // `(T)`, `(e)` and `(p)` are T, e and p; `(T,)` and `(p,)` are 1-tuples;
  // a parenthesised field is marked so that sema calls its value.
  auto c = compile("fn f(a: (i32), b: (i32,)) { (t.0)(1); t.m(2); let z = match b { (x,) => 1, (y) => 2 }; }", false);
  ASSERT_TRUE(c->ok);
  auto* f = static_cast<FnDecl*>(c->module->decls[0]);
  EXPECT_EQ(f->params[0].type->kind, TypeExprKind::Named);
  EXPECT_EQ(f->params[1].type->kind, TypeExprKind::Tuple);
  EXPECT_EQ(f->params[1].type->args.size(), 1u);
  auto* paren = static_cast<CallExpr*>(static_cast<ExprStmt*>(f->body->stmts[0])->expr);
  EXPECT_TRUE(static_cast<FieldExpr*>(paren->callee)->parenthesized);
  auto* method = static_cast<CallExpr*>(static_cast<ExprStmt*>(f->body->stmts[1])->expr);
  EXPECT_FALSE(static_cast<FieldExpr*>(method->callee)->parenthesized);
  ASSERT_EQ(f->body->stmts.size(), 3u);
  auto* m = static_cast<MatchExpr*>(static_cast<LetStmt*>(f->body->stmts[2])->init);
  ASSERT_EQ(m->arms.size(), 2u);
  EXPECT_EQ(m->arms[0].pattern->kind, PatternKind::Tuple);
  EXPECT_EQ(m->arms[1].pattern->kind, PatternKind::Binding);
}

TEST(Parser, StructLiteralsAreNotParsedInConditions) {
  auto c = compile("fn f() { if x == y { log(1); } let p = Point { x: 1, y: 2 }; }", false);
  ASSERT_TRUE(c->ok);
  auto* f = static_cast<FnDecl*>(c->module->decls[0]);
  EXPECT_EQ(static_cast<ExprStmt*>(f->body->stmts[0])->expr->kind, ExprKind::If);
  EXPECT_EQ(static_cast<LetStmt*>(f->body->stmts[1])->init->kind, ExprKind::StructLit);
}

TEST(Parser, BlockLikeStatementEndsAtItsBrace) {
  // `if c {} *p = 1;` is an if and an assignment, not a multiplication.
  auto c = compile("fn f() { if c { } *p = 1; }", false);
  ASSERT_TRUE(c->ok);
  auto* f = static_cast<FnDecl*>(c->module->decls[0]);
  ASSERT_EQ(f->body->stmts.size(), 2u);
  EXPECT_EQ(f->body->stmts[1]->kind, StmtKind::Assign);
}

TEST(Parser, MatchArmsBlocksAndExpressions) {
  auto c = compile(R"(fn f() { let v = match s { Shape.Circle(r) => r, Shape.Rect(w, _) => { w } _ => 0.0 }; })", false);
  ASSERT_TRUE(c->ok);
  auto* f = static_cast<FnDecl*>(c->module->decls[0]);
  auto* m = static_cast<MatchExpr*>(static_cast<LetStmt*>(f->body->stmts[0])->init);
  ASSERT_EQ(m->arms.size(), 3u);
  EXPECT_EQ(m->arms[0].pattern->kind, PatternKind::Variant);
  EXPECT_EQ(m->arms[1].pattern->subs[1]->kind, PatternKind::Wildcard);
  EXPECT_EQ(m->arms[2].pattern->kind, PatternKind::Wildcard);
}

TEST(Parser, EveryStatementForm) {
  auto c = compile(R"(
fn f() {
  spawn work(1);
  spawn_with_handle h = work(2);
  let r = await h;
  for i in range(10) { if i == 2 { continue; } else if i == 5 { break; } }
  while x < 3 { x += 1; }
  if let Option.Some(v) = o { log(v); }
  let cl = fn(a: i32) -> i32 { return a; };
  let t = (1, "a");
  let z = t.0;
  let s = xs[1:3];
  let e = xs[:];
  let n = sizeof(i32);
  let q = try g();
  unsafe { *p = 1; }
  return;
}
)", false);
  ASSERT_TRUE(c->ok) << c->codes().size();
}

TEST(Parser, EmptyListsMayBeWrittenNone) {
  auto c = compile("fn f(none) -> void { g(none); } struct E { none } enum F { none }", false);
  ASSERT_TRUE(c->ok);
  EXPECT_TRUE(static_cast<FnDecl*>(c->module->decls[0])->params.empty());
}

TEST(Parser, MissingSemicolonIsReportedAtEndOfLine) {
  auto c = compile("fn f() {\n  let x = 1\n  let y = 2;\n}\n", false);
  ASSERT_EQ(c->codes(), std::vector<std::string>{"E0011"});
  const Diagnostic& d = c->diags->all()[0];
  LineCol lc = c->sources.file(0).line_col(d.span.begin);
  EXPECT_EQ(lc.line, 2u);
  EXPECT_EQ(lc.col, 12u);
}

TEST(Parser, ReportsEveryIndependentError) {
  auto c = compile("fn f() { let = 1; }\nfn g() { let y = ; }\nstruct { }\nfn h() { x = 1 }\n", false);
  EXPECT_GE(c->codes().size(), 3u);
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "fn f() { let x = " + std::string(5000, '(') + "1" + std::string(5000, ')') + "; }";
  auto c = compile(deep, false);
  auto codes = c->codes();
  ASSERT_FALSE(codes.empty());
  EXPECT_EQ(codes[0], "E0015");
  std::string blocks = "fn f() " + std::string(3000, '{') + std::string(3000, '}');
  EXPECT_FALSE(compile(blocks, false)->ok);
}

TEST(Parser, GarbageNeverCrashes) {
  for (const char* text : {"}}}}", "fn", "fn f(", "struct S {", "match", "fn f() { match x { ", "#[", "#[x(",
                           "let", "extern \"C\" fn", "impl", "fn f() -> { }", "enum E { A(", "fn f() { a[:", "(((",
                           "fn f() { if { } }", "fn f() { x.; }", "const = ;"}) {
    auto c = compile(text, false);
    EXPECT_FALSE(c->ok) << text;
  }
}

}  // namespace
}  // namespace asthra
