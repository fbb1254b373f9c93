// Annotation checks (memory-model.md §1-§2, rule 6): every `#[...]` in the
// program, wherever it is written (declarations, struct fields, enum
// variants, impl blocks, trait and impl methods, parameters and returns of
// functions, closures and function types, variables), goes through one
// function, AnnotationChecker::check, with the place it was written.  It must
// be a memory tag in a place the tables allow, a security or review tag, or
// a general `#[name(key = value)]` tag; anything else is an error, and a
// near miss of a memory tag is named (`#[transfer_ful]`: did you mean
// `#[transfer_full]`?).  Runs after type checking, so transfer tags can be
// checked against the annotated types.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/base/spelling.h"
#include "compiler/sema/ownership.h"

namespace asthra {
namespace {

enum class Place { Function, Extern, TypeDecl, Field, Variant, Impl, OtherDecl, Param, Return, Let };

const char* place_name(Place p) {
  switch (p) {
    case Place::Function: return "a function";
    case Place::Extern: return "an extern function";
    case Place::TypeDecl: return "a struct or enum";
    case Place::Field: return "a struct field";
    case Place::Variant: return "an enum variant";
    case Place::Impl: return "an impl block";
    case Place::OtherDecl: return "this declaration";
    case Place::Param: return "a parameter";
    case Place::Return: return "a return type";
    case Place::Let: return "a variable";
  }
  return "here";
}

const char* const kKnown[] = {"ownership", "transfer_full", "transfer_none", "borrowed", "constant_time", "track_caller",
                              "volatile_memory", "public", "human_review", "non_deterministic", "allow"};

bool is_transfer_tag(const std::string& n) {
  return n == "transfer_full" || n == "transfer_none" || n == "borrowed";
}

bool can_carry_transfer(const Type* t) {
  return !t || t->is_error() || t->kind == TypeKind::Ptr || t->kind == TypeKind::Slice ||
         t->kind == TypeKind::String;
}

class AnnotationChecker {
 public:
  explicit AnnotationChecker(Diagnostics& diags) : diags_(diags) {}

  // `type` is the annotated type where there is one (params, returns, lets).
  void check(const Annotations& list, Place place, const Type* type) {
    const Annotation* ownership = nullptr;
    const Annotation* transfer = nullptr;
    for (const Annotation& a : list) {
      if (!known(a)) continue;
      if (a.name == "ownership") {
        if (place != Place::TypeDecl && place != Place::Extern && place != Place::Let) {
          not_here(a, place, "`#[ownership(...)]` goes on a struct or enum, a variable or an extern function");
          continue;
        }
        check_zone(a);
        if (ownership) {
          diags_.report(DiagCode::E0502, a.span, "more than one ownership annotation")
              .note(ownership->span, "the first one is here")
              .help("keep exactly one `#[ownership(...)]`");
        }
        ownership = &a;
      } else if (is_transfer_tag(a.name)) {
        if (!a.args.empty()) diags_.report(DiagCode::E0503, a.span, fmt::format("`#[{}]` takes no arguments", a.name));
        if (a.name == "borrowed" && place == Place::Return) {
          diags_.report(DiagCode::E0504, a.span, "`#[borrowed]` is not allowed on a return type")
              .help("a returned value outlives the call: use `#[transfer_full]` (the caller owns it) or `#[transfer_none]` (the callee keeps it)");
          continue;
        }
        if (place != Place::Param && place != Place::Return) {
          not_here(a, place, "transfer annotations go on parameters and return types only");
          continue;
        }
        if (transfer) {
          diags_.report(DiagCode::E0502, a.span,
                        transfer->name == a.name ? fmt::format("`#[{}]` is given twice", a.name)
                                                 : fmt::format("`#[{}]` conflicts with `#[{}]`", a.name, transfer->name))
              .note(transfer->span, "the first transfer annotation is here")
              .help("a parameter or return has at most one transfer annotation");
          continue;
        }
        transfer = &a;
        if (!can_carry_transfer(type)) {
          diags_.report(DiagCode::E0505, a.span,
                        fmt::format("`#[{}]` on a value of type `{}`", a.name, type->name))
              .help("transfer annotations apply to pointers, slices and strings only; remove it");
        }
      } else if (a.name == "constant_time" || a.name == "volatile_memory" || a.name == "track_caller") {
        if (place != Place::Function) not_here(a, place, fmt::format("`#[{}]` goes on an Asthra function", a.name));
        if (!a.args.empty()) diags_.report(DiagCode::E0503, a.span, fmt::format("`#[{}]` takes no arguments", a.name));
        auto first = std::find_if(list.begin(), list.end(), [&](const Annotation& b) { return b.name == a.name; });
        if (&*first != &a)
          diags_.report(DiagCode::E0502, a.span, fmt::format("`#[{}]` is given twice", a.name))
              .note(first->span, "the first one is here")
              .help("remove one of them");
      } else if (a.name == "public") {
        if (place != Place::Param) not_here(a, place, "`#[public]` marks a parameter of a `#[constant_time]` function");
      } else if (a.name == "allow") {
        if (place != Place::Function && place != Place::Let) not_here(a, place, "`#[allow(...)]` goes on a function or a variable");
        for (const AnnotationArg& arg : a.args)
          if (arg.key.empty() && arg.value != "leak")
            diags_.report(DiagCode::E0506, arg.span, fmt::format("unknown lint `{}` in `#[allow(...)]`", arg.value))
                .help("the lint that can be allowed is `leak`");
      } else if (a.name == "human_review") {
        if (a.args.size() != 1 || !(a.args[0].value == "low" || a.args[0].value == "medium" || a.args[0].value == "high"))
          diags_.report(DiagCode::E0506, a.span, "`#[human_review(...)]` takes `low`, `medium` or `high`");
      }
    }
  }

 private:
  // Whether `a` is an annotation we know or a general `#[name(key = value)]`
  // tag; reports it otherwise.
  bool known(const Annotation& a) {
    for (const char* k : kKnown)
      if (a.name == k) return true;
    bool general = !a.args.empty() &&
                   std::all_of(a.args.begin(), a.args.end(), [](const AnnotationArg& x) { return !x.key.empty(); });
    ClosestSpelling closest(a.name);
    for (const char* k : kKnown) closest.consider(k);
    const std::string& best = closest.best();
    if (general && best.empty()) return false;  // accepted and kept, no memory meaning
    auto d = diags_.report(DiagCode::E0506, Span{a.span.file, a.span.begin, a.span.end},
                           fmt::format("unknown annotation `#[{}]`", a.name));
    if (!best.empty()) d.help(fmt::format("did you mean `#[{}]`?", best));
    else d.help("memory annotations are `#[ownership(gc|c|pinned)]`, `#[transfer_full]`, `#[transfer_none]` and `#[borrowed]`; other tags take `key = value` arguments");
    return false;
  }

  // `#[ownership(Z)]`: exactly one zone, written alone.
  void check_zone(const Annotation& a) {
    if (a.args.empty()) {
      diags_.report(DiagCode::E0501, a.span, "`#[ownership]` needs a zone")
          .help("the zones are `gc`, `c` and `pinned`: `#[ownership(c)]`");
      return;
    }
    if (a.args.size() > 1) {
      diags_.report(DiagCode::E0502, a.args[1].span, "`#[ownership(...)]` takes exactly one zone")
          .note(a.args[0].span, "the first zone is here")
          .help("a value lives in one zone: keep one of them, e.g. `#[ownership(c)]`");
      return;
    }
    const AnnotationArg& z = a.args[0];
    bool is_zone = z.value == "gc" || z.value == "c" || z.value == "pinned";
    if (!z.key.empty()) {
      diags_.report(DiagCode::E0501, z.span, fmt::format("expected a zone name, found `{} = {}`", z.key, z.value))
          .help(fmt::format("write the zone alone: `#[ownership({})]`", is_zone ? z.value : "c"));
      return;
    }
    if (is_zone) return;
    diags_.report(DiagCode::E0501, z.span, fmt::format("unknown ownership zone `{}`", z.value))
        .help("the zones are `gc`, `c` and `pinned`: `#[ownership(c)]`");
  }

  void not_here(const Annotation& a, Place place, const std::string& help) {
    diags_.report(DiagCode::E0503, a.span, fmt::format("`#[{}]` is not allowed on {}", a.name, place_name(place)))
        .help(help);
  }

  Diagnostics& diags_;
};

void check_block_lets(AnnotationChecker& ac, BlockExpr* b);
void check_closure(AnnotationChecker& ac, ClosureExpr* c);

// A written type may hold function types whose parameters and return carry
// tags (`fn(#[borrowed] *const u8) -> i32`): they are a parameter's and a
// return's tags (only the type is not known here).
void check_type(AnnotationChecker& ac, const TypeExpr* t) {
  if (!t) return;
  for (const Annotations& tags : t->param_annotations) ac.check(tags, Place::Param, nullptr);
  ac.check(t->ret_annotations, Place::Return, nullptr);
  for (const TypeExpr* a : t->args) check_type(ac, a);
  check_type(ac, t->inner);
}

// Every expression may hold a block with `let`s (`return unsafe { ... }`,
// arguments) or a closure with annotated parameters: walk them all.
void check_expr_lets(AnnotationChecker& ac, Expr* e) {
  if (!e) return;
  switch (e->kind) {
    case ExprKind::Block:
      check_block_lets(ac, static_cast<BlockExpr*>(e));
      break;
    case ExprKind::If: {
      auto* i = static_cast<IfExpr*>(e);
      check_expr_lets(ac, i->cond);
      check_block_lets(ac, i->then_block);
      check_expr_lets(ac, i->else_branch);
      break;
    }
    case ExprKind::Match:
      check_expr_lets(ac, static_cast<MatchExpr*>(e)->scrutinee);
      for (MatchArm& arm : static_cast<MatchExpr*>(e)->arms) check_expr_lets(ac, arm.body);
      break;
    case ExprKind::Unary: check_expr_lets(ac, static_cast<UnaryExpr*>(e)->operand); break;
    case ExprKind::Binary:
      check_expr_lets(ac, static_cast<BinaryExpr*>(e)->lhs);
      check_expr_lets(ac, static_cast<BinaryExpr*>(e)->rhs);
      break;
    case ExprKind::Call:
      check_expr_lets(ac, static_cast<CallExpr*>(e)->callee);
      for (Expr* a : static_cast<CallExpr*>(e)->args) check_expr_lets(ac, a);
      break;
    case ExprKind::Field: check_expr_lets(ac, static_cast<FieldExpr*>(e)->object); break;
    case ExprKind::Index:
      check_expr_lets(ac, static_cast<IndexExpr*>(e)->object);
      check_expr_lets(ac, static_cast<IndexExpr*>(e)->index);
      break;
    case ExprKind::SliceRange:
      check_expr_lets(ac, static_cast<SliceRangeExpr*>(e)->object);
      check_expr_lets(ac, static_cast<SliceRangeExpr*>(e)->lo);
      check_expr_lets(ac, static_cast<SliceRangeExpr*>(e)->hi);
      break;
    case ExprKind::Cast:
      check_expr_lets(ac, static_cast<CastExpr*>(e)->operand);
      check_type(ac, static_cast<CastExpr*>(e)->target);
      break;
    case ExprKind::StructLit:
      for (FieldInit& f : static_cast<StructLitExpr*>(e)->fields) check_expr_lets(ac, f.value);
      break;
    case ExprKind::ArrayLit:
      for (Expr* x : static_cast<ArrayLitExpr*>(e)->elements) check_expr_lets(ac, x);
      break;
    case ExprKind::ArrayRepeat:
      check_expr_lets(ac, static_cast<ArrayRepeatExpr*>(e)->value);
      check_expr_lets(ac, static_cast<ArrayRepeatExpr*>(e)->count);
      break;
    case ExprKind::TupleLit:
      for (Expr* x : static_cast<TupleLitExpr*>(e)->elements) check_expr_lets(ac, x);
      break;
    case ExprKind::Closure: check_closure(ac, static_cast<ClosureExpr*>(e)); break;
    case ExprKind::Try: check_expr_lets(ac, static_cast<TryExpr*>(e)->operand); break;
    case ExprKind::Await: check_expr_lets(ac, static_cast<AwaitExpr*>(e)->operand); break;
    default:
      break;
  }
}

void check_block_lets(AnnotationChecker& ac, BlockExpr* b) {
  for (Stmt* s : b->stmts) {
    switch (s->kind) {
      case StmtKind::Let: {
        auto* let = static_cast<LetStmt*>(s);
        ac.check(let->annotations, Place::Let, let->symbol ? let->symbol->type : nullptr);
        check_type(ac, let->type);
        check_expr_lets(ac, let->init);
        break;
      }
      case StmtKind::Expr: check_expr_lets(ac, static_cast<ExprStmt*>(s)->expr); break;
      case StmtKind::Assign:
        check_expr_lets(ac, static_cast<AssignStmt*>(s)->target);
        check_expr_lets(ac, static_cast<AssignStmt*>(s)->value);
        break;
      case StmtKind::Return: check_expr_lets(ac, static_cast<ReturnStmt*>(s)->value); break;
      case StmtKind::While:
        check_expr_lets(ac, static_cast<WhileStmt*>(s)->cond);
        check_block_lets(ac, static_cast<WhileStmt*>(s)->body);
        break;
      case StmtKind::For:
        check_expr_lets(ac, static_cast<ForStmt*>(s)->iterable);
        check_block_lets(ac, static_cast<ForStmt*>(s)->body);
        break;
      case StmtKind::Spawn: check_expr_lets(ac, static_cast<SpawnStmt*>(s)->call); break;
      default:
        break;
    }
  }
  check_expr_lets(ac, b->tail);
}

// A closure's parameters and return are parameters and a return type: the
// transfer table (memory-model.md §2) allows the same tags there as on a
// function's.
void check_closure(AnnotationChecker& ac, ClosureExpr* c) {
  for (Param& p : c->params) {
    ac.check(p.annotations, Place::Param, p.symbol ? p.symbol->type : nullptr);
    check_type(ac, p.type);
  }
  ac.check(c->ret_annotations, Place::Return, c->type && c->type->kind == TypeKind::Func ? c->type->elem : nullptr);
  check_type(ac, c->ret);
  check_block_lets(ac, c->body);
}

void check_function(AnnotationChecker& ac, FnDecl* f) {
  ac.check(f->annotations, f->is_extern ? Place::Extern : Place::Function, nullptr);
  const Type* ft = f->symbol ? f->symbol->type : nullptr;
  for (size_t i = 0; i < f->params.size(); ++i) {
    ac.check(f->params[i].annotations, Place::Param, ft && i < ft->elems.size() ? ft->elems[i] : nullptr);
    check_type(ac, f->params[i].type);
  }
  ac.check(f->ret_annotations, Place::Return, ft ? ft->elem : nullptr);
  check_type(ac, f->ret);
  if (f->body && !f->body_has_syntax_errors && !f->body_has_type_errors) check_block_lets(ac, f->body);
}

}  // namespace

void check_annotations(Program& program, Diagnostics& diags) {
  AnnotationChecker ac(diags);
  for (Module* m : program.modules) {
    for (Decl* d : m->decls) {
      switch (d->kind) {
        case DeclKind::Fn:
          check_function(ac, static_cast<FnDecl*>(d));
          break;
        case DeclKind::Struct:
          ac.check(d->annotations, Place::TypeDecl, nullptr);
          for (FieldDecl& f : static_cast<StructDecl*>(d)->fields) {
            ac.check(f.annotations, Place::Field, nullptr);
            check_type(ac, f.type);
          }
          break;
        case DeclKind::Enum:
          ac.check(d->annotations, Place::TypeDecl, nullptr);
          for (VariantDecl& v : static_cast<EnumDecl*>(d)->variants) {
            ac.check(v.annotations, Place::Variant, nullptr);
            for (TypeExpr* t : v.payload) check_type(ac, t);
          }
          break;
        case DeclKind::Impl:
          ac.check(d->annotations, Place::Impl, nullptr);
          for (FnDecl* m2 : static_cast<ImplDecl*>(d)->methods) check_function(ac, m2);
          break;
        case DeclKind::Trait:
          ac.check(d->annotations, Place::OtherDecl, nullptr);
          for (FnDecl* m2 : static_cast<TraitDecl*>(d)->methods) check_function(ac, m2);
          break;
        case DeclKind::Const:
          ac.check(d->annotations, Place::OtherDecl, nullptr);
          check_type(ac, static_cast<ConstDecl*>(d)->type);
          break;
        default:
          ac.check(d->annotations, Place::OtherDecl, nullptr);
          break;
      }
    }
  }
}

}  // namespace asthra
