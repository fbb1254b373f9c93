// Expressions: each check_* computes a type, records it in Expr::type and
// reports what is wrong.  `expected` is the type the context wants (or
// null): integer and float literals take it (language.md: no implicit
// conversions, literals adapt), and so do `Option`/`Result` constructors.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "compiler/base/check.h"
#include "compiler/base/spelling.h"
#include "compiler/sema/checker.h"

namespace asthra {

const Type* Checker::check(Expr* e, const Type* expected, bool want_value) {
  const Type* t = check_inner(e, expected, want_value);
  ASTHRA_CHECK(t != nullptr);
  e->type = t;
  return t;
}

bool Checker::compatible(const Type* actual, const Type* target) const {
  if (actual == target || actual->is_error() || target->is_error()) return true;
  if (actual->kind == TypeKind::Never) return true;
  if (actual->kind != TypeKind::Ptr || target->kind != TypeKind::Ptr) return false;
  // `*mut T` may be used where `*const T` is wanted, never the other way.
  if (!actual->is_mut && target->is_mut) return false;
  // A `void` pointer, C's untyped one (what `malloc` returns and `free`
  // takes), converts to and from any other pointer, as in C: the seed
  // writes `let p: #[ownership(c)] *mut u8 = unsafe { malloc(1024) };`.
  bool untyped = actual->elem->kind == TypeKind::Void || target->elem->kind == TypeKind::Void;
  return untyped || actual->elem == target->elem;
}

void Checker::mismatch(Span span, const Type* expected, const Type* found, const char* what) {
  auto d = diags_.report(DiagCode::E0103, span,
                         fmt::format("mismatched types: expected `{}`, found `{}`{}{}", expected->name,
                                     found->name, *what ? " in " : "", what));
  auto declared = [](const Type* t) {
    return (t->kind == TypeKind::Struct && t->strukt->decl) || (t->kind == TypeKind::Enum && t->enm->decl);
  };
  if (expected->name == found->name && declared(expected) && declared(found)) {
    d.help(fmt::format("these are two different types named `{}`, from two packages with the same name", found->name));
  } else if (expected->is_numeric() && found->is_numeric()) {
    d.help(fmt::format("convert explicitly: `(...) as {}`", expected->name));
  } else if (expected->kind == TypeKind::String && is_printable(found)) {
    d.help("format it into a string: `string(x)` or `\"\" + x`");
  } else if (expected->kind == TypeKind::Ptr && found->kind == TypeKind::Ptr) {
    d.help(fmt::format("cast the pointer: `p as {}`", expected->name));
  } else if (expected->kind == TypeKind::Bool && found->is_numeric()) {
    d.help("a number is not a `bool`: compare it, `x != 0`");
  } else if (expected->kind == TypeKind::Slice && found->kind == TypeKind::Array && expected->elem == found->elem) {
    d.help(fmt::format("pass a slice of the array: `a[0:{}]`", found->count));
  } else if (expected->kind == TypeKind::Option &&
             (expected->elems[0] == found || (expected->elems[0]->is_numeric() && found->is_numeric()))) {
    d.help("wrap the value: `Option.Some(x)`");
  }
}

const Type* Checker::expect_type(Expr* e, const Type* target, const char* what) {
  const Type* t = check(e, target);
  if (!compatible(t, target)) mismatch(e->span, target, t, what);
  return t;
}

bool Checker::is_printable(const Type* t) const {
  switch (t->kind) {
    case TypeKind::Int: case TypeKind::Float: case TypeKind::Bool: case TypeKind::Char:
    case TypeKind::String: case TypeKind::Error:
      return true;
    default:
      return false;
  }
}

// Remembered in the node (Expr::untyped_literal): check_binary asks it of
// both operands at every level of a chain, so each node is walked once.
bool Checker::is_untyped_literal(const Expr* e) const {
  using Memo = Expr::UntypedLiteral;
  if (e->untyped_literal != Memo::Unknown) return e->untyped_literal == Memo::Yes;
  bool literal = false;
  switch (e->kind) {
    case ExprKind::IntLit: case ExprKind::FloatLit: literal = true; break;
    case ExprKind::Unary: {
      auto* u = static_cast<const UnaryExpr*>(e);
      literal = (u->op == Tok::Minus || u->op == Tok::Tilde) && is_untyped_literal(u->operand);
      break;
    }
    case ExprKind::Binary: {
      auto* b = static_cast<const BinaryExpr*>(e);
      literal = precedence_is_arith(b->op) && is_untyped_literal(b->lhs) && is_untyped_literal(b->rhs);
      break;
    }
    default: break;
  }
  e->untyped_literal = literal ? Memo::Yes : Memo::No;
  return literal;
}

void Checker::require_unsafe(Span span, const std::string& what) {
  if (unsafe_used_.empty()) {
    diags_.report(DiagCode::E0401, span, fmt::format("{} requires an `unsafe` block", what))
        .help("wrap the operation in `unsafe { ... }` after checking that it is sound");
    return;
  }
  unsafe_used_.back() = true;
}

const Type* Checker::join(const Type* a, const Type* b, Span span, bool want_value) {
  if (a->kind == TypeKind::Never) return b;
  if (b->kind == TypeKind::Never) return a;
  if (a->is_error() || b->is_error()) return types_.error();
  if (a == b) return a;
  if (compatible(a, b)) return b;
  if (compatible(b, a)) return a;
  if (!want_value) return types_.void_();
  diags_.report(DiagCode::E0103, span,
                fmt::format("mismatched types: branches give `{}` and `{}`", a->name, b->name))
      .help("every branch must produce a value of the same type");
  return types_.error();
}

Symbol* Checker::place_root(Expr* e, bool* through_indirection) {
  switch (e->kind) {
    case ExprKind::Name: {
      Symbol* s = static_cast<NameExpr*>(e)->symbol;
      return s && s->kind == SymbolKind::Local ? s : nullptr;
    }
    case ExprKind::Field:
      return place_root(static_cast<FieldExpr*>(e)->object, through_indirection);
    case ExprKind::Index: {
      Expr* obj = static_cast<IndexExpr*>(e)->object;
      if (obj->type && obj->type->kind != TypeKind::Array) *through_indirection = true;
      return place_root(obj, through_indirection);
    }
    case ExprKind::Unary:
      if (static_cast<UnaryExpr*>(e)->op == Tok::Star) *through_indirection = true;
      return nullptr;
    default:
      return nullptr;
  }
}

const Type* Checker::check_int_lit(IntLit* lit, const Type* expected, bool negated) {
  if (expected && expected->kind == TypeKind::Float) return expected;
  const Type* t = expected && expected->kind == TypeKind::Int ? expected : types_.int_(IntKind::I64);
  int bits = t->int_bits();
  bool fits;
  std::string range;
  if (t->is_signed()) {
    uint64_t max = (uint64_t{1} << (bits - 1)) - 1;
    fits = !lit->overflowed && lit->value <= (negated ? max + 1 : max);
    range = fmt::format("{}..={}", -static_cast<__int128>(max) - 1, max);
  } else {
    uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    fits = !lit->overflowed && lit->value <= max && !(negated && lit->value != 0);
    range = fmt::format("0..={}", max);
  }
  if (!fits) {
    std::string shown = fmt::format("{}{}", negated ? "-" : "", lit->spelling);
    auto d = diags_.report(DiagCode::E0111, lit->span,
                           fmt::format("`{}` does not fit in `{}` (range {})", shown, t->name, range));
    if (negated && !t->is_signed())
      d.help("an unsigned type has no negative values: use a signed type");
    else if (!lit->overflowed && t->int_kind != IntKind::I64 && t->int_kind != IntKind::U64)
      d.help("use a wider type, or write the value with a cast: `(v as i64) as T`");
    else if (!lit->overflowed && !negated && t->int_kind == IntKind::I64)
      d.help("it fits in `u64`");
    else
      d.help("the widest integer types have 64 bits (`u64` up to 18446744073709551615)");
  }
  return t;
}

// A visible name within a typo of `wanted` (base/spelling.h): a type's name
// when `types`, else a value's (not a type, trait or package); empty when
// there is none.
std::string Checker::closest_name(const std::string& wanted, bool types) const {
  ClosestSpelling closest(wanted);
  std::vector<const Scope*> visible;
  for (const auto& scope : scopes_) visible.push_back(&scope);
  if (package_scope_) visible.push_back(package_scope_);
  for (const Scope* scope : visible) {
    for (const auto& [name, sym] : *scope) {
      bool is_type = sym->kind == SymbolKind::Type;
      if (types ? !is_type : is_type || sym->kind == SymbolKind::Package || sym->kind == SymbolKind::Trait) continue;
      closest.consider(name);
    }
  }
  return closest.best();
}

const Type* Checker::check_name(NameExpr* e, const Type* expected) {
  Symbol* s = lookup(e->name);
  e->symbol = s;
  if (!s) {
    auto d = diags_.report(DiagCode::E0101, e->span, fmt::format("cannot find `{}` in this scope", e->name));
    if (e->name == "Some" || e->name == "None") {
      d.help(fmt::format("variants are named with their type: `Option.{}`", e->name == "Some" ? "Some(v)" : "None"));
    } else if (e->name == "Ok" || e->name == "Err") {
      d.help(fmt::format("variants are named with their type: `Result.{}(v)`", e->name));
    } else {
      std::string best = closest_name(e->name, false);
      if (!best.empty()) d.help(fmt::format("did you mean `{}`?", best));
    }
    return types_.error();
  }
  if (s->generic) {
    // The function type wanted (`let f: fn(i32) -> i32 = id;`) gives the
    // type arguments.
    if (s->kind == SymbolKind::Fn && expected && expected->kind == TypeKind::Func &&
        expected->elems.size() == s->fn->params.size()) {
      Bindings b;
      for (size_t i = 0; i < s->fn->params.size(); ++i)
        if (s->fn->params[i].type) unify(s->fn->params[i].type, expected->elems[i], s->fn->generics, b);
      if (s->fn->ret) unify(s->fn->ret, expected->elem, s->fn->generics, b);
      // A type in error bound a parameter: that error was reported.
      if (std::any_of(b.begin(), b.end(), [](const auto& binding) { return binding.second->is_error(); }))
        return types_.error();
      bool all_bound = std::all_of(s->fn->generics.begin(), s->fn->generics.end(),
                                   [&](const std::string& g) { return b.count(g) > 0; });
      if (all_bound) {
        Symbol* inst = instantiate_fn(s, b, e->span);
        e->symbol = inst;
        if (e != callee_) check_function_value(inst, e, e->name);
        return inst->type ? inst->type : types_.error();
      }
    }
    diags_.report(DiagCode::E0114, e->span, fmt::format("cannot infer the type parameters of `{}` used as a value", e->name))
        .help(fmt::format("give the binding a function type (`let f: fn(i32) -> i32 = {};`), or call it", e->name));
    return types_.error();
  }
  if (s->kind == SymbolKind::Local && s->owner != cur_owner_) {
    // A closure uses a local of an enclosing function: each closure between
    // here and the local's owner copies it.
    for (size_t i = closures_.size(); i-- > 0;) {
      if (closures_[i] == s->owner) break;
      auto& caps = closures_[i]->captures;
      if (std::find(caps.begin(), caps.end(), s) == caps.end()) caps.push_back(s);
    }
  }
  switch (s->kind) {
    case SymbolKind::Fn:
    case SymbolKind::Extern:
      if (e != callee_) check_function_value(s, e, e->name);
      return s->type ? s->type : types_.error();
    case SymbolKind::Const:
      return const_type(s, e->span);
    case SymbolKind::Local:
    case SymbolKind::OwnershipConst:
      return s->type ? s->type : types_.error();
    case SymbolKind::Type:
      diags_.report(DiagCode::E0123, e->span, fmt::format("`{}` is a type, not a value", e->name))
          .help(s->type && s->type->kind == TypeKind::Struct
                    ? fmt::format("build a value with a struct literal: `{} {{ ... }}`", e->name)
                    : "name a variant (`Type.Variant`) or call a conversion (`i32(x)`)");
      return types_.error();
    case SymbolKind::Package:
      diags_.report(DiagCode::E0123, e->span, fmt::format("`{}` is a package, not a value", e->name))
          .help(fmt::format("use one of its members: `{}.name`", e->name));
      return types_.error();
    case SymbolKind::Builtin:
      diags_.report(DiagCode::E0123, e->span,
                    fmt::format("built-in function `{}` can only be called", e->name));
      return types_.error();
    case SymbolKind::Trait:
      diags_.report(DiagCode::E0123, e->span, fmt::format("`{}` is a trait, not a value", e->name));
      return types_.error();
  }
  return types_.error();
}

// Calls of a foreign function need `unsafe` and follow C's transfer tags;
// calls of a function with a `#[transfer_full]` parameter hand ownership
// over. Both are checked at each call, which a call through a function
// value (`let f = libc.free; f(p); f(p);`) would escape; passed to C as a
// callback, the latter is called by C, which hands the argument over.
void Checker::check_function_value(const Symbol* s, const Expr* use, const std::string& name) {
  const FnDecl* fn = s->fn;
  bool takes_ownership = fn && std::any_of(fn->params.begin(), fn->params.end(), [](const Param& p) {
    return std::any_of(p.annotations.begin(), p.annotations.end(),
                       [](const Annotation& a) { return a.name == "transfer_full"; });
  });
  if (s->kind != SymbolKind::Extern && !takes_ownership) return;
  bool callback = foreign_call_ && std::find(foreign_call_->args.begin(), foreign_call_->args.end(), use) !=
                                       foreign_call_->args.end();
  if (s->kind == SymbolKind::Fn && callback) return;  // C calls it: its parameters' tags hold there
  diags_.report(DiagCode::E0131, use->span,
                s->kind == SymbolKind::Extern
                    ? fmt::format("foreign function `{}` can only be called, not used as a value", name)
                    : fmt::format("`{}` takes ownership of an argument (`#[transfer_full]`): it can only be called, "
                                  "not used as a value",
                                  name))
      .help(s->kind == SymbolKind::Extern
                ? "call it where the call is checked (inside `unsafe`), or pass an Asthra function that calls it"
                : "call it directly, so that each call's transfer is checked");
}

const Type* Checker::check_unary(UnaryExpr* e, const Type* expected) {
  switch (e->op) {
    case Tok::Minus: {
      if (e->operand->kind == ExprKind::IntLit) {
        const Type* t = check_int_lit(static_cast<IntLit*>(e->operand), expected, true);
        e->operand->type = t;
        if (t->kind == TypeKind::Int && !t->is_signed()) {
          // check_int_lit reported -N for N > 0; -0 is fine.
        }
        return t;
      }
      const Type* t = check(e->operand, expected);
      if (t->is_error()) return t;
      if (!(t->is_signed() || t->kind == TypeKind::Float)) {
        diags_.report(DiagCode::E0109, e->span, fmt::format("cannot negate a value of type `{}`", t->name));
        return types_.error();
      }
      return t;
    }
    case Tok::Bang: {
      const Type* t = check(e->operand, expected);
      if (t->is_error() || t->kind == TypeKind::Bool || t->is_integer()) return t;
      diags_.report(DiagCode::E0109, e->span, fmt::format("`!` needs a `bool` or an integer, found `{}`", t->name));
      return types_.error();
    }
    case Tok::Tilde: {
      const Type* t = check(e->operand, expected);
      if (t->is_error() || t->is_integer()) return t;
      diags_.report(DiagCode::E0109, e->span, fmt::format("`~` needs an integer, found `{}`", t->name));
      return types_.error();
    }
    case Tok::Star: {
      const Type* t = check(e->operand, nullptr);
      if (t->is_error()) return t;
      if (t->kind != TypeKind::Ptr) {
        diags_.report(DiagCode::E0109, e->span, fmt::format("cannot dereference a value of type `{}`", t->name))
            .help("only raw pointers (`*mut T`, `*const T`) can be dereferenced");
        return types_.error();
      }
      if (t->elem->kind == TypeKind::Void) {
        diags_.report(DiagCode::E0109, e->span, "cannot dereference a `void` pointer")
            .help("cast it to a pointer to a concrete type first: `p as *mut u8`");
        return types_.error();
      }
      require_unsafe(e->span, "dereferencing a raw pointer");
      return t->elem;
    }
    case Tok::Amp: {
      const Type* t = check(e->operand, nullptr);
      if (t->is_error()) return t;
      if (t->kind == TypeKind::Void || t->kind == TypeKind::Never) {
        diags_.report(DiagCode::E0109, e->span, "cannot take the address of a `void` value");
        return types_.error();
      }
      bool through = false;
      Symbol* root = place_root(e->operand, &through);
      bool is_mut = true;
      if (root && !through) {
        root->address_taken = true;
        is_mut = root->is_mut;
      }
      return types_.ptr(t, is_mut);
    }
    default:
      ASTHRA_UNREACHABLE("unary operator");
  }
}

const Type* Checker::check_binary(BinaryExpr* e, const Type* expected) {
  Tok op = e->op;
  if (op == Tok::AmpAmp || op == Tok::PipePipe) {
    const Type* l = check(e->lhs, types_.bool_());
    const Type* r = check(e->rhs, types_.bool_());
    bool ok = (l->is_error() || l->kind == TypeKind::Bool || l->kind == TypeKind::Never) &&
              (r->is_error() || r->kind == TypeKind::Bool || r->kind == TypeKind::Never);
    if (!ok) {
      auto d = diags_.report(DiagCode::E0109, e->span,
                             fmt::format("{} needs `bool` operands, found `{}` and `{}`", tok_name(op), l->name, r->name));
      if (l->is_integer() || r->is_integer()) d.help("compare explicitly, e.g. `a != 0`, or use the bitwise operator `&` / `|`");
    }
    return types_.bool_();
  }
  bool arith = precedence_is_arith(op);
  const Type* hint = arith && expected && expected->is_numeric() ? expected : nullptr;
  const Type *l, *r;
  if (op == Tok::Shl || op == Tok::Shr) {
    l = check(e->lhs, hint);
    r = check(e->rhs, nullptr);
  } else if (is_untyped_literal(e->lhs) && !is_untyped_literal(e->rhs)) {
    r = check(e->rhs, hint);
    l = check(e->lhs, r->is_numeric() ? r : hint);
  } else {
    l = check(e->lhs, hint);
    r = check(e->rhs, l->is_numeric() ? l : nullptr);
  }
  return arith_result(e, op, l, r);
}

const Type* Checker::arith_result(BinaryExpr* e, Tok op, const Type* l, const Type* r) {
  if (l->is_error() || r->is_error()) return types_.error();
  auto bad = [&](const char* why) {
    auto d = diags_.report(DiagCode::E0109, e->span,
                           fmt::format("cannot apply {} to `{}` and `{}`{}", tok_name(op), l->name, r->name, why));
    if (l->is_numeric() && r->is_numeric())
      d.help(fmt::format("convert one side so both have the same type: `x as {}`", l->name));
    else if ((op == Tok::EqEq || op == Tok::BangEq) && l == r && l->is_sum())
      d.help(fmt::format("test which variant it is with `match` or `if let {}.Variant = x {{ ... }}`",
                         l->kind == TypeKind::Enum && l->enm->decl ? l->enm->decl->name : l->name));
    return types_.error();
  };
  bool same = l == r || compatible(l, r) || compatible(r, l);
  switch (op) {
    case Tok::Plus:
      if (l->kind == TypeKind::String || r->kind == TypeKind::String) {
        const Type* other = l->kind == TypeKind::String ? r : l;
        if (!is_printable(other)) {
          diags_.report(DiagCode::E0113, (l->kind == TypeKind::String ? e->rhs : e->lhs)->span,
                        fmt::format("a value of type `{}` cannot be formatted into a string", other->name))
              .help("only integers, floats, bools, chars and strings are printable");
          return types_.error();
        }
        return types_.string();
      }
      [[fallthrough]];
    case Tok::Minus:
      if (l->kind == TypeKind::Ptr && r->is_integer()) {
        if (l->elem->kind == TypeKind::Void) return bad(" (pointer arithmetic on `*void`: cast to a typed pointer first)");
        require_unsafe(e->span, "pointer arithmetic");
        return l;
      }
      [[fallthrough]];
    case Tok::Star:
    case Tok::Slash:
    case Tok::Percent:
      if (l->is_numeric() && l == r) return l;
      return bad("");
    case Tok::Amp:
    case Tok::Pipe:
    case Tok::Caret:
      if ((l->is_integer() || l->kind == TypeKind::Bool) && l == r) return l;
      return bad("");
    case Tok::Shl:
    case Tok::Shr:
      if (l->is_integer() && r->is_integer()) return l;
      return bad("");
    case Tok::EqEq:
    case Tok::BangEq:
      if (!same) return bad(" (both sides must have the same type)");
      switch (l->kind) {
        case TypeKind::Int: case TypeKind::Float: case TypeKind::Bool: case TypeKind::Char:
        case TypeKind::String: case TypeKind::Ptr:
          return types_.bool_();
        default:
          return bad(" (only numbers, bools, chars, strings and pointers can be compared)");
      }
    case Tok::Lt:
    case Tok::Le:
    case Tok::Gt:
    case Tok::Ge:
      if (!same) return bad(" (both sides must have the same type)");
      switch (l->kind) {
        case TypeKind::Int: case TypeKind::Float: case TypeKind::Char: case TypeKind::String:
        case TypeKind::Ptr:
          return types_.bool_();
        default:
          return bad(" (values of this type are not ordered)");
      }
    default:
      ASTHRA_UNREACHABLE("binary operator");
  }
}

const Type* Checker::check_args(CallExpr* e, const std::vector<const Type*>& params, const char* what) {
  if (e->args.size() != params.size()) {
    std::string types;
    for (const Type* p : params) types += (types.empty() ? "`" : ", `") + p->name + "`";
    diags_.report(DiagCode::E0106, e->span,
                  fmt::format("{} takes {} argument{} but {} {} given", what, params.size(),
                              params.size() == 1 ? "" : "s", e->args.size(), e->args.size() == 1 ? "was" : "were"))
        .help(params.empty() ? "call it with no arguments: `()`" : fmt::format("its parameters have the types {}", types));
    for (Expr* a : e->args) check(a, nullptr);
    return types_.error();
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Type* p = params[i];
    // Callbacks (language.md): a fn-typed parameter takes a top-level function.
    expect_type(e->args[i], p, "argument");
  }
  return nullptr;
}

const Type* Checker::sum_type_for(Symbol* type_sym, const Type* expected, Span span, const std::string& member) {
  auto not_an_enum = [&] {
    auto d = diags_.report(DiagCode::E0115, span, fmt::format("`{}` is not an enum", type_sym->name));
    // `P.origin()` for an associated function (or a method) of `P`.
    const void* key = type_sym->generic ? static_cast<const void*>(type_sym->generic) : type_sym->type;
    auto methods = methods_.find(key);
    if (methods == methods_.end() || !methods->second.count(member)) return;
    const FnDecl* fn = methods->second.at(member).decl;
    if (!fn->params.empty() && fn->params[0].is_self)
      d.help(fmt::format("`{}` is a method: call it on a value, `value.{}(...)`", member, member));
    else
      d.help(fmt::format("`{0}` is an associated function: call it as `{1}::{0}(...)`", member, type_sym->name));
  };
  if (type_sym->generic) {
    if (type_sym->generic->kind != DeclKind::Enum) {
      not_an_enum();
      return types_.error();
    }
    if (expected && expected->kind == TypeKind::Enum && expected->enm->decl == type_sym->generic) return expected;
    if (expected && expected->is_error()) return expected;
    return nullptr;  // inferred from the payload
  }
  if (type_sym->type) {
    if (!type_sym->type->is_sum()) {
      not_an_enum();
      return types_.error();
    }
    return type_sym->type;
  }
  TypeKind want = type_sym->name == "Result" ? TypeKind::Result : TypeKind::Option;
  if (expected && (expected->kind == want || expected->is_error())) return expected;
  return nullptr;  // infer from the payload (Option.Some) or fail
}

const Type* Checker::infer_generic_ctor(Expr* site, Symbol* type_sym, const std::string& variant, Span variant_span,
                                        std::vector<Expr*>* args) {
  auto* ed = static_cast<EnumDecl*>(type_sym->generic);
  const VariantDecl* v = nullptr;
  for (const VariantDecl& vd : ed->variants)
    if (vd.name == variant) v = &vd;
  if (!v) {
    std::string names;
    for (const VariantDecl& vd : ed->variants) names += (names.empty() ? "" : ", ") + vd.name;
    diags_.report(DiagCode::E0115, variant_span, fmt::format("`{}` has no variant `{}`", ed->name, variant))
        .help(fmt::format("its variants are: {}", names));
    if (args)
      for (Expr* a : *args) check(a, nullptr);
    return types_.error();
  }
  size_t given = args ? args->size() : 0;
  if (given != v->payload.size()) {
    diags_.report(DiagCode::E0106, site->span,
                  fmt::format("variant `{}.{}` takes {} value{} but {} {} given", ed->name, variant, v->payload.size(),
                              v->payload.size() == 1 ? "" : "s", given, given == 1 ? "was" : "were"));
    if (args)
      for (Expr* a : *args) check(a, nullptr);
    return types_.error();
  }
  Bindings b;
  std::vector<Expr*> none;
  if (!infer_args(ed, v->payload, args ? *args : none, ed->generics, nullptr, nullptr, b)) return types_.error();
  std::vector<const Type*> targs;
  for (const std::string& g : ed->generics) {
    auto it = b.find(g);
    if (it == b.end()) {
      diags_.report(DiagCode::E0114, site->span,
                    fmt::format("cannot infer the type parameter `{}` of `{}.{}`", g, ed->name, variant))
          .help(fmt::format("give the binding a type, e.g. `let x: {}<i32> = ...`", ed->name));
      return types_.error();
    }
    targs.push_back(it->second);
  }
  const Type* t = instantiate_nominal(type_sym, targs, site->span);
  if (t->is_error()) return t;
  const VariantInfo& vi = types_.variants(t)[static_cast<size_t>(t->enm->variant_index(variant))];
  for (size_t i = 0; i < given && i < vi.payload.size(); ++i)
    if (!compatible((*args)[i]->type, vi.payload[i])) mismatch((*args)[i]->span, vi.payload[i], (*args)[i]->type, "variant payload");
  return t;
}

const Type* Checker::check_variant_ctor(Expr* site, Symbol* type_sym, const Type* sum, const std::string& variant,
                                        Span variant_span, std::vector<Expr*>* args) {
  if (!sum && type_sym->generic) return infer_generic_ctor(site, type_sym, variant, variant_span, args);
  if (sum && sum->is_error()) {
    if (args)
      for (Expr* a : *args) check(a, nullptr);
    return sum;
  }
  if (!sum) {
    // Option/Result without a type from context.
    if (variant == "Some" && args && args->size() == 1) {
      const Type* t = check((*args)[0], nullptr);
      if (t->is_error()) return t;
      return types_.option(t);
    }
    if (args)
      for (Expr* a : *args) check(a, nullptr);
    diags_.report(DiagCode::E0114, site->span,
                  fmt::format("cannot infer the full type of `{}`", variant))
        .help("give the binding or the function's return a type, e.g. `let r: Result<i32, string> = ...`");
    return types_.error();
  }
  auto& variants = types_.variants(sum);
  int index = -1;
  for (size_t i = 0; i < variants.size(); ++i)
    if (variants[i].name == variant) index = static_cast<int>(i);
  if (index < 0) {
    std::string names;
    for (const auto& v : variants) names += (names.empty() ? "" : ", ") + v.name;
    diags_.report(DiagCode::E0115, variant_span, fmt::format("`{}` has no variant `{}`", sum->name, variant))
        .help(fmt::format("its variants are: {}", names));
    if (args)
      for (Expr* a : *args) check(a, nullptr);
    return types_.error();
  }
  const VariantInfo& v = variants[static_cast<size_t>(index)];
  bool void_payload = v.payload.size() == 1 && v.payload[0]->kind == TypeKind::Void;
  size_t given = args ? args->size() : 0;
  if (void_payload && given == 0) return sum;
  if (!args && !v.payload.empty()) {
    diags_.report(DiagCode::E0106, site->span,
                  fmt::format("variant `{}.{}` carries {} value{}", sum->name, variant, v.payload.size(),
                              v.payload.size() == 1 ? "" : "s"))
        .help(fmt::format("write `{}.{}(...)`", sum->name, variant));
    return sum;
  }
  if (given != v.payload.size()) {
    diags_.report(DiagCode::E0106, site->span,
                  fmt::format("variant `{}.{}` takes {} value{} but {} {} given", sum->name, variant,
                              v.payload.size(), v.payload.size() == 1 ? "" : "s", given, given == 1 ? "was" : "were"));
    for (Expr* a : *args) check(a, nullptr);
    return sum;
  }
  for (size_t i = 0; i < given; ++i) expect_type((*args)[i], v.payload[i], "variant payload");
  return sum;
}

const Type* Checker::check_call(CallExpr* e, const Type* expected) {
  Expr* callee = e->callee;
  if (callee->kind == ExprKind::Name) {
    auto* n = static_cast<NameExpr*>(callee);
    Symbol* s = lookup(n->name);
    if (s && s->kind == SymbolKind::Builtin) {
      n->symbol = s;
      return check_builtin_call(e, s->builtin, expected);
    }
    if (s && s->kind == SymbolKind::Type) {
      n->symbol = s;
      // Conversions: `i32(x)`, `f64(x)`, `string(x)`.
      if (!s->type || !(s->type->is_numeric() || s->type->kind == TypeKind::String ||
                        s->type->kind == TypeKind::Bool || s->type->kind == TypeKind::Char)) {
        diags_.report(DiagCode::E0107, callee->span, fmt::format("`{}` is a type and cannot be called", n->name))
            .help(s->type && s->type->kind == TypeKind::Struct
                      ? fmt::format("build a value with a struct literal: `{} {{ ... }}`", n->name)
                      : "conversions exist for numeric types and `string`");
        for (Expr* a : e->args) check(a, nullptr);
        return types_.error();
      }
      callee->type = s->type;
      if (e->args.size() != 1) {
        diags_.report(DiagCode::E0106, e->span, fmt::format("conversion `{}(...)` takes exactly one argument", n->name));
        for (Expr* a : e->args) check(a, nullptr);
        return types_.error();
      }
      const Type* from = check(e->args[0], s->type->is_numeric() ? s->type : nullptr);
      if (from->is_error()) return s->type;
      if (s->type->kind == TypeKind::String) {
        if (from->kind == TypeKind::Slice && from->elem == types_.int_(IntKind::U8)) return s->type;  // bytes
        if (!is_printable(from))
          diags_.report(DiagCode::E0113, e->args[0]->span,
                        fmt::format("a value of type `{}` cannot be formatted into a string", from->name));
        return s->type;
      }
      bool ok = from == s->type || (from->is_numeric() && s->type->is_numeric()) ||
                (s->type->is_integer() && (from->kind == TypeKind::Bool || from->kind == TypeKind::Char)) ||
                (s->type->kind == TypeKind::Char && from == types_.int_(IntKind::U8));
      if (!ok)
        diags_.report(DiagCode::E0110, e->span, fmt::format("cannot convert `{}` to `{}`", from->name, s->type->name));
      return s->type;
    }
  }
  if (callee->kind == ExprKind::Field) {
    auto* f = static_cast<FieldExpr*>(callee);
    if (f->object->kind == ExprKind::Field) {  // `pkg.Enum.Variant(...)`
      auto* inner = static_cast<FieldExpr*>(f->object);
      if (Symbol* ts = package_member(inner); ts && ts->kind == SymbolKind::Type) {
        inner->symbol = ts;
        const Type* sum = sum_type_for(ts, expected, inner->span, f->field);
        return check_variant_ctor(e, ts, sum, f->field, f->field_span, &e->args);
      }
    }
    if (Symbol* m = package_member(f)) {  // `pkg.f(...)`
      if (m->kind == SymbolKind::Fn && m->generic) {
        f->symbol = m;  // not a method call: the object is the package
        return check_generic_call(e, f, m, expected);
      }
      if (m->kind != SymbolKind::Fn && m->kind != SymbolKind::Extern) {
        diags_.report(DiagCode::E0107, f->span, fmt::format("`{}` cannot be called", f->field));
        for (Expr* a : e->args) check(a, nullptr);
        return types_.error();
      }
      f->symbol = m;
      f->type = m->type;
      if (m->kind == SymbolKind::Extern) require_unsafe(e->span, fmt::format("calling foreign function `{}`", f->field));
      if (m->kind == SymbolKind::Extern) {
        check_foreign_args(e, m->type, fmt::format("`{}`", f->field));
      } else {
        check_args(e, m->type->elems, fmt::format("`{}`", f->field).c_str());
      }
      return m->type->elem;
    }
    if (f->object->kind == ExprKind::Name && static_cast<NameExpr*>(f->object)->symbol &&
        static_cast<NameExpr*>(f->object)->symbol->pkg) {
      for (Expr* a : e->args) check(a, nullptr);
      return types_.error();  // reported by package_member
    }
    if (f->object->kind == ExprKind::Name) {
      auto* on = static_cast<NameExpr*>(f->object);
      Symbol* os = lookup(on->name);
      if (os && os->kind == SymbolKind::Package) {
        on->symbol = os;
        if (os->package == "Asthra_runtime") {
          auto it = runtime_members_.find(f->field);
          if (it == runtime_members_.end()) {
            auto d = diags_.report(DiagCode::E0120, f->field_span, fmt::format("`Asthra_runtime` has no function `{}`", f->field));
            if (std::string best = closest_key(runtime_members_, f->field); !best.empty())
              d.help(fmt::format("did you mean `Asthra_runtime.{}`?", best));
            for (Expr* a : e->args) check(a, nullptr);
            return types_.error();
          }
          return check_builtin_call(e, it->second, expected);
        }
        // libc
        auto it = libc_members_.find(f->field);
        if (it == libc_members_.end()) {
          std::string best = closest_key(libc_members_, f->field);
          diags_.report(DiagCode::E0120, f->field_span, fmt::format("package `libc` has no function `{}`", f->field))
              .help(best.empty() ? "declare it yourself: `extern \"C\" fn name(...) -> T;`"
                                 : fmt::format("did you mean `libc.{}`?", best));
          for (Expr* a : e->args) check(a, nullptr);
          return types_.error();
        }
        f->symbol = it->second;
        f->type = it->second->type;
        require_unsafe(e->span, fmt::format("calling foreign function `libc.{}`", f->field));
        check_foreign_args(e, it->second->type, fmt::format("`libc.{}`", f->field));
        return it->second->type->elem;
      }
      if (os && os->kind == SymbolKind::Type) {
        on->symbol = os;
        const Type* sum = sum_type_for(os, expected, on->span, f->field);
        return check_variant_ctor(e, os, sum, f->field, f->field_span, &e->args);
      }
    }
  }
  // `(value.name)(...)` calls the field's value (below); `value.name(...)`
  // calls a field holding a function, or a method.
  if (callee->kind == ExprKind::Field && !static_cast<FieldExpr*>(callee)->parenthesized) {
    auto* f = static_cast<FieldExpr*>(callee);
    const Type* ot = check(f->object, nullptr);
    if (ot->is_error()) {
      for (Expr* a : e->args) check(a, nullptr);
      return ot;
    }
    const FieldInfo* field = ot->kind == TypeKind::Struct ? ot->strukt->field(f->field) : nullptr;
    if (field && field->type->kind == TypeKind::Func) {
      f->type = field->type;
      check_args(e, field->type->elems, fmt::format("`{}`", f->field).c_str());
      return field->type->elem;
    }
    if (field && !lookup_method(ot, f->field)) {
      diags_.report(DiagCode::E0107, f->field_span,
                    fmt::format("field `{}` of type `{}` cannot be called", f->field, field->type->name));
      for (Expr* a : e->args) check(a, nullptr);
      return types_.error();
    }
    return check_method_call(e, f, ot);
  }
  if (callee->kind == ExprKind::Path) return check_path_call(e, static_cast<PathExpr*>(callee), expected);
  if (callee->kind == ExprKind::Name) {
    auto* n = static_cast<NameExpr*>(callee);
    Symbol* s = lookup(n->name);
    if (s && s->kind == SymbolKind::Fn && s->generic) return check_generic_call(e, n, s, expected);
  }
  callee_ = callee;
  const Type* ct = check(callee, nullptr);
  callee_ = nullptr;
  if (ct->is_error()) {
    for (Expr* a : e->args) check(a, nullptr);
    return ct;
  }
  if (ct->kind != TypeKind::Func) {
    diags_.report(DiagCode::E0107, callee->span, fmt::format("a value of type `{}` cannot be called", ct->name));
    for (Expr* a : e->args) check(a, nullptr);
    return types_.error();
  }
  Symbol* s = callee->kind == ExprKind::Name ? static_cast<NameExpr*>(callee)->symbol : nullptr;
  bool foreign = s && s->kind == SymbolKind::Extern;
  if (foreign) {
    require_unsafe(e->span, fmt::format("calling foreign function `{}`", s->name));
    check_foreign_args(e, ct, fmt::format("`{}`", s->name));
  } else {
    check_args(e, ct->elems, s ? fmt::format("`{}`", s->name).c_str() : "this function");
  }
  return ct->elem;
}

// The arguments of a call of a foreign function: its callbacks may be
// functions that take ownership (C hands the argument over when it calls).
void Checker::check_foreign_args(CallExpr* e, const Type* ft, const std::string& what) {
  const CallExpr* outer = foreign_call_;
  foreign_call_ = e;
  const Type* failed = check_args(e, ft->elems, what.c_str());
  foreign_call_ = outer;
  if (failed == nullptr) check_callbacks(e, ft);
}

// A function passed to C is a plain C function pointer: only a top-level
// (non-generic) function can be one; a closure has an environment.
void Checker::check_callbacks(CallExpr* e, const Type* ft) {
  for (size_t i = 0; i < e->args.size() && i < ft->elems.size(); ++i) {
    if (ft->elems[i]->kind != TypeKind::Func || e->args[i]->type->is_error()) continue;
    Expr* a = e->args[i];
    Symbol* s = a->kind == ExprKind::Name ? static_cast<NameExpr*>(a)->symbol : nullptr;
    if (s && s->kind == SymbolKind::Fn) continue;
    diags_.report(DiagCode::E0122, a->span,
                  a->kind == ExprKind::Closure ? "a closure cannot be passed to C as a function pointer"
                                               : "only a top-level function can be passed to C as a callback")
        .help("pass a top-level function (`fn name(...)`) instead: C cannot receive a closure's environment");
  }
}

// A method or associated function `m` (written `name` at `span`) that is
// not `pub` is visible only in its own package.
void Checker::check_visible_method(const Symbol* m, const std::string& name, Span span) {
  if (m->is_pub) return;
  auto it = decl_package_.find(m->fn);
  if (it != decl_package_.end() && it->second != cur_package_)
    diags_.report(DiagCode::E0129, span, fmt::format("`{}` is private to package `{}`", name, it->second->name))
        .help("mark it `pub` where it is declared");
}

std::string Checker::closest_method(const Type* t, const std::string& wanted) const {
  ClosestSpelling closest(wanted);
  for (const void* key : {static_cast<const void*>(t), static_cast<const void*>(generic_decl_of(t))}) {
    if (auto it = methods_.find(key); key && it != methods_.end())
      for (const auto& [name, method] : it->second) closest.consider(name);
  }
  return closest.best();
}

const Type* Checker::check_method_call(CallExpr* e, FieldExpr* f, const Type* ot) {
  Symbol* m = lookup_method(ot, f->field, e->span);
  if (!m) {
    auto d = diags_.report(DiagCode::E0126, f->field_span, fmt::format("type `{}` has no method `{}`", ot->name, f->field));
    bool is_index = !f->field.empty() && std::all_of(f->field.begin(), f->field.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ot->kind == TypeKind::Ptr) d.help("methods are called on values: dereference the pointer first (in `unsafe`)");
    else if (ot->kind == TypeKind::Tuple && is_index) d.help(fmt::format("to call the tuple's element, write `({}.{})(...)`",
                          f->object->kind == ExprKind::Name ? static_cast<NameExpr*>(f->object)->name : "value", f->field));
    else if (std::string best = closest_method(ot, f->field); !best.empty()) d.help(fmt::format("did you mean `{}`?", best));
    else d.help(fmt::format("define it in an `impl {} {{ ... }}` block", ot->name));
    for (Expr* a : e->args) check(a, nullptr);
    return types_.error();
  }
  e->method = m;
  check_visible_method(m, f->field, f->field_span);
  const Type* ft = m->type;
  if (ft->elems.empty() || !m->fn->params[0].is_self) {
    diags_.report(DiagCode::E0126, f->field_span,
                  fmt::format("`{}` is an associated function of `{}`, not a method", f->field, ot->name))
        .help(fmt::format("call it as `{}::{}(...)`", ot->name, f->field));
    for (Expr* a : e->args) check(a, nullptr);
    return types_.error();
  }
  f->type = ft;
  std::vector<const Type*> rest(ft->elems.begin() + 1, ft->elems.end());
  check_args(e, rest, fmt::format("method `{}`", f->field).c_str());
  return ft->elem;
}

const Type* Checker::check_path_call(CallExpr* e, PathExpr* p, const Type* expected) {
  Symbol* owner = p->owner->kind == TypeExprKind::Named ? lookup_path(p->owner->name, p->owner->span) : nullptr;
  const Type* self = nullptr;
  if (owner && owner->kind == SymbolKind::Type && owner->generic && p->owner->args.empty()) {
    // `Pair::new(1, 2)`: infer the instance from the arguments.
    auto it = methods_.find(owner->generic);
    auto m = it == methods_.end() ? decltype(it->second.end()){} : it->second.find(p->member);
    if (it == methods_.end() || m == it->second.end()) {
      diags_.report(DiagCode::E0126, p->member_span, fmt::format("`{}` has no associated function `{}`", p->owner->name, p->member));
      for (Expr* a : e->args) check(a, nullptr);
      return types_.error();
    }
    FnDecl* tmpl = m->second.decl;
    ImplDecl* impl = m->second.impl;
    std::vector<std::string> gens = impl->generics;
    Bindings b;
    if (tmpl->params.size() != e->args.size()) {
      diags_.report(DiagCode::E0106, e->span, fmt::format("`{}::{}` takes {} arguments but {} were given", p->owner->name,
                                                          p->member, tmpl->params.size(), e->args.size()));
      for (Expr* a : e->args) check(a, nullptr);
      return types_.error();
    }
    std::vector<TypeExpr*> params;
    for (Param& pa : tmpl->params) params.push_back(pa.type);
    if (!infer_args(impl, params, e->args, gens, tmpl->ret, expected, b)) return types_.error();
    std::vector<const Type*> targs;
    for (TypeExpr* a : impl->self_type->args) {
      auto found = b.find(a->name);
      if (found == b.end()) {
        diags_.report(DiagCode::E0114, e->span, fmt::format("cannot infer the type parameter `{}` of `{}`", a->name, p->owner->name))
            .help(fmt::format("write the type arguments: `{}<...>::{}(...)`", p->owner->name, p->member));
        return types_.error();
      }
      targs.push_back(found->second);
    }
    self = instantiate_nominal(owner, targs, p->owner->span);
    if (self->is_error()) return self;
    Symbol* inst = lookup_method(self, p->member, e->span);
    check_visible_method(inst, p->member, p->member_span);
    e->method = p->symbol = inst;
    p->type = inst->type;
    for (size_t i = 0; i < e->args.size() && i < inst->type->elems.size(); ++i)
      if (!compatible(e->args[i]->type, inst->type->elems[i]))
        mismatch(e->args[i]->span, inst->type->elems[i], e->args[i]->type, "argument");
    return inst->type->elem;
  }
  self = resolve_type(p->owner);
  if (self->is_error()) {
    for (Expr* a : e->args) check(a, nullptr);
    return self;
  }
  Symbol* m = lookup_method(self, p->member, e->span);
  if (!m) {
    std::string best = closest_method(self, p->member);
    diags_.report(DiagCode::E0126, p->member_span, fmt::format("`{}` has no associated function `{}`", self->name, p->member))
        .help(best.empty() ? fmt::format("define it in an `impl {} {{ ... }}` block", self->name)
                           : fmt::format("did you mean `{}`?", best));
    for (Expr* a : e->args) check(a, nullptr);
    return types_.error();
  }
  check_visible_method(m, p->member, p->member_span);
  e->method = p->symbol = m;
  p->type = m->type;
  check_args(e, m->type->elems, fmt::format("`{}::{}`", p->owner->name, p->member).c_str());
  return m->type->elem;
}

// `Option.None`, `Maybe.Nothing`, `Result.Ok(x)`, `Result.Err(e)`: a
// variant whose payload cannot give all the type arguments of its generic
// type, which must come from the context.  (A payload variant of a generic
// enum of several type parameters, `Either.Left(x)`, is inferred from its
// payload alone: the other arguments cannot give part of a type.)
bool Checker::needs_type_arguments(const Expr* e) const {
  bool has_payload = e->kind == ExprKind::Call;
  if (has_payload) e = static_cast<const CallExpr*>(e)->callee;
  if (e->kind != ExprKind::Field) return false;
  const Expr* object = static_cast<const FieldExpr*>(e)->object;
  if (object->kind != ExprKind::Name) return false;
  const Symbol* s = lookup(static_cast<const NameExpr*>(object)->name);
  if (!s || s->kind != SymbolKind::Type) return false;
  if (s->name == "Result") return true;
  return !has_payload && (s->generic || s->name == "Option");
}

bool Checker::infer_args(const Decl* owner, const std::vector<TypeExpr*>& params, std::vector<Expr*>& args,
                         const std::vector<std::string>& generics, const TypeExpr* ret, const Type* expected,
                         Bindings& b) {
  bool ok = true;
  // Arguments that have a type of their own bind the type parameters, then
  // the expected result does; then bare literals take the parameter's type
  // (or their own, binding it), and last the variants that need type
  // arguments from the context (`Option.None`, `Result.Ok(x)`).
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < args.size() && i < params.size(); ++i) {
      TypeExpr* pt = params[i];
      int arg_pass = is_untyped_literal(args[i]) ? 1 : needs_type_arguments(args[i]) ? 2 : 0;
      if (arg_pass != pass) continue;
      bool takes_context = pass > 0;
      const Type* at;
      if (pt && mentions(pt, generics)) {
        const Type* hint = nullptr;
        std::vector<std::string> unbound;
        for (const std::string& g : generics)
          if (!b.count(g)) unbound.push_back(g);
        if (takes_context && !mentions(pt, unbound)) {
          InPackage in(*this, owner);
          hint = resolve_with(pt, b);
        }
        at = check(args[i], hint);
        // An array literal where a slice is wanted is a slice literal, as in
        // `let xs: []T = [...]`.
        if (pt->kind == TypeExprKind::Slice && at->kind == TypeKind::Array &&
            (args[i]->kind == ExprKind::ArrayLit || args[i]->kind == ExprKind::ArrayRepeat)) {
          at = types_.slice(at->elem);
          args[i]->type = at;
        }
        unify(pt, at, generics, b);
      } else if (pt) {
        const Type* want;
        {
          InPackage in(*this, owner);
          want = resolve_with(pt, b);
        }
        at = expect_type(args[i], want, "argument");
      } else {
        at = check(args[i], nullptr);
      }
      if (at->is_error()) ok = false;
    }
    if (pass == 0 && ret && expected) unify(ret, expected, generics, b);
  }
  return ok;
}

const Type* Checker::check_generic_call(CallExpr* e, Expr* n, Symbol* s, const Type* expected) {
  if (n->kind == ExprKind::Name) static_cast<NameExpr*>(n)->symbol = s;
  FnDecl* g = s->fn;
  if (g->params.size() != e->args.size()) {
    diags_.report(DiagCode::E0106, e->span, fmt::format("`{}` takes {} argument{} but {} {} given", g->name, g->params.size(),
                                                        g->params.size() == 1 ? "" : "s", e->args.size(),
                                                        e->args.size() == 1 ? "was" : "were"));
    for (Expr* a : e->args) check(a, nullptr);
    return types_.error();
  }
  Bindings b;
  std::vector<TypeExpr*> params;
  for (Param& p : g->params) params.push_back(p.type);
  if (!infer_args(g, params, e->args, g->generics, g->ret, expected, b)) return types_.error();
  for (const std::string& gen : g->generics) {
    if (!b.count(gen)) {
      // An expected type that is in error would have given it.
      if (expected && expected->is_error()) return expected;
      diags_.report(DiagCode::E0114, e->span, fmt::format("cannot infer the type parameter `{}` of `{}`", gen, g->name))
          .help("pass arguments that determine it, or give the result a type");
      return types_.error();
    }
    if (b[gen]->is_error()) return types_.error();
  }
  Symbol* inst = instantiate_fn(s, b, e->span);
  e->method = inst;
  n->type = inst->type;
  for (size_t i = 0; i < e->args.size(); ++i)
    if (g->params[i].type && mentions(g->params[i].type, g->generics) && !compatible(e->args[i]->type, inst->type->elems[i]))
      mismatch(e->args[i]->span, inst->type->elems[i], e->args[i]->type, "argument");
  return inst->type->elem;
}

const Type* Checker::check_try(TryExpr* e) {
  const Type* t = check(e->operand, nullptr);
  if (t->is_error()) return t;
  const Type* ret = cur_ret_;
  if (!ret) {  // in a constant's initialiser, which has nothing to return from
    diags_.report(DiagCode::E0127, e->span, "`try` outside a function: a constant's value cannot return early")
        .help("compute the value in a function and handle the `Err`/`None` there");
    return types_.error();
  }
  if (t->kind == TypeKind::Result) {
    if (ret->kind == TypeKind::Result && ret->elems[1] == t->elems[1]) return t->elems[0];
    diags_.report(DiagCode::E0127, e->span,
                  ret->kind == TypeKind::Result
                      ? fmt::format("`try` on `{}` in a function returning `{}`: the error types differ", t->name, ret->name)
                      : fmt::format("`try` on `{}` needs the function to return a `Result<_, {}>`, not `{}`", t->name,
                                    t->elems[1]->name, ret->name))
        .help("match on the value and convert the error yourself");
    return types_.error();
  }
  if (t->kind == TypeKind::Option) {
    if (ret->kind == TypeKind::Option) return t->elems[0];
    diags_.report(DiagCode::E0127, e->span,
                  fmt::format("`try` on `{}` needs the function to return an `Option`, not `{}`", t->name, ret->name));
    return types_.error();
  }
  diags_.report(DiagCode::E0127, e->span, fmt::format("`try` needs a `Result` or an `Option`, found `{}`", t->name));
  return types_.error();
}

const Type* Checker::check_closure(ClosureExpr* e) {
  e->id = next_id_++;
  std::vector<const Type*> params;
  for (Param& p : e->params) {
    if (!p.type) {
      diags_.report(DiagCode::E0114, p.span, "closure parameters need a type: `fn(x: i32) -> i32 { ... }`");
      params.push_back(types_.error());
      continue;
    }
    params.push_back(resolve_type(p.type));
  }
  const Type* ft = types_.func(params, e->ret ? resolve_type(e->ret) : types_.void_());
  // The body is checked as a function of its own that can see (and copy)
  // the locals around it.
  const void* saved_owner = cur_owner_;
  const Type* saved_ret = cur_ret_;
  std::string saved_name = cur_fn_name_;
  std::vector<bool> saved_loops;
  saved_loops.swap(loop_breaks_);
  std::vector<bool> saved_unsafe;
  saved_unsafe.swap(unsafe_used_);
  closures_.push_back(e);
  cur_owner_ = e;
  check_body(e->params, ft, e->body, "closure", Span{e->span.file, e->span.begin, e->span.begin + 2});
  closures_.pop_back();
  cur_owner_ = saved_owner;
  cur_ret_ = saved_ret;
  cur_fn_name_ = saved_name;
  loop_breaks_.swap(saved_loops);
  unsafe_used_.swap(saved_unsafe);
  return ft;
}

const Type* Checker::check_builtin_call(CallExpr* e, Builtin b, const Type* expected) {
  const Type* usize = types_.int_(IntKind::USize);
  const Type* u8 = types_.int_(IntKind::U8);
  const Type* bytes = types_.slice(u8);
  auto arity = [&](size_t lo, size_t hi, const char* name) {
    if (e->args.size() < lo || e->args.size() > hi) {
      diags_.report(DiagCode::E0106, e->span,
                    lo == hi ? fmt::format("`{}` takes {} argument{} but {} {} given", name, lo, lo == 1 ? "" : "s",
                                           e->args.size(), e->args.size() == 1 ? "was" : "were")
                             : fmt::format("`{}` takes {} to {} arguments but {} were given", name, lo, hi, e->args.size()));
      for (Expr* a : e->args) check(a, nullptr);
      return false;
    }
    return true;
  };
  auto printable_arg = [&](Expr* a) {
    const Type* t = check(a, nullptr);
    if (!is_printable(t))
      diags_.report(DiagCode::E0113, a->span, fmt::format("a value of type `{}` cannot be printed", t->name))
          .help("only integers, floats, bools, chars and strings are printable");
  };
  switch (b) {
    case Builtin::Log:
      if (!arity(1, 2, "log")) return types_.void_();
      if (e->args.size() == 2) expect_type(e->args[0], types_.string(), "the log level");
      printable_arg(e->args.back());
      return types_.void_();
    case Builtin::Panic:
      if (arity(1, 1, "panic")) printable_arg(e->args[0]);
      return types_.never();
    case Builtin::Exit:
      if (arity(1, 1, "exit")) expect_type(e->args[0], types_.int_(IntKind::I32), "exit status");
      return types_.never();
    case Builtin::Args:
      arity(0, 0, "args");
      return types_.slice(types_.string());
    case Builtin::Len: {
      if (!arity(1, 1, "len")) return usize;
      const Type* t = check(e->args[0], nullptr);
      if (!(t->is_error() || t->kind == TypeKind::Slice || t->kind == TypeKind::Array || t->kind == TypeKind::String))
        diags_.report(DiagCode::E0109, e->args[0]->span, fmt::format("`len` needs a slice, array or string, found `{}`", t->name));
      return usize;
    }
    case Builtin::Range:
      for (Expr* a : e->args) check(a, nullptr);
      diags_.report(DiagCode::E0901, e->span, "`range(...)` outside a `for` loop is not supported yet")
          .help("use it as `for i in range(n) { ... }`");
      return types_.error();
    case Builtin::AllocateSlice:
    case Builtin::AllocateSecureSlice:
      if (arity(1, 1, b == Builtin::AllocateSlice ? "allocate_slice" : "allocate_secure_slice"))
        expect_type(e->args[0], usize, "the length");
      return bytes;
    case Builtin::AllocateSecureBuffer:
      if (arity(0, 1, "allocate_secure_buffer") && e->args.size() == 1) expect_type(e->args[0], usize, "the length");
      return bytes;
    case Builtin::SecureZero:
      if (!arity(1, 2, "Asthra_runtime.secure_zero")) return types_.void_();
      if (e->args.size() == 1) {
        expect_type(e->args[0], bytes, "argument");
      } else {
        const Type* p = check(e->args[0], nullptr);
        if (!p->is_error() && p->kind != TypeKind::Ptr)
          mismatch(e->args[0]->span, types_.ptr(u8, true), p, "argument");
        expect_type(e->args[1], usize, "the length");
        require_unsafe(e->span, "`Asthra_runtime.secure_zero(ptr, len)`");
      }
      return types_.void_();
    case Builtin::SecureFree:
    case Builtin::FillRandom:
      if (arity(1, 1, b == Builtin::SecureFree ? "Asthra_runtime.secure_free" : "Asthra_runtime.fill_random"))
        expect_type(e->args[0], bytes, "argument");
      return types_.void_();
    case Builtin::SliceFromRawParts: {
      if (e->args.size() != 2 && e->args.size() != 4) {
        arity(4, 4, "Asthra_runtime.slice_from_raw_parts");
        return types_.error();
      }
      require_unsafe(e->span, "`Asthra_runtime.slice_from_raw_parts`");
      const Type* p = check(e->args[0], nullptr);
      expect_type(e->args[1], usize, "the length");
      if (e->args.size() == 4) {
        expect_type(e->args[2], types_.bool_(), "the `mutable` flag");
        expect_type(e->args[3], types_.int_(IntKind::I32), "the ownership");
      }
      if (p->is_error()) return p;
      if (p->kind != TypeKind::Ptr || p->elem->kind == TypeKind::Void) {
        diags_.report(DiagCode::E0103, e->args[0]->span,
                      fmt::format("`slice_from_raw_parts` needs a typed pointer `*mut T`, found `{}`", p->name))
            .help("cast it: `p as *mut u8`");
        return types_.error();
      }
      return types_.slice(p->elem);
    }
    case Builtin::ToC: {
      if (!arity(1, 1, "Asthra_runtime.to_c")) return types_.error();
      const Type* t = check(e->args[0], expected);
      if (t->is_error() || t->kind == TypeKind::Slice) return t;
      diags_.report(DiagCode::E0103, e->args[0]->span, fmt::format("`to_c` needs a slice, found `{}`", t->name));
      return types_.error();
    }
    case Builtin::StringToCstr:
      if (arity(1, 1, "Asthra_runtime.string_to_cstr")) expect_type(e->args[0], types_.string(), "argument");
      return types_.ptr(u8, true);
    case Builtin::CstrToString:
      if (arity(1, 1, "Asthra_runtime.cstr_to_string")) {
        expect_type(e->args[0], types_.ptr(u8, false), "argument");
        require_unsafe(e->span, "`Asthra_runtime.cstr_to_string`");
      }
      return types_.string();
    case Builtin::Pin:
      if (arity(2, 2, "Asthra_runtime.pin")) {
        expect_type(e->args[0], types_.ptr(u8, true), "argument");
        expect_type(e->args[1], usize, "the length");
        require_unsafe(e->span, "`Asthra_runtime.pin`");
      }
      return types_.void_();
    case Builtin::Unpin:
      if (arity(1, 1, "Asthra_runtime.unpin")) {
        expect_type(e->args[0], types_.ptr(u8, true), "argument");
        require_unsafe(e->span, "`Asthra_runtime.unpin`");
      }
      return types_.void_();
    case Builtin::GcCollect:
      arity(0, 0, "Asthra_runtime.gc_collect");
      return types_.void_();
    case Builtin::GcStats:
      arity(0, 0, "Asthra_runtime.gc_stats");
      return types_.strukt(&prog_.gc_stats_info);
    case Builtin::None:
      break;
  }
  ASTHRA_UNREACHABLE("builtin");
}

const Type* Checker::check_field(FieldExpr* e, const Type* expected) {
  if (Symbol* m = package_member(e)) {  // `pkg.name` as a value
    switch (m->kind) {
      case SymbolKind::Fn: case SymbolKind::Extern: case SymbolKind::Const:
        if (m->generic) {
          diags_.report(DiagCode::E0114, e->span, fmt::format("cannot infer the type parameters of `{}` used as a value", e->field));
          return types_.error();
        }
        if (m->kind != SymbolKind::Const) check_function_value(m, e, e->field);
        e->symbol = m;
        if (m->kind == SymbolKind::Const) return const_type(m, e->span);
        return m->type ? m->type : types_.error();
      default:
        diags_.report(DiagCode::E0123, e->span, fmt::format("`{}` is a type, not a value", e->field));
        return types_.error();
    }
  } else if (e->object->kind == ExprKind::Name && static_cast<NameExpr*>(e->object)->symbol &&
             static_cast<NameExpr*>(e->object)->symbol->kind == SymbolKind::Package &&
             static_cast<NameExpr*>(e->object)->symbol->pkg) {
    return types_.error();  // reported by package_member
  }
  if (e->object->kind == ExprKind::Field) {  // `pkg.Enum.Variant`
    auto* inner = static_cast<FieldExpr*>(e->object);
    if (Symbol* ts = package_member(inner); ts && ts->kind == SymbolKind::Type) {
      inner->symbol = ts;
      const Type* sum = sum_type_for(ts, expected, inner->span, e->field);
      return check_variant_ctor(e, ts, sum, e->field, e->field_span, nullptr);
    }
  }
  if (e->object->kind == ExprKind::Name) {
    auto* on = static_cast<NameExpr*>(e->object);
    Symbol* os = lookup(on->name);
    if (os && os->kind == SymbolKind::Type) {
      on->symbol = os;
      const Type* sum = sum_type_for(os, expected, on->span, e->field);
      return check_variant_ctor(e, os, sum, e->field, e->field_span, nullptr);
    }
    if (os && os->kind == SymbolKind::Package) {
      on->symbol = os;
      auto it = libc_members_.find(e->field);
      if (os->package == "libc" && it != libc_members_.end()) {
        e->symbol = it->second;
        check_function_value(it->second, e, fmt::format("libc.{}", e->field));
        return it->second->type;
      }
      diags_.report(DiagCode::E0120, e->field_span,
                    fmt::format("`{}.{}` is not a value", on->name, e->field))
          .help(os->package == "Asthra_runtime" ? "call it: `Asthra_runtime.name(...)`" : "check the name");
      return types_.error();
    }
  }
  const Type* t = check(e->object, nullptr);
  if (t->is_error()) return t;
  switch (t->kind) {
    case TypeKind::Struct:
      if (const FieldInfo* f = t->strukt->field(e->field)) {
        check_visible_field(t, e->field, e->field_span);
        return f->type;
      }
      break;
    case TypeKind::Tuple: {
      char* end = nullptr;
      unsigned long i = std::strtoul(e->field.c_str(), &end, 10);
      if (!e->field.empty() && *end == '\0' && i < t->elems.size()) return t->elems[i];
      break;
    }
    case TypeKind::Slice:
      if (e->field == "len") return types_.int_(IntKind::USize);
      if (e->field == "ptr") return types_.ptr(t->elem, true);
      break;
    case TypeKind::Array:
      if (e->field == "len") return types_.int_(IntKind::USize);
      break;
    case TypeKind::String:
      if (e->field == "len") return types_.int_(IntKind::USize);
      if (e->field == "ptr") return types_.ptr(types_.int_(IntKind::U8), false);
      break;
    default:
      break;
  }
  auto d = diags_.report(DiagCode::E0105, e->field_span, fmt::format("type `{}` has no field `{}`", t->name, e->field));
  if (t->kind == TypeKind::Ptr) d.help("dereference the pointer first: `(*p).field` (in `unsafe`)");
  else if (t->kind == TypeKind::Struct) {
    std::string names;
    for (const auto& f : t->strukt->fields) names += (names.empty() ? "" : ", ") + f.name;
    if (!names.empty()) d.help(fmt::format("its fields are: {}", names));
  }
  return types_.error();
}

const Type* Checker::check_index(IndexExpr* e) {
  const Type* t = check(e->object, nullptr);
  const Type* i = check(e->index, nullptr);
  if (!i->is_error() && !i->is_integer())
    diags_.report(DiagCode::E0103, e->index->span, fmt::format("an index must be an integer, found `{}`", i->name));
  if (t->is_error()) return t;
  switch (t->kind) {
    case TypeKind::Slice: case TypeKind::Array: return t->elem;
    case TypeKind::String: return types_.int_(IntKind::U8);
    default:
      diags_.report(DiagCode::E0112, e->object->span, fmt::format("a value of type `{}` cannot be indexed", t->name))
          .help(t->kind == TypeKind::Ptr ? "use pointer arithmetic in `unsafe`: `*(p + i)`, or wrap it with `Asthra_runtime.slice_from_raw_parts`" : "only slices, arrays and strings can be indexed");
      return types_.error();
  }
}

const Type* Checker::check_slice_range(SliceRangeExpr* e) {
  const Type* t = check(e->object, nullptr);
  for (Expr* b : {e->lo, e->hi}) {
    if (!b) continue;
    const Type* bt = check(b, nullptr);
    if (!bt->is_error() && !bt->is_integer())
      diags_.report(DiagCode::E0103, b->span, fmt::format("a slice bound must be an integer, found `{}`", bt->name));
  }
  if (t->is_error()) return t;
  switch (t->kind) {
    case TypeKind::Slice: case TypeKind::String: return t;
    case TypeKind::Array: {
      bool through = false;
      if (Symbol* root = place_root(e->object, &through); root && !through) root->address_taken = true;
      return types_.slice(t->elem);
    }
    default:
      diags_.report(DiagCode::E0112, e->object->span, fmt::format("a value of type `{}` cannot be sliced", t->name));
      return types_.error();
  }
}

const Type* Checker::check_cast(CastExpr* e) {
  const Type* to = resolve_type(e->target);
  const Type* from = check(e->operand, to->is_numeric() ? to : nullptr);
  if (from->is_error() || to->is_error()) return to;
  bool ok = from == to || (from->is_numeric() && to->is_numeric()) ||
            (to->is_integer() && (from->kind == TypeKind::Bool || from->kind == TypeKind::Char)) ||
            (to->kind == TypeKind::Char && from == types_.int_(IntKind::U8)) ||
            (from->kind == TypeKind::Ptr && to->kind == TypeKind::Ptr) ||
            (from->is_integer() && to->kind == TypeKind::Ptr) ||
            (from->kind == TypeKind::Ptr && to->is_integer() && to->int_bits() == 64) ||
            (from->kind == TypeKind::Func && to->kind == TypeKind::Ptr);
  if (!ok) {
    diags_.report(DiagCode::E0110, e->span, fmt::format("cannot cast `{}` to `{}`", from->name, to->name))
        .help("`as` converts between numeric types, between pointer types, and from integers to pointers");
  }
  return to;
}

const Type* Checker::check_struct_lit(StructLitExpr* e, const Type* expected) {
  Symbol* gs = nullptr;
  if (e->type_expr->kind == TypeExprKind::Named && e->type_expr->args.empty()) {
    const std::string& name = e->type_expr->name;
    size_t dot = name.find('.');
    if (dot == std::string::npos) {
      gs = lookup(name);
    } else {
      // `pkg.Pair { ... }`: a generic struct of an imported package infers its
      // type arguments like a local one. Look it up quietly first, so that any
      // other case reports its problems once, through resolve_type below.
      Symbol* p = lookup(name.substr(0, dot));
      if (p && p->kind == SymbolKind::Package && p->pkg) {
        auto& scope = package_scopes_[p->pkg];
        auto it = scope.find(name.substr(dot + 1));
        if (it != scope.end() && it->second->kind == SymbolKind::Type && it->second->generic &&
            it->second->generic->kind == DeclKind::Struct)
          gs = resolve_qualified(name.substr(0, dot), name.substr(dot + 1), e->type_expr->span);
      }
    }
  }
  if (gs && gs->kind == SymbolKind::Type && gs->generic && gs->generic->kind == DeclKind::Struct) {
    // `Pair { first: 1, second: 2 }`: the instance comes from the context or the fields.
    auto* sd = static_cast<StructDecl*>(gs->generic);
    if (expected && expected->is_error()) {
      // The instance the context meant is unknown: its fields' types too.
      for (FieldInit& f : e->fields) check(f.value, expected);
      return expected;
    }
    if (!(expected && expected->kind == TypeKind::Struct && expected->strukt->decl == sd)) {
      Bindings b;
      std::vector<TypeExpr*> field_types;
      std::vector<Expr*> values;
      for (FieldInit& f : e->fields) {
        for (FieldDecl& fd : sd->fields) {
          if (fd.name == f.name && mentions(fd.type, sd->generics)) {
            field_types.push_back(fd.type);
            values.push_back(f.value);
          }
        }
      }
      if (!infer_args(sd, field_types, values, sd->generics, nullptr, nullptr, b)) {
        for (FieldInit& f : e->fields) if (!f.value->type) check(f.value, nullptr);
        return types_.error();
      }
      std::vector<const Type*> targs;
      for (const std::string& g : sd->generics) {
        if (!b.count(g)) {
          diags_.report(DiagCode::E0114, e->span, fmt::format("cannot infer the type parameter `{}` of `{}`", g, sd->name))
              .help(fmt::format("write it: `{}<...> {{ ... }}`", e->type_expr->name));
          for (FieldInit& f : e->fields) if (!f.value->type) check(f.value, nullptr);
          return types_.error();
        }
        targs.push_back(b[g]);
      }
      expected = instantiate_nominal(gs, targs, e->span);
      if (expected->is_error()) return expected;
    }
    return check_struct_fields(e, expected);
  }
  const Type* t = resolve_type(e->type_expr);
  if (t->is_error()) {
    for (FieldInit& f : e->fields) check(f.value, nullptr);
    return t;
  }
  if (t->kind != TypeKind::Struct) {
    diags_.report(DiagCode::E0116, e->type_expr->span, fmt::format("`{}` is not a struct", t->name));
    for (FieldInit& f : e->fields) check(f.value, nullptr);
    return types_.error();
  }
  return check_struct_fields(e, t);
}

// The fields of a literal of struct type `t`. A generic struct's literal has
// typed the values that its type arguments were inferred from already.
const Type* Checker::check_struct_fields(StructLitExpr* e, const Type* t) {
  std::vector<bool> given(t->strukt->fields.size(), false);
  for (FieldInit& f : e->fields) {
    const FieldInfo* info = t->strukt->field(f.name);
    if (!info) {
      diags_.report(DiagCode::E0116, f.span, fmt::format("struct `{}` has no field `{}`", t->name, f.name));
      if (!f.value->type) check(f.value, nullptr);
      continue;
    }
    size_t index = static_cast<size_t>(info - t->strukt->fields.data());
    if (given[index]) {
      diags_.report(DiagCode::E0116, f.span, fmt::format("field `{}` is given twice", f.name));
    }
    given[index] = true;
    check_visible_field(t, f.name, f.span);
    if (!f.value->type)
      expect_type(f.value, info->type, "struct field");
    else if (!compatible(f.value->type, info->type))
      mismatch(f.value->span, info->type, f.value->type, "struct field");
  }
  std::string missing;
  for (size_t i = 0; i < given.size(); ++i)
    if (!given[i]) missing += (missing.empty() ? "`" : ", `") + t->strukt->fields[i].name + "`";
  if (!missing.empty()) {
    diags_.report(DiagCode::E0116, e->span, fmt::format("missing field{} {} in `{}` literal",
                                                         missing.find(',') != std::string::npos ? "s" : "", missing, t->name))
        .help("every field must be given a value");
  }
  return t;
}

const Type* Checker::check_array_lit(ArrayLitExpr* e, const Type* expected) {
  const Type* elem = nullptr;
  if (expected && (expected->kind == TypeKind::Slice || expected->kind == TypeKind::Array)) elem = expected->elem;
  if (!elem && e->elements.empty()) {
    diags_.report(DiagCode::E0114, e->span, "cannot infer the element type of an empty array literal")
        .help("give the binding a type, e.g. `let a: []i32 = [];`");
    return types_.error();
  }
  for (Expr* x : e->elements) {
    if (!elem) {
      elem = check(x, nullptr);
      if (elem->kind == TypeKind::Never) elem = types_.error();
    } else {
      expect_type(x, elem, "array element");
    }
  }
  if (elem->is_error()) return elem;
  if (expected && expected->kind == TypeKind::Slice) return expected;
  if (expected && expected->kind == TypeKind::Array && expected->count != e->elements.size()) {
    diags_.report(DiagCode::E0103, e->span, fmt::format("mismatched types: expected `{}`, found an array of {} element{}",
                                                        expected->name, e->elements.size(), e->elements.size() == 1 ? "" : "s"));
    return types_.error();
  }
  return types_.array(elem, e->elements.size());
}

const Type* Checker::check_array_repeat(ArrayRepeatExpr* e, const Type* expected) {
  const Type* elem = expected && (expected->kind == TypeKind::Slice || expected->kind == TypeKind::Array)
                         ? expected->elem : nullptr;
  const Type* vt = elem ? expect_type(e->value, elem, "array element") : check(e->value, nullptr);
  if (!elem) elem = vt;
  expect_type(e->count, types_.int_(IntKind::USize), "the repeat count");
  if (elem->is_error()) return elem;
  // A slice's count may be dynamic; an expected type in error cannot say
  // whether a slice was meant.
  if (expected && (expected->kind == TypeKind::Slice || expected->is_error())) return expected;
  bool failed = false;
  std::optional<int64_t> n = const_int(e->count, &failed);
  if (failed) return types_.error();
  if (!n || *n < 0) {
    diags_.report(DiagCode::E0118, e->count->span, "the length of an array must be a constant")
        .help("for a length known only at run time, make a slice: `let s: []T = [v; n];`");
    return types_.error();
  }
  e->count_value = static_cast<uint64_t>(*n);
  return types_.array(elem, e->count_value);
}

const Type* Checker::check_if(IfExpr* e, const Type* expected, bool want_value) {
  push_scope();
  if (e->let_pattern) {
    const Type* t = check(e->cond, nullptr);
    check_pattern(e->let_pattern, t);
  } else {
    expect_type(e->cond, types_.bool_(), "`if` condition");
  }
  const Type* then_t = check_block(e->then_block, expected, want_value);
  pop_scope();
  if (!e->else_branch) {
    if (want_value && !then_t->is_error() && then_t->kind != TypeKind::Void && then_t->kind != TypeKind::Never) {
      diags_.report(DiagCode::E0103, e->span, "`if` without `else` has no value")
          .help("add an `else` branch that gives a value too");
      return types_.error();
    }
    return types_.void_();
  }
  const Type* else_expected = expected;
  if (!else_expected && want_value && !then_t->is_error() && then_t->kind != TypeKind::Never &&
      !(e->then_block->tail && is_untyped_literal(e->then_block->tail)))
    else_expected = then_t;
  const Type* else_t = check(e->else_branch, else_expected, want_value);
  return join(then_t, else_t, e->span, want_value);
}

const Type* Checker::check_match(MatchExpr* e, const Type* expected, bool want_value) {
  const Type* st = check(e->scrutinee, nullptr);
  int errors_before_arms = diags_.error_mark();
  const Type* result = types_.never();
  // Without a type from the context, arms that are bare literals take the
  // type of the other arms: check those first.
  const Type* arm_expected = expected;
  bool reorder = !expected && want_value;
  for (int pass = 0; pass < (reorder ? 2 : 1); ++pass) {
    for (MatchArm& arm : e->arms) {
      if (reorder && is_untyped_literal(arm.body) != (pass == 1)) continue;
      push_scope();
      check_pattern(arm.pattern, st);
      const Type* t = check(arm.body, arm_expected, want_value);
      pop_scope();
      if (want_value && !arm_expected && !t->is_error() && t->kind != TypeKind::Never && t->kind != TypeKind::Void)
        arm_expected = t;
      result = join(result, t, arm.body->span, want_value);
    }
  }
  if (e->arms.empty()) result = want_value ? types_.never() : types_.void_();
  if (!st->is_error()) check_exhaustive(e, st, diags_.error_mark() == errors_before_arms);
  if (!want_value && result->kind != TypeKind::Never) return types_.void_();
  return result;
}

const Type* Checker::check_inner(Expr* e, const Type* expected, bool want_value) {
  switch (e->kind) {
    case ExprKind::IntLit:
      return check_int_lit(static_cast<IntLit*>(e), expected, false);
    case ExprKind::FloatLit: {
      const Type* t = expected && expected->kind == TypeKind::Float ? expected : types_.float_(64);
      double v = static_cast<FloatLit*>(e)->value;
      // FLT_MAX + half an ulp: from there on a double rounds to f32 infinity.
      constexpr double kF32Overflow = 3.4028235677973366e+38;
      if (std::isinf(v) || (t->float_bits == 32 && std::fabs(v) >= kF32Overflow)) {
        diags_.report(DiagCode::E0111, e->span,
                      fmt::format("`{}` does not fit in `{}`", static_cast<FloatLit*>(e)->spelling, t->name));
      }
      return t;
    }
    case ExprKind::StringLit:
      return types_.string();
    case ExprKind::CharLit:
      return types_.char_();
    case ExprKind::BoolLit:
      return types_.bool_();
    case ExprKind::VoidLit:
      return types_.void_();
    case ExprKind::Name:
      return check_name(static_cast<NameExpr*>(e), expected);
    case ExprKind::Unary:
      return check_unary(static_cast<UnaryExpr*>(e), expected);
    case ExprKind::Binary:
      return check_binary(static_cast<BinaryExpr*>(e), expected);
    case ExprKind::Call:
      return check_call(static_cast<CallExpr*>(e), expected);
    case ExprKind::Field:
      return check_field(static_cast<FieldExpr*>(e), expected);
    case ExprKind::Index:
      return check_index(static_cast<IndexExpr*>(e));
    case ExprKind::SliceRange:
      return check_slice_range(static_cast<SliceRangeExpr*>(e));
    case ExprKind::Cast:
      return check_cast(static_cast<CastExpr*>(e));
    case ExprKind::StructLit:
      return check_struct_lit(static_cast<StructLitExpr*>(e), expected);
    case ExprKind::ArrayLit:
      return check_array_lit(static_cast<ArrayLitExpr*>(e), expected);
    case ExprKind::ArrayRepeat:
      return check_array_repeat(static_cast<ArrayRepeatExpr*>(e), expected);
    case ExprKind::TupleLit: {
      auto* t = static_cast<TupleLitExpr*>(e);
      std::vector<const Type*> elems;
      bool matches = expected && expected->kind == TypeKind::Tuple && expected->elems.size() == t->elements.size();
      for (size_t i = 0; i < t->elements.size(); ++i) {
        const Type* et = check(t->elements[i], matches ? expected->elems[i] : nullptr);
        if (et->kind == TypeKind::Void || et->kind == TypeKind::Never) {
          diags_.report(DiagCode::E0103, t->elements[i]->span, fmt::format("a tuple element cannot have type `{}`", et->name));
          et = types_.error();
        }
        if (et->is_error()) return et;
        elems.push_back(et);
      }
      return types_.tuple(std::move(elems));
    }
    case ExprKind::Block: {
      auto* b = static_cast<BlockExpr*>(e);
      push_scope();
      const Type* t = check_block(b, expected, want_value);
      pop_scope();
      return t;
    }
    case ExprKind::If:
      return check_if(static_cast<IfExpr*>(e), expected, want_value);
    case ExprKind::Match:
      return check_match(static_cast<MatchExpr*>(e), expected, want_value);
    case ExprKind::Sizeof: {
      auto* so = static_cast<SizeofExpr*>(e);
      const Type* t = resolve_type(so->target);
      so->target_type = t;
      if (t->kind == TypeKind::Void || t->kind == TypeKind::Never)
        diags_.report(DiagCode::E0103, e->span, fmt::format("`{}` has no size", t->name));
      return types_.int_(IntKind::USize);
    }
    case ExprKind::Path: {
      auto d = diags_.report(DiagCode::E0901, e->span, "associated items (`Type::name`) are not supported yet");
      auto* path = static_cast<PathExpr*>(e);
      // Looked up quietly: the help is a guess, not a second diagnostic.
      const Symbol* owner = lookup(path->owner->name);
      if (owner && owner->kind == SymbolKind::Type && owner->type && owner->type->is_sum())
        for (const VariantInfo& v : types_.variants(owner->type))
          if (v.name == path->member) d.help(fmt::format("a variant is written with `.`: `{}.{}`", path->owner->name, v.name));
      return types_.error();
    }
    case ExprKind::Closure:
      return check_closure(static_cast<ClosureExpr*>(e));
    case ExprKind::Try:
      return check_try(static_cast<TryExpr*>(e));
    case ExprKind::Await: {
      const Type* t = check(static_cast<AwaitExpr*>(e)->operand, nullptr);
      if (t->is_error()) return t;
      if (t->kind != TypeKind::Handle) {
        diags_.report(DiagCode::E0103, e->span, fmt::format("`await` needs a task handle (`Handle<T>`), found `{}`", t->name))
            .help("start the task with `spawn_with_handle h = f(...);` and `await h`");
        return types_.error();
      }
      return t->elem;
    }
  }
  ASTHRA_UNREACHABLE("expression kind");
}

}  // namespace asthra
