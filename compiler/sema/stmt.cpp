// Blocks and statements: scopes, `let`, assignment and mutability, loops,
// `return`, `unsafe` blocks, and the rule that a function with a value must
// return one on every path.
#include <fmt/format.h>

#include "compiler/base/check.h"
#include "compiler/sema/checker.h"

namespace asthra {

void Checker::check_fn_body(FnDecl* f) {
  InPackage in(*this, f);
  cur_fn_ = f;
  cur_owner_ = f;
  int errors_before = diags_.error_mark();
  check_body(f->params, f->symbol->type, f->body, f->name, f->name_span);
  int errors = diags_.error_mark() - errors_before;
  f->body_has_type_errors = errors > 0;
  body_errors_ += errors;
  cur_fn_ = nullptr;
  cur_owner_ = nullptr;
}

// The body of a function or closure of type `ft` with these parameters.
void Checker::check_body(std::vector<Param>& params, const Type* ft, BlockExpr* body, const std::string& name,
                         Span name_span) {
  cur_ret_ = ft->elem;
  cur_fn_name_ = name;
  push_scope();
  for (size_t i = 0; i < params.size(); ++i) {
    Param& p = params[i];
    if (Symbol* prev = scopes_.back().count(p.name) ? scopes_.back()[p.name] : nullptr) {
      diags_.report(DiagCode::E0102, p.span, fmt::format("parameter `{}` is declared more than once", p.name))
          .note(prev->span, "first declared here");
    }
    p.symbol = declare_local(p.name, p.span, ft->elems[i], p.is_mut,
                             p.is_self ? Symbol::Binding::Self : Symbol::Binding::Param);
  }
  bool want_value = cur_ret_->kind != TypeKind::Void && cur_ret_->kind != TypeKind::Never;
  // A final `if` whose chain has no `else` is a statement, never the
  // function's value.
  Expr* tail = body->tail;
  auto has_else_everywhere = [](Expr* e) {
    while (e && e->kind == ExprKind::If) e = static_cast<IfExpr*>(e)->else_branch;
    return e != nullptr;
  };
  bool tail_is_value = want_value && tail && (tail->kind != ExprKind::If || has_else_everywhere(tail));
  const Type* t = check_block(body, want_value ? cur_ret_ : nullptr, tail_is_value);
  // A tail that gives no value (a `match` whose arms are statements) leaves
  // the end reachable: that is a missing return, not a type mismatch.
  bool falls_off = want_value && t->kind != TypeKind::Never && !t->is_error() &&
                   (!tail_is_value || t->kind == TypeKind::Void);
  if (cur_ret_->kind == TypeKind::Never && t->kind != TypeKind::Never && !t->is_error()) {
    diags_.report(DiagCode::E0202, body->close_span,
                  fmt::format("function `{}` returns `Never` but may reach its end", name))
        .note(name_span, "the function is declared here")
        .help("end every path with a call that does not return (`exit`, `panic`, a `Never` function) or an "
              "endless `while true` loop");
  } else if (falls_off) {
    diags_.report(DiagCode::E0202, body->close_span,
                  fmt::format("function `{}` may reach its end without returning a value of type `{}`", name,
                              cur_ret_->name))
        .note(name_span, "the function is declared here")
        .help("add a `return` on every path");
  } else if (tail_is_value && !compatible(t, cur_ret_)) {
    mismatch(tail->span, cur_ret_, t, "the function's result");
  } else if (cur_ret_->kind == TypeKind::Void && tail && tail->type && tail->kind != ExprKind::If &&
             tail->kind != ExprKind::Match && tail->kind != ExprKind::Block) {
    // `fn main() { 5 }`: a value at the end of a `void` function is a
    // mistake (a missing `-> T` or `;`), as in Rust. Block-like tails (`if`,
    // `match`, blocks) are statements there.
    const Type* tt = tail->type;
    if (tt->kind != TypeKind::Void && tt->kind != TypeKind::Never && !tt->is_error()) {
      diags_.report(DiagCode::E0103, tail->span,
                    fmt::format("mismatched types: expected `void`, found `{}` at the end of `{}`, which returns no value",
                                tt->name, name))
          .help(fmt::format("add `;` to discard the value, or declare the result: `-> {}`", tt->name));
    }
  }
  pop_scope();
}

// Checks the statements and the tail of a block in the current scope.  The
// block's type is its tail's, `Never` when a statement always diverges, or
// `void`.
const Type* Checker::check_block(BlockExpr* b, const Type* expected, bool want_value) {
  if (b->is_unsafe) unsafe_used_.push_back(false);
  int errors_before = diags_.error_mark();
  bool diverged = false;
  for (Stmt* s : b->stmts) diverged |= check_stmt(s);
  const Type* t = types_.void_();
  if (b->tail) {
    t = check(b->tail, expected, want_value);
    if (!want_value && t->kind != TypeKind::Never) t = types_.void_();
  }
  if (diverged) {
    // The tail is never reached, yet it is the block's value as written (and
    // emitted): it must still have the type wanted, as in Rust.
    if (b->tail && want_value && expected && !compatible(t, expected)) mismatch(b->tail->span, expected, t, "the block's value");
    t = types_.never();
  }
  b->type = t;  // also for blocks checked here directly (bodies, branches)
  if (b->is_unsafe) {
    bool used = unsafe_used_.back();
    unsafe_used_.pop_back();
    // An erroneous operation inside may have been the unsafe one.
    if (!used && diags_.error_mark() == errors_before) {
      Span kw{b->span.file, b->span.begin, b->span.begin + 6};
      diags_.report(DiagCode::W0401, kw, "`unsafe` block contains no unsafe operation")
          .help("remove `unsafe`");
    } else if (!unsafe_used_.empty()) {
      unsafe_used_.back() = true;
    }
  }
  return t;
}

bool Checker::check_stmt(Stmt* s) {
  switch (s->kind) {
    case StmtKind::Let: {
      auto* let = static_cast<LetStmt*>(s);
      const Type* declared = let->type ? resolve_type(let->type) : nullptr;
      const Type* t;
      if (declared) {
        if (declared->kind == TypeKind::Void || declared->kind == TypeKind::Never) {
          diags_.report(DiagCode::E0103, let->type->span, fmt::format("a variable cannot have type `{}`", declared->name));
          declared = types_.error();
        }
        expect_type(let->init, declared, "`let`");
        t = declared;
      } else {
        t = check(let->init, nullptr);
        if (t->kind == TypeKind::Void) {
          diags_.report(DiagCode::E0103, let->init->span, "this expression has no value (`void`)");
          t = types_.error();
        } else if (t->kind == TypeKind::Never) {
          diags_.report(DiagCode::E0103, let->init->span, "this expression never produces a value (`Never`)")
              .help("call it as a statement, or give the binding the type the code after it expects: "
                    "`let x: T = ...`");
          t = types_.error();
        }
      }
      let->symbol = declare_local(let->name, let->name_span, t, let->is_mut);
      return diverges(let->init->type);
    }
    case StmtKind::Assign:
      check_assign(static_cast<AssignStmt*>(s));
      return false;
    case StmtKind::Expr: {
      const Type* t = check(static_cast<ExprStmt*>(s)->expr, nullptr, false);
      return diverges(t);
    }
    case StmtKind::While: {
      auto* w = static_cast<WhileStmt*>(s);
      expect_type(w->cond, types_.bool_(), "`while` condition");
      loop_breaks_.push_back(false);
      push_scope();
      check_block(w->body, nullptr, false);
      pop_scope();
      bool broken_out_of = loop_breaks_.back();
      loop_breaks_.pop_back();
      // `while true` is the language's endless loop (it has no `loop`): as
      // in Go and Zig, code after one that no `break` leaves is unreachable.
      bool forever = w->cond->kind == ExprKind::BoolLit && static_cast<BoolLit*>(w->cond)->value;
      return forever && !broken_out_of;
    }
    case StmtKind::For:
      check_for(static_cast<ForStmt*>(s));
      return false;
    case StmtKind::Return: {
      auto* r = static_cast<ReturnStmt*>(s);
      if (!cur_ret_) {  // e.g. in a constant's initialiser (E0118 there)
        if (r->value) check(r->value, nullptr);
        return true;
      }
      if (r->value) {
        if (cur_ret_->kind == TypeKind::Void) {
          const Type* t = check(r->value, nullptr);
          if (t->kind != TypeKind::Void && !t->is_error())
            diags_.report(DiagCode::E0103, r->value->span,
                          fmt::format("function `{}` returns `void` but this returns `{}`", cur_fn_->name, t->name))
                .help("remove the value, or declare a return type: `-> T`");
        } else {
          expect_type(r->value, cur_ret_, "`return`");
        }
      } else if (cur_ret_->kind != TypeKind::Void) {
        diags_.report(DiagCode::E0103, r->span, fmt::format("`return;` in a function that returns `{}`", cur_ret_->name))
            .help("return a value: `return value;`");
      }
      return true;
    }
    case StmtKind::Break:
    case StmtKind::Continue:
      if (s->kind == StmtKind::Break && !loop_breaks_.empty()) loop_breaks_.back() = true;
      if (loop_breaks_.empty()) {
        diags_.report(DiagCode::E0203, s->span,
                      fmt::format("`{}` outside of a loop", s->kind == StmtKind::Break ? "break" : "continue"));
      }
      return true;
    case StmtKind::Spawn: {
      auto* sp = static_cast<SpawnStmt*>(s);
      sp->id = next_id_++;
      const Type* r = types_.error();
      if (sp->call->kind != ExprKind::Call) {
        diags_.report(DiagCode::E0107, sp->call->span, "`spawn` needs a function call: `spawn f(args);`");
        check(sp->call, nullptr);
      } else {
        r = check(sp->call, nullptr);
        auto* call = static_cast<CallExpr*>(sp->call);
        bool builtin = call->callee->kind == ExprKind::Name && static_cast<NameExpr*>(call->callee)->symbol &&
                       static_cast<NameExpr*>(call->callee)->symbol->kind == SymbolKind::Builtin;
        if (builtin || (call->callee->kind == ExprKind::Field && !call->method &&
                        static_cast<FieldExpr*>(call->callee)->object->kind == ExprKind::Name &&
                        static_cast<NameExpr*>(static_cast<FieldExpr*>(call->callee)->object)->symbol &&
                        static_cast<NameExpr*>(static_cast<FieldExpr*>(call->callee)->object)->symbol->kind != SymbolKind::Local)) {
          diags_.report(DiagCode::E0107, call->callee->span, "`spawn` runs an Asthra function; built-ins and foreign functions cannot be spawned")
              .help("wrap the call in a function and spawn that");
        }
      }
      if (!sp->handle.empty()) {
        const Type* ht = r->is_error() ? r : types_.handle(r->kind == TypeKind::Never ? types_.void_() : r);
        sp->symbol = declare_local(sp->handle, sp->handle_span, ht, false, Symbol::Binding::Handle);
      }
      return false;
    }
  }
  ASTHRA_UNREACHABLE("statement kind");
}

void Checker::check_assign(AssignStmt* s) {
  const Type* target = check(s->target, nullptr);
  Expr* t = s->target;
  bool ok_target = true;
  switch (t->kind) {
    case ExprKind::Name: {
      Symbol* sym = static_cast<NameExpr*>(t)->symbol;
      if (sym && sym->kind != SymbolKind::Local) {
        diags_.report(DiagCode::E0117, t->span, fmt::format("cannot assign to `{}`", sym->name))
            .help("only variables, fields, elements and `*pointer` can be assigned");
        ok_target = false;
      } else if (sym && sym->owner != cur_owner_) {
        diags_.report(DiagCode::E0128, t->span, fmt::format("cannot assign to `{}`: the closure captured a copy of it", sym->name))
            .note(sym->span, "declared outside the closure here")
            .help("return the new value from the closure instead");
      } else if (sym && !sym->is_mut) {
        diags_.report(DiagCode::E0108, t->span, fmt::format("cannot assign twice to immutable variable `{}`", sym->name))
            .note(sym->span, "declared here")
            .help(make_mutable_help(sym));
      }
      break;
    }
    case ExprKind::Field:
    case ExprKind::Index: {
      if (t->kind == ExprKind::Field) {
        const Type* ot = static_cast<FieldExpr*>(t)->object->type;
        if (ot && (ot->kind == TypeKind::Slice || ot->kind == TypeKind::Array || ot->kind == TypeKind::String)) {
          diags_.report(DiagCode::E0117, t->span, fmt::format("cannot assign to `.{}`", static_cast<FieldExpr*>(t)->field));
          ok_target = false;
          break;
        }
      }
      if (t->kind == ExprKind::Index && static_cast<IndexExpr*>(t)->object->type &&
          static_cast<IndexExpr*>(t)->object->type->kind == TypeKind::String) {
        diags_.report(DiagCode::E0117, t->span, "strings are immutable")
            .help("build a new string, or work on a `[]u8`");
        ok_target = false;
        break;
      }
      bool through = false;
      Symbol* root = place_root(t, &through);
      if (!through) {
        if (!root) {
          diags_.report(DiagCode::E0117, t->span, "cannot assign to a temporary value");
          ok_target = false;
        } else if (root->owner != cur_owner_) {
          diags_.report(DiagCode::E0128, t->span, fmt::format("cannot assign through `{}`: the closure captured a copy of it", root->name))
              .help("return the new value from the closure instead");
        } else if (!root->is_mut) {
          diags_.report(DiagCode::E0108, t->span, fmt::format("cannot assign through immutable variable `{}`", root->name))
              .note(root->span, "declared here")
              .help(make_mutable_help(root));
        }
      }
      break;
    }
    case ExprKind::Unary:
      if (static_cast<UnaryExpr*>(t)->op == Tok::Star) {
        const Type* pt = static_cast<UnaryExpr*>(t)->operand->type;
        if (pt && pt->kind == TypeKind::Ptr && !pt->is_mut) {
          diags_.report(DiagCode::E0108, t->span, fmt::format("cannot write through `{}`", pt->name))
              .help("use a `*mut` pointer");
        }
        break;
      }
      [[fallthrough]];
    default:
      diags_.report(DiagCode::E0117, t->span, "invalid left-hand side of assignment")
          .help("only variables, fields, elements and `*pointer` can be assigned");
      ok_target = false;
  }
  if (s->op == Tok::Eq) {
    if (ok_target) expect_type(s->value, target, "assignment");
    else check(s->value, nullptr);
    return;
  }
  // `a op= b` is `a = a op b` with `a` evaluated once.
  Tok op = s->op == Tok::PlusEq ? Tok::Plus : s->op == Tok::MinusEq ? Tok::Minus
         : s->op == Tok::StarEq ? Tok::Star : s->op == Tok::SlashEq ? Tok::Slash : Tok::Percent;
  const Type* v = check(s->value, target->is_numeric() ? target : nullptr);
  if (target->is_error() || v->is_error()) return;
  bool ok = (target->is_numeric() && target == v) ||
            (op == Tok::Plus && target->kind == TypeKind::String && is_printable(v)) ||
            ((op == Tok::Plus || op == Tok::Minus) && target->kind == TypeKind::Ptr && v->is_integer());
  if (!ok) {
    diags_.report(DiagCode::E0109, s->span,
                  fmt::format("cannot apply {} to `{}` and `{}`", tok_name(s->op), target->name, v->name));
  } else if (target->kind == TypeKind::Ptr) {
    require_unsafe(s->span, "pointer arithmetic");
  }
}

void Checker::check_for(ForStmt* s) {
  const Type* var_type = types_.error();
  Expr* it = s->iterable;
  bool is_range = false;
  if (it->kind == ExprKind::Call) {
    auto* call = static_cast<CallExpr*>(it);
    if (call->callee->kind == ExprKind::Name) {
      auto* n = static_cast<NameExpr*>(call->callee);
      Symbol* sym = lookup(n->name);
      if (sym && sym->kind == SymbolKind::Builtin && sym->builtin == Builtin::Range) {
        is_range = true;
        n->symbol = sym;
        if (call->args.size() < 1 || call->args.size() > 2) {
          diags_.report(DiagCode::E0106, call->span, "`range` takes 1 or 2 arguments: `range(n)` or `range(a, b)`");
          for (Expr* a : call->args) check(a, nullptr);
        } else {
          const Type* t;
          if (call->args.size() == 2 && is_untyped_literal(call->args[0]) && !is_untyped_literal(call->args[1])) {
            t = check(call->args[1], nullptr);
            expect_type(call->args[0], t, "`range`");
          } else {
            t = check(call->args[0], nullptr);
            if (call->args.size() == 2) expect_type(call->args[1], t, "`range`");
          }
          if (!t->is_error() && !t->is_integer())
            diags_.report(DiagCode::E0103, call->args[0]->span, fmt::format("`range` needs integers, found `{}`", t->name));
          else
            var_type = t;
        }
        it->type = var_type;
      }
    }
  }
  if (!is_range) {
    const Type* t = check(it, nullptr);
    if (t->kind == TypeKind::Slice || t->kind == TypeKind::Array) {
      var_type = t->elem;
    } else if (t->kind == TypeKind::String) {
      var_type = types_.char_();
    } else if (!t->is_error()) {
      diags_.report(DiagCode::E0109, it->span, fmt::format("cannot iterate over a value of type `{}`", t->name))
          .help("iterate over `range(n)`, a slice, an array or a string");
    }
  }
  loop_breaks_.push_back(false);
  push_scope();
  s->symbol = declare_local(s->var, s->var_span, var_type, false, Symbol::Binding::Loop);
  check_block(s->body, nullptr, false);
  pop_scope();
  loop_breaks_.pop_back();
}

std::string make_mutable_help(const Symbol* s) {
  switch (s->binding) {
    case Symbol::Binding::Let:
      return fmt::format("make it mutable: `let mut {}`", s->name);
    case Symbol::Binding::Self:
      return "`self` is a copy of the receiver: declare it `mut self` to change that copy (the caller's value "
             "stays as it was), or return the new value";
    case Symbol::Binding::Param:
      return fmt::format("declare the parameter `mut {0}` to change the function's own copy of it", s->name);
    case Symbol::Binding::Loop:
      return "a `for` variable takes each element in turn: copy it into a `let mut` variable to change it";
    case Symbol::Binding::Pattern:
    case Symbol::Binding::Handle:
      break;
  }
  return fmt::format("copy it into a mutable variable first: `let mut {0} = {0};`", s->name);
}

}  // namespace asthra
