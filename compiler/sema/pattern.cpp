// Patterns: checking them against the scrutinee's type, and match
// exhaustiveness by the usefulness algorithm of Maranget ("Warnings for
// pattern matching", JFP 2007): a match is exhaustive when no value vector
// escapes every row; when one does, the escaping value is printed as the
// missing pattern.  bool, enums, Option, Result, tuples and structs have
// finite constructor sets; other types (integers, strings) only a wildcard
// covers.  The same algorithm finds unreachable arms (W0201): an arm is
// unreachable when no value matches it and none of the arms before it.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "compiler/base/check.h"
#include "compiler/sema/checker.h"

namespace asthra {

void Checker::check_pattern(Pattern* p, const Type* t) {
  p->type = t;
  switch (p->kind) {
    case PatternKind::Wildcard:
      return;
    case PatternKind::Binding: {
      // The pattern's scope is new (a match arm, an `if let`): a name
      // already in it was bound by this same pattern.
      auto earlier = scopes_.back().find(p->name);
      if (earlier != scopes_.back().end() && earlier->second->kind == SymbolKind::Local &&
          earlier->second->binding == Symbol::Binding::Pattern) {
        diags_.report(DiagCode::E0102, p->span, fmt::format("`{}` is bound more than once in the same pattern", p->name))
            .note(earlier->second->span, "first bound here")
            .help("give each binding its own name; to require equal values, bind two names and compare them");
      }
      p->symbol = declare_local(p->name, p->span, t, false, Symbol::Binding::Pattern);
      return;
    }
    case PatternKind::Literal: {
      const Type* lt = check(p->literal, t->is_error() ? nullptr : t);
      if (lt->is_error() || t->is_error()) return;
      if (!compatible(lt, t)) {
        diags_.report(DiagCode::E0204, p->span,
                      fmt::format("this pattern has type `{}` but the value matched has type `{}`", lt->name, t->name));
      }
      return;
    }
    case PatternKind::Tuple: {
      if (!t->is_error() && (t->kind != TypeKind::Tuple || t->elems.size() != p->subs.size())) {
        diags_.report(DiagCode::E0204, p->span,
                      fmt::format("a tuple pattern of {} elements cannot match a value of type `{}`", p->subs.size(), t->name));
        t = types_.error();
      }
      for (size_t i = 0; i < p->subs.size(); ++i) check_pattern(p->subs[i], t->is_error() ? t : t->elems[i]);
      return;
    }
    case PatternKind::Struct: {
      Symbol* s = lookup_path(p->name, p->span);  // `pkg.Name` reports its own problems
      bool names_struct = s && t->kind == TypeKind::Struct &&
                          (s->generic ? t->strukt->decl == s->generic : s->type == t);
      bool unknown_qualified = !s && p->name.find('.') != std::string::npos;
      if (unknown_qualified) {
        t = types_.error();
      } else if (!t->is_error() && !names_struct) {
        diags_.report(DiagCode::E0204, p->span,
                      fmt::format("pattern `{} {{ ... }}` cannot match a value of type `{}`", p->name, t->name));
        t = types_.error();
      }
      for (size_t i = 0; i < p->subs.size(); ++i) {
        const Type* ft = types_.error();
        if (!t->is_error()) {
          if (const FieldInfo* f = t->strukt->field(p->field_names[i])) {
            ft = f->type;
            check_visible_field(t, p->field_names[i], p->subs[i]->span);
          } else {
            diags_.report(DiagCode::E0105, p->subs[i]->span,
                          fmt::format("struct `{}` has no field `{}`", t->name, p->field_names[i]));
          }
        }
        check_pattern(p->subs[i], ft);
      }
      return;
    }
    case PatternKind::Variant:
      break;
  }
  // Enum.Variant(...)
  auto bad_subs = [&]() {
    for (Pattern* sub : p->subs) check_pattern(sub, types_.error());
  };
  if (t->is_error()) return bad_subs();
  Symbol* s = lookup_path(p->name, p->span);
  bool names_type = s && s->kind == SymbolKind::Type &&
                    (s->generic ? t->kind == TypeKind::Enum && t->enm->decl == s->generic
                     : s->type  ? s->type == t
                                : (s->name == "Result" ? t->kind == TypeKind::Result : t->kind == TypeKind::Option));
  if (!names_type) {
    diags_.report(DiagCode::E0204, p->span,
                  fmt::format("pattern `{}.{}` cannot match a value of type `{}`", p->name, p->variant, t->name));
    return bad_subs();
  }
  auto& variants = types_.variants(t);
  const VariantInfo* v = nullptr;
  for (const auto& vi : variants)
    if (vi.name == p->variant) v = &vi;
  if (!v) {
    std::string names;
    for (const auto& vi : variants) names += (names.empty() ? "" : ", ") + vi.name;
    diags_.report(DiagCode::E0115, p->variant_span, fmt::format("`{}` has no variant `{}`", t->name, p->variant))
        .help(fmt::format("its variants are: {}", names));
    return bad_subs();
  }
  bool void_payload = v->payload.size() == 1 && v->payload[0]->kind == TypeKind::Void;
  if (p->subs.size() != v->payload.size() && !(void_payload && p->subs.empty())) {
    auto d = diags_.report(DiagCode::E0204, p->span,
                           fmt::format("variant `{}.{}` has {} field{} but the pattern has {}", t->name, p->variant,
                                       v->payload.size(), v->payload.size() == 1 ? "" : "s", p->subs.size()));
    if (!p->has_parens && !v->payload.empty()) d.help(fmt::format("write `{}.{}(_)` to ignore the value", p->name, p->variant));
    return bad_subs();
  }
  for (size_t i = 0; i < p->subs.size(); ++i) check_pattern(p->subs[i], v->payload[i]);
}

namespace {

using Row = std::vector<const Pattern*>;  // null: wildcard

bool is_wild(const Pattern* p) {
  return !p || p->kind == PatternKind::Wildcard || p->kind == PatternKind::Binding;
}

struct Ctor {
  std::string name;  // "true", variant name, or "" for the single tuple/struct constructor
  std::vector<const Type*> args;
};

class Exhaustiveness {
 public:
  explicit Exhaustiveness(TypeContext& types) : types_(types) {}

  // The finite constructor set of `t`, or nullopt for an infinite domain.
  std::optional<std::vector<Ctor>> ctors(const Type* t) {
    switch (t->kind) {
      case TypeKind::Bool:
        return std::vector<Ctor>{{"false", {}}, {"true", {}}};
      case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
        std::vector<Ctor> out;
        for (const VariantInfo& v : types_.variants(t)) out.push_back({v.name, v.payload});
        return out;
      }
      case TypeKind::Tuple:
        return std::vector<Ctor>{{"", t->elems}};
      case TypeKind::Struct: {
        std::vector<const Type*> fields;
        for (const FieldInfo& f : t->strukt->fields) fields.push_back(f.type);
        return std::vector<Ctor>{{"", fields}};
      }
      default:
        return std::nullopt;
    }
  }

  // If `head` matches constructor `c`, the sub-patterns it has for c's args.
  std::optional<Row> specialize(const Pattern* head, const Ctor& c, const Type* t) {
    size_t arity = c.args.size();
    if (is_wild(head)) return Row(arity, nullptr);
    switch (head->kind) {
      case PatternKind::Literal: {
        if (t->kind != TypeKind::Bool || head->literal->kind != ExprKind::BoolLit) return std::nullopt;
        bool v = static_cast<const BoolLit*>(head->literal)->value;
        if ((v ? "true" : "false") != c.name) return std::nullopt;
        return Row{};
      }
      case PatternKind::Variant: {
        if (head->variant != c.name) return std::nullopt;
        Row r(head->subs.begin(), head->subs.end());
        r.resize(arity, nullptr);
        return r;
      }
      case PatternKind::Tuple:
        // A tuple pattern of the wrong length was already E0204; count it as
        // a wildcard so that one mistake gives one diagnostic.
        if (head->subs.size() != arity) return Row(arity, nullptr);
        return Row(head->subs.begin(), head->subs.end());
      case PatternKind::Struct: {
        Row r(arity, nullptr);
        // A struct pattern against a type that is not a struct was already
        // diagnosed; count it as a wildcard (fuzz_frontend found the crash).
        if (t->strukt == nullptr) return r;
        for (size_t i = 0; i < head->subs.size(); ++i) {
          const FieldInfo* f = t->strukt->field(head->field_names[i]);
          if (f) r[static_cast<size_t>(f - t->strukt->fields.data())] = head->subs[i];
        }
        return r;
      }
      default:
        return std::nullopt;
    }
  }

  std::string show(const Type* t, const Ctor& c, const std::vector<std::string>& args) {
    std::string joined;
    for (size_t i = 0; i < args.size(); ++i) joined += (i ? ", " : "") + args[i];
    switch (t->kind) {
      case TypeKind::Bool: return c.name;
      case TypeKind::Tuple: return "(" + joined + ")";
      case TypeKind::Struct: return t->strukt->decl ? t->strukt->decl->name + " { .. }" : t->name;
      default: {
        std::string owner = t->kind == TypeKind::Enum ? t->enm->decl->name : t->kind == TypeKind::Option ? "Option" : "Result";
        bool void_payload = c.args.size() == 1 && c.args[0]->kind == TypeKind::Void;
        if (c.args.empty() || void_payload) return owner + "." + c.name;
        return owner + "." + c.name + "(" + joined + ")";
      }
    }
  }

  // Which of the constructors `cs` of `t` the rows' heads name.  Only when
  // they name all of them is it worth specialising by each (Maranget's
  // complete signature); otherwise the default matrix decides.  This keeps
  // recursive types finite.
  std::vector<bool> named_ctors(const std::vector<Row>& rows, const std::vector<Ctor>& cs, const Type* t) {
    std::vector<bool> named(cs.size(), false);
    for (const Row& r : rows) {
      if (is_wild(r[0])) continue;
      for (size_t i = 0; i < cs.size(); ++i)
        if (specialize(r[0], cs[i], t)) named[i] = true;
    }
    return named;
  }

  // The rows whose head matches constructor `c`, the head replaced by its
  // sub-patterns (Maranget's S(c, P)).
  std::vector<Row> specialize_rows(const std::vector<Row>& rows, const Ctor& c, const Type* t) {
    rows_specialized_ += rows.size();
    std::vector<Row> spec;
    for (const Row& r : rows) {
      if (auto args = specialize(r[0], c, t)) {
        Row nr = *args;
        nr.insert(nr.end(), r.begin() + 1, r.end());
        spec.push_back(std::move(nr));
      }
    }
    return spec;
  }

  // The rows whose head is a wildcard, without it (Maranget's D(P)).
  static std::vector<Row> default_rows(const std::vector<Row>& rows) {
    std::vector<Row> dflt;
    for (const Row& r : rows)
      if (is_wild(r[0])) dflt.emplace_back(r.begin() + 1, r.end());
    return dflt;
  }

  // Whether some value vector matches `q` and no row (Maranget's U(P, q)).
  bool useful(const std::vector<Row>& rows, const Row& q, const std::vector<const Type*>& tys, int depth = 0) {
    if (tys.empty()) return rows.empty();
    // Pathological nesting, or wide tuples whose wildcards make the search
    // exponential (as rustc's pattern complexity limit): assume reachable.
    if (depth > 64 || rows_specialized_ > kUsefulnessBudget) return true;
    const Type* t = tys[0];
    std::vector<const Type*> rest(tys.begin() + 1, tys.end());
    Row q_rest(q.begin() + 1, q.end());
    auto cs = t->is_error() ? std::nullopt : ctors(t);
    auto useful_as = [&](const Ctor& c) {
      auto q_args = specialize(q[0], c, t);
      if (!q_args) return false;
      q_args->insert(q_args->end(), q_rest.begin(), q_rest.end());
      std::vector<const Type*> sub_tys = c.args;
      sub_tys.insert(sub_tys.end(), rest.begin(), rest.end());
      return useful(specialize_rows(rows, c, t), *q_args, sub_tys, depth + 1);
    };
    if (cs && !is_wild(q[0])) {
      for (const Ctor& c : *cs)
        if (specialize(q[0], c, t)) return useful_as(c);
      return true;  // a pattern of another type: E0204 already
    }
    if (cs) {
      std::vector<bool> named = named_ctors(rows, *cs, t);
      if (std::all_of(named.begin(), named.end(), [](bool b) { return b; }))
        return std::any_of(cs->begin(), cs->end(), useful_as);
      return useful(default_rows(rows), q_rest, rest, depth + 1);
    }
    if (is_wild(q[0])) return useful(default_rows(rows), q_rest, rest, depth + 1);
    // A literal of an infinite domain (integers, strings, chars): the rows
    // that can match it are the wildcards and the same literal.
    std::optional<std::string> key = literal_key(q[0]);
    std::vector<Row> same;
    for (const Row& r : rows)
      if (is_wild(r[0]) || (key && literal_key(r[0]) == key)) same.emplace_back(r.begin() + 1, r.end());
    return useful(same, q_rest, rest, depth + 1);
  }

  // A literal pattern's value as a comparable key; nullopt for patterns
  // that are not integer, char or string literals (floats are never equal).
  static std::optional<std::string> literal_key(const Pattern* p) {
    if (p->kind != PatternKind::Literal) return std::nullopt;
    const Expr* e = p->literal;
    bool negative = false;
    if (e->kind == ExprKind::Unary && static_cast<const UnaryExpr*>(e)->op == Tok::Minus) {
      negative = true;
      e = static_cast<const UnaryExpr*>(e)->operand;
    }
    switch (e->kind) {
      case ExprKind::IntLit: {
        auto* lit = static_cast<const IntLit*>(e);
        if (lit->overflowed) return std::nullopt;
        return fmt::format("i{}{}", negative && lit->value != 0 ? "-" : "", lit->value);
      }
      case ExprKind::CharLit:
        return negative ? std::nullopt : std::optional(fmt::format("c{}", static_cast<const CharLit*>(e)->value));
      case ExprKind::StringLit:
        return negative ? std::nullopt : std::optional("s" + static_cast<const StringLit*>(e)->value);
      default:
        return std::nullopt;
    }
  }

  // A value vector (shown as patterns) matched by no row, or nullopt.
  std::optional<std::vector<std::string>> missing(const std::vector<Row>& rows,
                                                  const std::vector<const Type*>& tys, int depth = 0) {
    if (tys.empty()) return rows.empty() ? std::optional(std::vector<std::string>{}) : std::nullopt;
    if (depth > 64) return std::nullopt;  // pathological nesting: assume covered
    const Type* t = tys[0];
    std::vector<const Type*> rest(tys.begin() + 1, tys.end());
    auto cs = t->is_error() ? std::nullopt : ctors(t);
    if (cs) {
      // A constructor nobody names is the witness.
      std::vector<bool> named = named_ctors(rows, *cs, t);
      bool complete = std::all_of(named.begin(), named.end(), [](bool b) { return b; });
      if (complete) {
        for (const Ctor& c : *cs) {
          std::vector<const Type*> sub_tys = c.args;
          sub_tys.insert(sub_tys.end(), rest.begin(), rest.end());
          if (auto w = missing(specialize_rows(rows, c, t), sub_tys, depth + 1)) {
            std::vector<std::string> args(w->begin(), w->begin() + static_cast<long>(c.args.size()));
            std::vector<std::string> out{show(t, c, args)};
            out.insert(out.end(), w->begin() + static_cast<long>(c.args.size()), w->end());
            return out;
          }
        }
        return std::nullopt;
      }
      auto w = missing(default_rows(rows), rest, depth + 1);
      if (!w) return std::nullopt;
      size_t first_unnamed = 0;
      while (named[first_unnamed]) ++first_unnamed;
      const Ctor& c = (*cs)[first_unnamed];
      bool any_named = std::any_of(named.begin(), named.end(), [](bool b) { return b; });
      std::vector<std::string> out{any_named || t->kind == TypeKind::Bool
                                       ? show(t, c, std::vector<std::string>(c.args.size(), "_"))
                                       : "_"};
      out.insert(out.end(), w->begin(), w->end());
      return out;
    }
    if (auto w = missing(default_rows(rows), rest, depth + 1)) {
      std::vector<std::string> out{"_"};
      out.insert(out.end(), w->begin(), w->end());
      return out;
    }
    return std::nullopt;
  }

 private:
  TypeContext& types_;
  // Rows specialised so far: bounds the work of `useful` for one match (a
  // warning is not worth seconds; `missing` is not bounded, it decides
  // whether the program is accepted).
  static constexpr size_t kUsefulnessBudget = 200000;
  size_t rows_specialized_ = 0;
};

}  // namespace

// The first binding in `p` named like a constant in scope: `MAX => ...`
// compares with the constant in Rust, but binds a new name here.
const Pattern* Checker::binding_named_like_constant(const Pattern* p) const {
  if (p->kind == PatternKind::Binding) {
    const Symbol* s = lookup(p->name);
    return s && s->kind == SymbolKind::Const ? p : nullptr;
  }
  for (const Pattern* sub : p->subs)
    if (const Pattern* b = binding_named_like_constant(sub)) return b;
  return nullptr;
}

void Checker::check_exhaustive(MatchExpr* m, const Type* t, bool arms_ok) {
  std::vector<Row> rows;
  Exhaustiveness ex(types_);
  for (const MatchArm& arm : m->arms) {
    Row arm_row{arm.pattern};
    if (arms_ok && !ex.useful(rows, arm_row, {t})) {
      auto d = diags_.report(DiagCode::W0201, arm.pattern->span,
                             "unreachable match arm: the arms before it match every value it matches");
      // The constant-like binding of an earlier arm that alone covers this one.
      const Pattern* b = nullptr;
      for (size_t i = 0; i < rows.size() && !b; ++i)
        if (!ex.useful({rows[i]}, arm_row, {t})) b = binding_named_like_constant(rows[i][0]);
      if (b) {
        d.note(b->span, fmt::format("`{0}` here is a new binding that matches any value; it does not compare with "
                                    "the constant `{0}`",
                                    b->name));
        d.help(fmt::format("to compare with the constant, bind a name and test it: `v => {{ if v == {} {{ ... }} }}`",
                           b->name));
      } else {
        d.help("remove the arm, or move it before the arms that cover it");
      }
    }
    rows.push_back(std::move(arm_row));
  }
  if (auto w = ex.missing(rows, {t})) {
    auto d = diags_.report(DiagCode::E0201, m->scrutinee->span,
                           fmt::format("non-exhaustive match: `{}` is not covered", (*w)[0]));
    if (t->is_sum() || t->kind == TypeKind::Bool)
      d.help(fmt::format("add an arm for `{}`, or a catch-all `_ => ...`", (*w)[0]));
    else
      d.help(fmt::format("values of type `{}` need a catch-all arm: `_ => ...`", t->name));
  }
}

}  // namespace asthra
