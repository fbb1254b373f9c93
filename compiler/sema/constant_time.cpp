// The `#[constant_time]` check (memory-model.md §5): in such a function no
// branch, loop bound, `match`, short-circuit operator, `try`, index or
// divisor may depend on a secret, since each would make time or memory
// access patterns depend on it.
//
// Secrets: every parameter is secret unless tagged `#[public]`; a value is
// secret when anything it is computed from is (calls included — their
// result may reveal their arguments); a local is secret when anything
// assigned to it is (flow-insensitive: iterated to a fixpoint, so a value
// made secret late in a loop taints the whole function).  Lengths (`.len`,
// `len(x)`) and slice pointers are public: the layout of data is not its
// content.  A diagnostic names the construct and shows, in notes, how the
// secret got there.  Codegen adds its part: such functions use wrapping
// arithmetic in every build (an overflow check would be a secret-dependent
// branch) and are never inlined, so their machine code can be inspected.
#include <fmt/format.h>

#include <map>

#include "compiler/sema/ownership.h"

namespace asthra {
namespace {

class ConstantTimeChecker {
 public:
  explicit ConstantTimeChecker(Diagnostics& diags) : diags_(diags) {}

  void check(FnDecl* f) {
    secret_.clear();
    for (Param& p : f->params) {
      bool is_public = false;
      for (const Annotation& a : p.annotations)
        if (a.name == "public") is_public = true;
      if (!is_public && p.symbol) secret_[p.symbol] = Origin{p.span, nullptr};
    }
    // Propagate through locals until nothing changes, then report.
    reporting_ = false;
    for (int round = 0; round < 32; ++round) {
      changed_ = false;
      block(f->body);
      if (!changed_) break;
    }
    reporting_ = true;
    block(f->body);
  }

 private:
  struct Origin {
    Span where;          // the parameter, or the assignment that made it secret
    const Symbol* from;  // the secret it was computed from (null: a parameter)
  };

  // The first secret local `e` reads, or null.
  const Symbol* secret(Expr* e) {
    if (!e) return nullptr;
    switch (e->kind) {
      case ExprKind::Name: {
        const Symbol* s = static_cast<NameExpr*>(e)->symbol;
        return s && secret_.count(s) ? s : nullptr;
      }
      case ExprKind::Unary: return secret(static_cast<UnaryExpr*>(e)->operand);
      case ExprKind::Binary: {
        auto* b = static_cast<BinaryExpr*>(e);
        if (const Symbol* s = secret(b->lhs)) return s;
        return secret(b->rhs);
      }
      case ExprKind::Cast: return secret(static_cast<CastExpr*>(e)->operand);
      case ExprKind::Field: {
        auto* f = static_cast<FieldExpr*>(e);
        if (f->field == "len" || f->field == "ptr") return nullptr;
        return secret(f->object);
      }
      case ExprKind::Index: {
        auto* ix = static_cast<IndexExpr*>(e);
        if (const Symbol* s = secret(ix->object)) return s;
        return secret(ix->index);
      }
      case ExprKind::SliceRange: return secret(static_cast<SliceRangeExpr*>(e)->object);
      case ExprKind::Call: {
        auto* c = static_cast<CallExpr*>(e);
        bool is_len = c->callee->kind == ExprKind::Name && static_cast<NameExpr*>(c->callee)->symbol &&
                      static_cast<NameExpr*>(c->callee)->symbol->builtin == Builtin::Len;
        if (is_len) return nullptr;
        if (c->callee->kind == ExprKind::Field && !static_cast<FieldExpr*>(c->callee)->symbol)
          if (const Symbol* s = secret(static_cast<FieldExpr*>(c->callee)->object)) return s;
        for (Expr* a : c->args)
          if (const Symbol* s = secret(a)) return s;
        return nullptr;
      }
      case ExprKind::StructLit:
        for (FieldInit& f : static_cast<StructLitExpr*>(e)->fields)
          if (const Symbol* s = secret(f.value)) return s;
        return nullptr;
      case ExprKind::ArrayLit:
        for (Expr* x : static_cast<ArrayLitExpr*>(e)->elements)
          if (const Symbol* s = secret(x)) return s;
        return nullptr;
      case ExprKind::TupleLit:
        for (Expr* x : static_cast<TupleLitExpr*>(e)->elements)
          if (const Symbol* s = secret(x)) return s;
        return nullptr;
      case ExprKind::ArrayRepeat: return secret(static_cast<ArrayRepeatExpr*>(e)->value);
      case ExprKind::Block: {
        auto* b = static_cast<BlockExpr*>(e);
        return b->tail ? secret(b->tail) : nullptr;
      }
      case ExprKind::If: {
        auto* i = static_cast<IfExpr*>(e);
        if (const Symbol* s = secret(i->cond)) return s;
        if (const Symbol* s = secret(i->then_block)) return s;
        return secret(i->else_branch);
      }
      case ExprKind::Match: {
        auto* m = static_cast<MatchExpr*>(e);
        if (const Symbol* s = secret(m->scrutinee)) return s;
        for (MatchArm& arm : m->arms)
          if (const Symbol* s = secret(arm.body)) return s;
        return nullptr;
      }
      case ExprKind::Try: return secret(static_cast<TryExpr*>(e)->operand);
      default:
        return nullptr;
    }
  }

  // Calls whose callee is checked too (or cannot branch): `#[constant_time]`
  // functions and methods, conversions, `len`.
  static bool callee_is_constant_time(CallExpr* c) {
    // `Option.Some(x)`, `pkg.Enum.Variant(x)`: an enum constructor builds a
    // value, as a struct literal does.
    if (c->callee->kind == ExprKind::Field && !c->method) {
      const Expr* object = static_cast<FieldExpr*>(c->callee)->object;
      const Symbol* named = object->kind == ExprKind::Name    ? static_cast<const NameExpr*>(object)->symbol
                            : object->kind == ExprKind::Field ? static_cast<const FieldExpr*>(object)->symbol
                                                              : nullptr;
      if (named && named->kind == SymbolKind::Type) return true;
    }
    const Symbol* s = c->method;
    if (!s && c->callee->kind == ExprKind::Name) s = static_cast<NameExpr*>(c->callee)->symbol;
    if (!s && c->callee->kind == ExprKind::Field) s = static_cast<FieldExpr*>(c->callee)->symbol;
    if (!s) return false;
    if (s->kind == SymbolKind::Type) return s->type && s->type->kind != TypeKind::String;  // numeric conversion
    if (s->kind == SymbolKind::Builtin) return s->builtin == Builtin::Len;
    return s->fn && !s->fn->is_extern && is_constant_time(s->fn);
  }

  void taint(const Symbol* local, Expr* value, Span where) {
    if (!local || secret_.count(local)) return;
    if (const Symbol* from = secret(value)) {
      secret_[local] = Origin{where, from};
      changed_ = true;
    }
  }

  void violation(DiagCode code, Span span, const std::string& what, const Symbol* s) {
    if (!reporting_) return;
    auto d = diags_.report(code, span, fmt::format("{} depends on the secret `{}`", what, s->name));
    // The flow, back to a secret parameter.
    const Symbol* cur = s;
    for (int hops = 0; cur && hops < 6; ++hops) {
      const Origin& o = secret_.at(cur);
      d.note(o.where, o.from ? fmt::format("`{}` is secret: it is computed from `{}` here", cur->name, o.from->name)
                             : fmt::format("`{}` is a secret parameter (tag it `#[public]` if it is not)", cur->name));
      cur = o.from;
    }
    d.help(code == DiagCode::E0602 ? "read every element and select with masks, e.g. `(x & mask) | (y & !mask)`"
           : code == DiagCode::E0603 ? "divide only by public values"
                                     : "compute both outcomes and select with masks instead of branching");
  }

  void block(BlockExpr* b) {
    for (Stmt* s : b->stmts) stmt(s);
    if (b->tail) expr(b->tail);
  }

  void stmt(Stmt* s) {
    switch (s->kind) {
      case StmtKind::Let: {
        auto* let = static_cast<LetStmt*>(s);
        expr(let->init);
        taint(let->symbol, let->init, let->init->span);
        return;
      }
      case StmtKind::Assign: {
        auto* a = static_cast<AssignStmt*>(s);
        expr(a->target);
        expr(a->value);
        Expr* root = a->target;
        while (root->kind == ExprKind::Field || root->kind == ExprKind::Index) {
          if (root->kind == ExprKind::Index) {
            auto* ix = static_cast<IndexExpr*>(root);
            if (const Symbol* sec = secret(ix->index)) violation(DiagCode::E0602, ix->index->span, "this index", sec);
          }
          root = root->kind == ExprKind::Field ? static_cast<FieldExpr*>(root)->object : static_cast<IndexExpr*>(root)->object;
        }
        if (root->kind == ExprKind::Name) {
          const Symbol* local = static_cast<NameExpr*>(root)->symbol;
          taint(local, a->value, a->value->span);
          if (a->op != Tok::Eq && (a->op == Tok::SlashEq || a->op == Tok::PercentEq))
            if (const Symbol* sec = secret(a->value)) violation(DiagCode::E0603, a->value->span, "this divisor", sec);
        }
        return;
      }
      case StmtKind::Expr:
        expr(static_cast<ExprStmt*>(s)->expr);
        return;
      case StmtKind::While: {
        auto* w = static_cast<WhileStmt*>(s);
        if (const Symbol* sec = secret(w->cond)) violation(DiagCode::E0601, w->cond->span, "this loop condition", sec);
        expr(w->cond);
        block(w->body);
        return;
      }
      case StmtKind::For: {
        auto* f = static_cast<ForStmt*>(s);
        bool is_range = f->iterable->kind == ExprKind::Call &&
                        static_cast<CallExpr*>(f->iterable)->callee->kind == ExprKind::Name &&
                        static_cast<NameExpr*>(static_cast<CallExpr*>(f->iterable)->callee)->symbol &&
                        static_cast<NameExpr*>(static_cast<CallExpr*>(f->iterable)->callee)->symbol->builtin == Builtin::Range;
        if (is_range) {
          for (Expr* a : static_cast<CallExpr*>(f->iterable)->args)
            if (const Symbol* sec = secret(a)) violation(DiagCode::E0601, a->span, "this loop bound", sec);
        } else {
          // Iterating a secret slice reads every element: the loop variable
          // is secret, the trip count (its length) is not.
          taint(f->symbol, f->iterable, f->iterable->span);
        }
        block(f->body);
        return;
      }
      case StmtKind::Return:
        expr(static_cast<ReturnStmt*>(s)->value);
        return;
      default:
        return;
    }
  }

  void expr(Expr* e) {
    if (!e) return;
    switch (e->kind) {
      case ExprKind::If: {
        auto* i = static_cast<IfExpr*>(e);
        if (const Symbol* sec = secret(i->cond)) violation(DiagCode::E0601, i->cond->span, "this `if` condition", sec);
        expr(i->cond);
        block(i->then_block);
        expr(i->else_branch);
        return;
      }
      case ExprKind::Match: {
        auto* m = static_cast<MatchExpr*>(e);
        if (const Symbol* sec = secret(m->scrutinee)) violation(DiagCode::E0601, m->scrutinee->span, "this `match`", sec);
        expr(m->scrutinee);
        for (MatchArm& arm : m->arms) expr(arm.body);
        return;
      }
      case ExprKind::Binary: {
        auto* b = static_cast<BinaryExpr*>(e);
        // `p + secret` is an address that depends on the secret.
        if ((b->op == Tok::Plus || b->op == Tok::Minus) && b->type && b->type->kind == TypeKind::Ptr)
          if (const Symbol* sec = secret(b->rhs)) violation(DiagCode::E0602, b->rhs->span, "this pointer offset", sec);
        if (b->op == Tok::AmpAmp || b->op == Tok::PipePipe) {
          if (const Symbol* sec = secret(b->lhs))
            violation(DiagCode::E0601, b->lhs->span, fmt::format("the short-circuit {}", tok_name(b->op)), sec);
        }
        if ((b->op == Tok::Slash || b->op == Tok::Percent) && b->type && b->type->is_integer())
          if (const Symbol* sec = secret(b->rhs)) violation(DiagCode::E0603, b->rhs->span, "this divisor", sec);
        expr(b->lhs);
        expr(b->rhs);
        return;
      }
      case ExprKind::Index: {
        auto* ix = static_cast<IndexExpr*>(e);
        if (const Symbol* sec = secret(ix->index)) violation(DiagCode::E0602, ix->index->span, "this index", sec);
        expr(ix->object);
        expr(ix->index);
        return;
      }
      case ExprKind::SliceRange: {
        auto* s = static_cast<SliceRangeExpr*>(e);
        for (Expr* bound : {s->lo, s->hi})
          if (const Symbol* sec = secret(bound)) violation(DiagCode::E0602, bound->span, "this slice bound", sec);
        expr(s->object);
        return;
      }
      case ExprKind::Try: {
        auto* t = static_cast<TryExpr*>(e);
        if (const Symbol* sec = secret(t->operand)) violation(DiagCode::E0601, t->span, "this `try`", sec);
        expr(t->operand);
        return;
      }
      case ExprKind::Unary: expr(static_cast<UnaryExpr*>(e)->operand); return;
      case ExprKind::Cast: expr(static_cast<CastExpr*>(e)->operand); return;
      case ExprKind::Field: expr(static_cast<FieldExpr*>(e)->object); return;
      case ExprKind::Call: {
        auto* c = static_cast<CallExpr*>(e);
        if (c->callee->kind == ExprKind::Field) expr(static_cast<FieldExpr*>(c->callee)->object);
        for (Expr* a : c->args) expr(a);
        // Code that is not itself checked may branch on what it is given.
        if (!callee_is_constant_time(c)) {
          for (Expr* a : c->args)
            if (const Symbol* sec = secret(a)) {
              violation(DiagCode::E0601, a->span, "an argument to a function that is not `#[constant_time]`", sec);
              break;
            }
        }
        return;
      }
      case ExprKind::Block: block(static_cast<BlockExpr*>(e)); return;
      case ExprKind::StructLit:
        for (FieldInit& f : static_cast<StructLitExpr*>(e)->fields) expr(f.value);
        return;
      case ExprKind::ArrayLit:
        for (Expr* x : static_cast<ArrayLitExpr*>(e)->elements) expr(x);
        return;
      case ExprKind::TupleLit:
        for (Expr* x : static_cast<TupleLitExpr*>(e)->elements) expr(x);
        return;
      default:
        return;
    }
  }

  Diagnostics& diags_;
  std::map<const Symbol*, Origin> secret_;
  bool changed_ = false;
  bool reporting_ = false;
};

}  // namespace

static bool has_annotation(const FnDecl* f, std::string_view name) {
  for (const Annotation& a : f->annotations)
    if (a.name == name) return true;
  return false;
}

bool is_constant_time(const FnDecl* f) { return has_annotation(f, "constant_time"); }
bool is_volatile_memory(const FnDecl* f) { return has_annotation(f, "volatile_memory"); }
bool is_track_caller(const FnDecl* f) { return has_annotation(f, "track_caller"); }

void check_constant_time(Program& program, Diagnostics& diags) {
  ConstantTimeChecker checker(diags);
  for (FnDecl* f : program.functions)
    if (f->body && !f->body_has_syntax_errors && !f->body_has_type_errors && is_constant_time(f)) checker.check(f);
}

}  // namespace asthra
