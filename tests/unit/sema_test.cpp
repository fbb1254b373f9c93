// Sema: types recorded on the tree, literal typing, and the checks that
// must accept correct code and reject wrong code.
#include <gtest/gtest.h>

#include "frontend_helpers.h"

namespace asthra {
namespace {

using testing::compile;

std::vector<std::string> errors_of(const std::string& body) {
  auto c = compile(body);
  return c->codes();
}

TEST(Sema, SeedLikeProgramIsClean) {
  auto c = compile(R"(
fn main() -> void {
  let data: []u8 = [1, 2, 3];
  let p: *mut u8 = unsafe { libc.malloc(8) as *mut u8 };
  unsafe { libc.free(p as *mut void); }
  log("n = " + data.len);
}
)");
  EXPECT_TRUE(c->ok);
  EXPECT_TRUE(c->codes().empty());
}

TEST(Sema, IntegerLiteralsTakeTheExpectedType) {
  auto c = compile("fn main() { let a: u8 = 255; let b = a + 1; let c: i64 = -9223372036854775808; }");
  ASSERT_TRUE(c->ok);
  auto* main = static_cast<FnDecl*>(c->module->decls[0]);
  auto* b = static_cast<LetStmt*>(main->body->stmts[1]);
  EXPECT_EQ(b->init->type->name, "u8");
  EXPECT_EQ(errors_of("fn main() { let a: u8 = 256; }"), std::vector<std::string>{"E0111"});
  EXPECT_EQ(errors_of("fn main() { let a: u8 = -1; }"), std::vector<std::string>{"E0111"});
}

TEST(Sema, NoImplicitNumericConversions) {
  EXPECT_EQ(errors_of("fn main() { let a: i32 = 1; let b: i64 = 2; let c = a + b; }"),
            std::vector<std::string>{"E0109"});
  EXPECT_EQ(errors_of("fn main() { let a: i32 = 1; let b: i64 = a; }"), std::vector<std::string>{"E0103"});
  EXPECT_TRUE(compile("fn main() { let a: i32 = 1; let b: i64 = a as i64; }")->ok);
}

TEST(Sema, UnsafeOperationsNeedUnsafe) {
  EXPECT_EQ(errors_of("fn main() { let p = libc.malloc(4); }"), std::vector<std::string>{"E0401"});
  EXPECT_EQ(errors_of("fn main() { let p: *mut u8 = 0 as *mut u8; let x = *p; }"),
            std::vector<std::string>{"E0401"});
  EXPECT_EQ(errors_of("fn main() { unsafe { log(1); } }"), std::vector<std::string>{"W0401"});
}

TEST(Sema, MatchMustBeExhaustive) {
  const char* decl = "enum E { A, B(i32), C }\n";
  EXPECT_EQ(errors_of(std::string(decl) + "fn main() { let e = E.A; match e { E.A => {} E.B(x) => {} } }"),
            std::vector<std::string>{"E0201"});
  EXPECT_TRUE(compile(std::string(decl) + "fn main() { let e = E.A; match e { E.A => {} _ => {} } }")->ok);
  EXPECT_EQ(errors_of("fn main() { match 3 { 1 => {} } }"), std::vector<std::string>{"E0201"});
  EXPECT_TRUE(compile("fn main() { match true { true => {} false => {} } }")->ok);
  // Nested: Some(true) and Some(false) and None cover Option<bool>.
  EXPECT_TRUE(compile("fn main() { let o: Option<bool> = Option.None; match o { Option.Some(true) => {} "
                      "Option.Some(false) => {} Option.None => {} } }")->ok);
}

TEST(Sema, RecursiveEnumExhaustivenessTerminates) {
  auto c = compile("enum T { Leaf, Node(T, T, T, T) }\n"
                   "fn f(t: T) -> i32 { return match t { T.Leaf => 0, T.Node(a, b, c, d) => 1 }; }\n"
                   "fn main() {}");
  EXPECT_TRUE(c->ok);
}

TEST(Sema, MissingReturnIsReported) {
  EXPECT_EQ(errors_of("fn f(x: bool) -> i32 { if x { return 1; } }\nfn main() {}"),
            std::vector<std::string>{"E0202"});
  EXPECT_TRUE(compile("fn f(x: bool) -> i32 { if x { return 1; } else { return 2; } }\nfn main() {}")->ok);
}

TEST(Sema, ImmutableBindingsCannotBeAssigned) {
  EXPECT_EQ(errors_of("fn main() { let x = 1; x = 2; }"), std::vector<std::string>{"E0108"});
  // Slice elements are assignable through any binding (language.md).
  EXPECT_TRUE(compile("fn main() { let s: []i32 = [1, 2]; s[0] = 5; }")->ok);
}

TEST(Sema, InfiniteStructIsRejectedButRecursiveEnumIsBoxed) {
  EXPECT_EQ(errors_of("struct S { s: S }\nfn main() {}"), std::vector<std::string>{"E0119"});
  auto c = compile("struct Node { v: i32, next: Option<Node> }\nfn main() {}");
  EXPECT_TRUE(c->ok);
}

TEST(Sema, UndefinedNamesSuggestNearMisses) {
  auto c = compile("fn main() { let count = 1; log(cuont); }");
  ASSERT_EQ(c->codes(), std::vector<std::string>{"E0101"});
  EXPECT_EQ(c->diags->all()[0].help, "did you mean `count`?");
}

TEST(Sema, LaterMilestoneFeaturesSayNotSupportedYet) {
  EXPECT_EQ(errors_of("struct S { v: i32 }\nimpl S { fn m<U>(self, u: U) -> U { return u; } }\nfn main() {}"),
            std::vector<std::string>{"E0901"});
}

TEST(Sema, GenericsAreInstantiatedPerUse) {
  auto c = compile("fn id<T>(x: T) -> T { return x; }\nfn main() { let a = id(1); let b = id(\"s\"); }");
  ASSERT_TRUE(c->ok);
  auto* main = static_cast<FnDecl*>(c->module->decls[1]);
  EXPECT_EQ(static_cast<LetStmt*>(main->body->stmts[0])->init->type->name, "i64");
  EXPECT_EQ(static_cast<LetStmt*>(main->body->stmts[1])->init->type->name, "string");
}

TEST(Sema, OwnershipDiagnosticsFireAndCorrectCodeIsClean) {
  EXPECT_EQ(errors_of("fn main() { let p: *mut u8 = unsafe { libc.malloc(4) as *mut u8 };\n"
                      "unsafe { libc.free(p as *mut void); libc.free(p as *mut void); } }"),
            std::vector<std::string>{"E0302"});
  EXPECT_EQ(errors_of("fn main() { let p: *mut u8 = unsafe { libc.malloc(4) as *mut u8 }; }"),
            std::vector<std::string>{"W0301"});
  EXPECT_TRUE(errors_of("fn main() { let p: *mut u8 = unsafe { libc.malloc(4) as *mut u8 };\n"
                        "if p == (0 as *mut u8) { return; }\nunsafe { libc.free(p as *mut void); } }").empty());
}

// check_binary asks at every level whether each operand is an untyped
// literal (a memo on the node answers it); the answer must not change what
// the chain's literals become.
TEST(Sema, LiteralsInALongChainTakeTheTypedOperandsType) {
  std::string ones = "1";
  for (int i = 1; i < 500; ++i) ones += " + 1";
  auto c = compile("fn main() { let x: u8 = 1; let y = " + ones + " + x + " + ones + "; let z: u8 = y; }");
  ASSERT_TRUE(c->ok) << ::testing::PrintToString(c->codes());
  auto* main = static_cast<FnDecl*>(c->module->decls[0]);
  auto* y = static_cast<LetStmt*>(main->body->stmts[1]);
  EXPECT_EQ(y->init->type->name, "u8");
  // The leftmost literal, 1,000 levels down, took `u8` from `x`.
  const Expr* e = y->init;
  while (e->kind == ExprKind::Binary) e = static_cast<const BinaryExpr*>(e)->lhs;
  EXPECT_EQ(e->kind, ExprKind::IntLit);
  EXPECT_EQ(e->type->name, "u8");
  // A chain of literals alone is `i64`; one that does not fit its typed
  // operand is still reported.
  EXPECT_TRUE(compile("fn main() { let y = " + ones + "; let z: i64 = y; }")->ok);
  EXPECT_EQ(errors_of("fn main() { let x: u8 = 1; let y = " + ones + " + 256 + x; }"),
            std::vector<std::string>{"E0111"});
}

}  // namespace
}  // namespace asthra
