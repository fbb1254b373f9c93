#include "compiler/ast/clone.h"

#include "compiler/base/check.h"

namespace asthra {
namespace {

class Cloner {
 public:
  explicit Cloner(Arena& arena) : a_(arena) {}

  TypeExpr* type(const TypeExpr* t) {
    if (!t) return nullptr;
    auto* c = a_.make<TypeExpr>(*t);
    for (auto& arg : c->args) arg = type(arg);
    c->inner = type(t->inner);
    c->size = expr(t->size);
    return c;
  }

  Pattern* pattern(const Pattern* p) {
    if (!p) return nullptr;
    auto* c = a_.make<Pattern>(*p);
    for (auto& s : c->subs) s = pattern(s);
    c->literal = expr(p->literal);
    c->symbol = nullptr;
    c->type = nullptr;
    return c;
  }

  BlockExpr* block(const BlockExpr* b) { return static_cast<BlockExpr*>(expr(b)); }

  std::vector<Param> params(const std::vector<Param>& ps) {
    std::vector<Param> out = ps;
    for (Param& p : out) {
      p.type = type(p.type);
      p.symbol = nullptr;
    }
    return out;
  }

  template <typename T>
  T* copy(const Expr* e) {
    auto* c = a_.make<T>(*static_cast<const T*>(e));
    c->type = nullptr;
    c->untyped_literal = Expr::UntypedLiteral::Unknown;
    return c;
  }

  Expr* expr(const Expr* e) {
    if (!e) return nullptr;
    switch (e->kind) {
      case ExprKind::IntLit: return copy<IntLit>(e);
      case ExprKind::FloatLit: return copy<FloatLit>(e);
      case ExprKind::StringLit: return copy<StringLit>(e);
      case ExprKind::CharLit: return copy<CharLit>(e);
      case ExprKind::BoolLit: return copy<BoolLit>(e);
      case ExprKind::VoidLit: return copy<VoidLit>(e);
      case ExprKind::Name: {
        auto* c = copy<NameExpr>(e);
        c->symbol = nullptr;
        return c;
      }
      case ExprKind::Path: {
        auto* c = copy<PathExpr>(e);
        c->owner = type(c->owner);
        c->symbol = nullptr;
        return c;
      }
      case ExprKind::Unary: {
        auto* c = copy<UnaryExpr>(e);
        c->operand = expr(c->operand);
        return c;
      }
      case ExprKind::Binary: {
        auto* c = copy<BinaryExpr>(e);
        c->lhs = expr(c->lhs);
        c->rhs = expr(c->rhs);
        return c;
      }
      case ExprKind::Call: {
        auto* c = copy<CallExpr>(e);
        c->callee = expr(c->callee);
        for (auto& x : c->args) x = expr(x);
        c->method = nullptr;
        return c;
      }
      case ExprKind::Field: {
        auto* c = copy<FieldExpr>(e);
        c->object = expr(c->object);
        c->symbol = nullptr;
        return c;
      }
      case ExprKind::Index: {
        auto* c = copy<IndexExpr>(e);
        c->object = expr(c->object);
        c->index = expr(c->index);
        return c;
      }
      case ExprKind::SliceRange: {
        auto* c = copy<SliceRangeExpr>(e);
        c->object = expr(c->object);
        c->lo = expr(c->lo);
        c->hi = expr(c->hi);
        return c;
      }
      case ExprKind::Cast: {
        auto* c = copy<CastExpr>(e);
        c->operand = expr(c->operand);
        c->target = type(c->target);
        return c;
      }
      case ExprKind::StructLit: {
        auto* c = copy<StructLitExpr>(e);
        c->type_expr = type(c->type_expr);
        for (auto& f : c->fields) f.value = expr(f.value);
        return c;
      }
      case ExprKind::ArrayLit: {
        auto* c = copy<ArrayLitExpr>(e);
        for (auto& x : c->elements) x = expr(x);
        return c;
      }
      case ExprKind::ArrayRepeat: {
        auto* c = copy<ArrayRepeatExpr>(e);
        c->value = expr(c->value);
        c->count = expr(c->count);
        return c;
      }
      case ExprKind::TupleLit: {
        auto* c = copy<TupleLitExpr>(e);
        for (auto& x : c->elements) x = expr(x);
        return c;
      }
      case ExprKind::Block: {
        auto* c = copy<BlockExpr>(e);
        for (auto& s : c->stmts) s = stmt(s);
        c->tail = expr(c->tail);
        return c;
      }
      case ExprKind::If: {
        auto* c = copy<IfExpr>(e);
        c->let_pattern = pattern(c->let_pattern);
        c->cond = expr(c->cond);
        c->then_block = block(c->then_block);
        c->else_branch = expr(c->else_branch);
        return c;
      }
      case ExprKind::Match: {
        auto* c = copy<MatchExpr>(e);
        c->scrutinee = expr(c->scrutinee);
        for (auto& arm : c->arms) {
          arm.pattern = pattern(arm.pattern);
          arm.body = expr(arm.body);
        }
        return c;
      }
      case ExprKind::Closure: {
        auto* c = copy<ClosureExpr>(e);
        c->params = params(c->params);
        c->ret = type(c->ret);
        c->body = block(c->body);
        c->captures.clear();
        return c;
      }
      case ExprKind::Sizeof: {
        auto* c = copy<SizeofExpr>(e);
        c->target = type(c->target);
        c->target_type = nullptr;
        return c;
      }
      case ExprKind::Try: {
        auto* c = copy<TryExpr>(e);
        c->operand = expr(c->operand);
        return c;
      }
      case ExprKind::Await: {
        auto* c = copy<AwaitExpr>(e);
        c->operand = expr(c->operand);
        return c;
      }
    }
    ASTHRA_UNREACHABLE("expression kind in clone");
  }

  Stmt* stmt(const Stmt* s) {
    switch (s->kind) {
      case StmtKind::Let: {
        auto* c = a_.make<LetStmt>(*static_cast<const LetStmt*>(s));
        c->type = type(c->type);
        c->init = expr(c->init);
        c->symbol = nullptr;
        return c;
      }
      case StmtKind::Assign: {
        auto* c = a_.make<AssignStmt>(*static_cast<const AssignStmt*>(s));
        c->target = expr(c->target);
        c->value = expr(c->value);
        return c;
      }
      case StmtKind::Expr: {
        auto* c = a_.make<ExprStmt>(*static_cast<const ExprStmt*>(s));
        c->expr = expr(c->expr);
        return c;
      }
      case StmtKind::While: {
        auto* c = a_.make<WhileStmt>(*static_cast<const WhileStmt*>(s));
        c->cond = expr(c->cond);
        c->body = block(c->body);
        return c;
      }
      case StmtKind::For: {
        auto* c = a_.make<ForStmt>(*static_cast<const ForStmt*>(s));
        c->iterable = expr(c->iterable);
        c->body = block(c->body);
        c->symbol = nullptr;
        return c;
      }
      case StmtKind::Return: {
        auto* c = a_.make<ReturnStmt>(*static_cast<const ReturnStmt*>(s));
        c->value = expr(c->value);
        return c;
      }
      case StmtKind::Break: return a_.make<BreakStmt>(*static_cast<const BreakStmt*>(s));
      case StmtKind::Continue: return a_.make<ContinueStmt>(*static_cast<const ContinueStmt*>(s));
      case StmtKind::Spawn: {
        auto* c = a_.make<SpawnStmt>(*static_cast<const SpawnStmt*>(s));
        c->call = expr(c->call);
        c->symbol = nullptr;
        return c;
      }
    }
    ASTHRA_UNREACHABLE("statement kind in clone");
  }

 private:
  Arena& a_;
};

}  // namespace

FnDecl* clone_fn(Arena& arena, const FnDecl* f) {
  Cloner c(arena);
  auto* out = arena.make<FnDecl>(*f);
  out->params = c.params(f->params);
  out->ret = c.type(f->ret);
  out->body = f->body ? c.block(f->body) : nullptr;
  out->symbol = nullptr;
  return out;
}

}  // namespace asthra
