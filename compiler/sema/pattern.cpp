// Patterns: checking them against the scrutinee's type, and match
// exhaustiveness by the usefulness algorithm of Maranget ("Warnings for
// pattern matching", JFP 2007): a match is exhaustive when no value vector
// escapes every row; when one does, the escaping value is printed as the
// missing pattern.  bool, enums, Option, Result, tuples and structs have
// finite constructor sets; other types (integers, strings) only a wildcard
// covers.
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
    case PatternKind::Binding:
      p->symbol = declare_local(p->name, p->span, t, false, Symbol::Binding::Pattern);
      return;
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
      Symbol* s = lookup(p->name);
      bool names_struct = s && t->kind == TypeKind::Struct &&
                          (s->generic ? t->strukt->decl == s->generic : s->type == t);
      if (!t->is_error() && !names_struct) {
        diags_.report(DiagCode::E0204, p->span,
                      fmt::format("pattern `{} {{ ... }}` cannot match a value of type `{}`", p->name, t->name));
        t = types_.error();
      }
      for (size_t i = 0; i < p->subs.size(); ++i) {
        const Type* ft = types_.error();
        if (!t->is_error()) {
          if (const FieldInfo* f = t->strukt->field(p->field_names[i])) {
            ft = f->type;
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

  // A value vector (shown as patterns) matched by no row, or nullopt.
  std::optional<std::vector<std::string>> missing(const std::vector<Row>& rows,
                                                  const std::vector<const Type*>& tys, int depth = 0) {
    if (tys.empty()) return rows.empty() ? std::optional(std::vector<std::string>{}) : std::nullopt;
    if (depth > 64) return std::nullopt;  // pathological nesting: assume covered
    const Type* t = tys[0];
    std::vector<const Type*> rest(tys.begin() + 1, tys.end());
    auto cs = t->is_error() ? std::nullopt : ctors(t);
    if (cs) {
      // Which constructors do the rows' heads name?  Only when they name all
      // of them is it worth specialising by each (Maranget's complete
      // signature); otherwise the default matrix decides, and a constructor
      // nobody names is the witness.  This keeps recursive types finite.
      std::vector<bool> named(cs->size(), false);
      for (const Row& r : rows) {
        if (is_wild(r[0])) continue;
        for (size_t i = 0; i < cs->size(); ++i)
          if (specialize(r[0], (*cs)[i], t)) named[i] = true;
      }
      bool complete = std::all_of(named.begin(), named.end(), [](bool b) { return b; });
      if (complete) {
        for (const Ctor& c : *cs) {
          std::vector<Row> spec;
          for (const Row& r : rows) {
            if (auto args = specialize(r[0], c, t)) {
              Row nr = *args;
              nr.insert(nr.end(), r.begin() + 1, r.end());
              spec.push_back(std::move(nr));
            }
          }
          std::vector<const Type*> sub_tys = c.args;
          sub_tys.insert(sub_tys.end(), rest.begin(), rest.end());
          if (auto w = missing(spec, sub_tys, depth + 1)) {
            std::vector<std::string> args(w->begin(), w->begin() + static_cast<long>(c.args.size()));
            std::vector<std::string> out{show(t, c, args)};
            out.insert(out.end(), w->begin() + static_cast<long>(c.args.size()), w->end());
            return out;
          }
        }
        return std::nullopt;
      }
      std::vector<Row> dflt;
      for (const Row& r : rows)
        if (is_wild(r[0])) dflt.emplace_back(r.begin() + 1, r.end());
      auto w = missing(dflt, rest, depth + 1);
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
    std::vector<Row> dflt;
    for (const Row& r : rows)
      if (is_wild(r[0])) dflt.emplace_back(r.begin() + 1, r.end());
    if (auto w = missing(dflt, rest, depth + 1)) {
      std::vector<std::string> out{"_"};
      out.insert(out.end(), w->begin(), w->end());
      return out;
    }
    return std::nullopt;
  }

 private:
  TypeContext& types_;
};

}  // namespace

void Checker::check_exhaustive(MatchExpr* m, const Type* t) {
  std::vector<Row> rows;
  for (const MatchArm& arm : m->arms) rows.push_back(Row{arm.pattern});
  Exhaustiveness ex(types_);
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
