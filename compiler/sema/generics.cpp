// Generics, impls and traits: everything the checker does more than once
// per piece of source.
//
// Generic structs, enums and functions are monomorphised: an instance is
// made the first time a use names (or lets the checker infer) its type
// arguments, and is then an ordinary struct, enum or function with its own
// C name.  A generic function's body is checked once per instance, on a
// private copy of its tree (ast/clone.h), after the non-generic bodies
// (`pending_`).  Methods live in `impl` blocks and are found by receiver:
// a concrete type, or the generic declaration for every instance of it.
// Traits are checked statically: an `impl Trait for T` must provide every
// method without a default (defaults are copied in), with the trait's
// signature; a bound `T: Trait` is checked when an instance is made.
// Generic code is checked when instantiated, as in Zig and C++ templates;
// a generic function no use instantiated is checked once with its type
// parameters standing for the error type (check_uninstantiated_generics).
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ast/clone.h"
#include "compiler/base/check.h"
#include "compiler/sema/checker.h"

namespace asthra {

std::string Checker::mangle(const std::string& base) {
  std::string out = "ag_";  // instances: user names start with `as_`/`ap_`
  for (char c : base) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out + "_" + std::to_string(next_mangle_++);
}

const Type* Checker::resolve_with(TypeExpr* t, const Bindings& b) {
  type_params_.push_back(b);
  const Type* r = resolve_type(t);
  type_params_.pop_back();
  return r;
}

bool Checker::mentions(const TypeExpr* t, const std::vector<std::string>& generics) const {
  if (!t) return false;
  if (t->kind == TypeExprKind::Named && t->args.empty() &&
      (std::find(generics.begin(), generics.end(), t->name) != generics.end() || t->name == "Self"))
    return true;
  for (const TypeExpr* a : t->args)
    if (mentions(a, generics)) return true;
  return mentions(t->inner, generics);
}

void Checker::unify(const TypeExpr* p, const Type* actual, const std::vector<std::string>& generics, Bindings& out) {
  if (!p || !actual || actual->kind == TypeKind::Never) return;
  bool is_param = p->kind == TypeExprKind::Named && p->args.empty() &&
                  std::find(generics.begin(), generics.end(), p->name) != generics.end();
  // A parameter given the error type (`[]T` matched with an erroneous
  // `[]<error>`) is bound to it, which silences the call.
  if (actual->is_error() && !is_param) return;
  switch (p->kind) {
    case TypeExprKind::Named: {
      if (is_param) {
        out.emplace(p->name, actual);
        return;
      }
      const std::vector<const Type*>* actual_args = nullptr;
      if (p->name == "Option" && actual->kind == TypeKind::Option) actual_args = &actual->elems;
      if (p->name == "Result" && actual->kind == TypeKind::Result) actual_args = &actual->elems;
      if (actual->kind == TypeKind::Struct && actual->strukt->decl && actual->strukt->decl->name == p->name)
        actual_args = &actual->strukt->type_args;
      if (actual->kind == TypeKind::Enum && actual->enm->decl && actual->enm->decl->name == p->name)
        actual_args = &actual->enm->type_args;
      if (p->name == "Handle" && actual->kind == TypeKind::Handle && p->args.size() == 1) {
        unify(p->args[0], actual->elem, generics, out);
        return;
      }
      if (actual_args && actual_args->size() == p->args.size())
        for (size_t i = 0; i < p->args.size(); ++i) unify(p->args[i], (*actual_args)[i], generics, out);
      return;
    }
    case TypeExprKind::Ptr:
      if (actual->kind == TypeKind::Ptr) unify(p->inner, actual->elem, generics, out);
      return;
    case TypeExprKind::Slice:
      if (actual->kind == TypeKind::Slice) unify(p->inner, actual->elem, generics, out);
      return;
    case TypeExprKind::Array:
      if (actual->kind == TypeKind::Array) unify(p->inner, actual->elem, generics, out);
      return;
    case TypeExprKind::Tuple:
      if (actual->kind == TypeKind::Tuple && actual->elems.size() == p->args.size())
        for (size_t i = 0; i < p->args.size(); ++i) unify(p->args[i], actual->elems[i], generics, out);
      return;
    case TypeExprKind::Func:
      if (actual->kind == TypeKind::Func && actual->elems.size() == p->args.size()) {
        for (size_t i = 0; i < p->args.size(); ++i) unify(p->args[i], actual->elems[i], generics, out);
        unify(p->inner, actual->elem, generics, out);
      }
      return;
  }
}

const Decl* Checker::generic_decl_of(const Type* t) const {
  if (t->kind == TypeKind::Struct && !t->strukt->type_args.empty()) return t->strukt->decl;
  if (t->kind == TypeKind::Enum && !t->enm->type_args.empty()) return t->enm->decl;
  return nullptr;
}

bool Checker::implements(const Type* t, const TraitDecl* trait) const {
  if (trait_impls_.count({t, trait})) return true;
  const Decl* g = generic_decl_of(t);
  return g && trait_impls_.count({g, trait});
}

TraitDecl* Checker::find_trait(const std::string& name, Span span) {
  Symbol* s = lookup_path(name, span);
  if (s && s->kind == SymbolKind::Trait) return s->trait;
  if (s || name.find('.') == std::string::npos)
    diags_.report(DiagCode::E0101, span, fmt::format("cannot find trait `{}`", name));
  return nullptr;
}

bool Checker::check_bounds(const Decl* owner, const std::vector<std::string>& generics,
                           const std::vector<std::vector<std::string>>& bounds, const Bindings& b, Span span) {
  bool ok = true;
  for (size_t i = 0; i < generics.size() && i < bounds.size(); ++i) {
    auto it = b.find(generics[i]);
    if (it == b.end() || it->second->is_error()) continue;
    for (const std::string& trait : bounds[i]) {
      TraitDecl* decl;
      {
        InPackage in(*this, owner);  // bounds name traits of the declaring package
        decl = find_trait(trait, span);
      }
      if (!decl) {
        ok = false;
      } else if (!implements(it->second, decl)) {
        diags_.report(DiagCode::E0124, span,
                      fmt::format("type `{}` does not implement trait `{}` (required by `{}: {}`)", it->second->name,
                                  trait, generics[i], trait))
            .help(fmt::format("add `impl {} for {} {{ ... }}`", trait, it->second->name));
        ok = false;
      }
    }
  }
  return ok;
}

const Type* Checker::instantiate_nominal(Symbol* generic, std::vector<const Type*> args, Span span) {
  Decl* d = generic->generic;
  return d->kind == DeclKind::Struct
             ? instantiate_nominal_as(static_cast<StructDecl*>(d), prog_.struct_infos, std::move(args), span)
             : instantiate_nominal_as(static_cast<EnumDecl*>(d), prog_.enum_infos, std::move(args), span);
}

template <typename DeclT, typename InfoT>
const Type* Checker::instantiate_nominal_as(DeclT* d, std::deque<InfoT>& infos, std::vector<const Type*> args,
                                            Span span) {
  const auto& gens = d->generics;
  if (args.size() != gens.size()) {
    diags_.report(DiagCode::E0104, span,
                  fmt::format("`{}` takes {} type argument{} but {} {} given", d->name, gens.size(),
                              gens.size() == 1 ? "" : "s", args.size(), args.size() == 1 ? "was" : "were"));
    return types_.error();
  }
  for (const Type* a : args)
    if (a->is_error()) return a;
  auto key = std::make_pair(static_cast<const Decl*>(d), args);
  if (auto it = nominal_instances_.find(key); it != nominal_instances_.end()) return it->second;
  // A type's fields naming a larger instance of it (`S<T> { x: Option<S<(T, T)>> }`)
  // nest fills; a function instance's body starts a chain too.
  InstanceChain chain = (!nominal_chain_.empty() ? nominal_chain_.back() : cur_chain_).then(span);
  if (instance_over_limit(d, "type", d->name, args, chain, span)) return types_.error();
  Bindings b;
  auto home = decl_package_.find(d);
  std::string display = (home != decl_package_.end() && !home->second->is_entry ? home->second->name + "." : "") + d->name + "<";
  for (size_t i = 0; i < gens.size(); ++i) {
    b[gens[i]] = args[i];
    display += (i ? ", " : "") + args[i]->name;
  }
  display += ">";
  check_bounds(d, gens, d->generic_bounds, b, span);
  InfoT& info = infos.emplace_back();
  info.name = display;
  info.c_name = mangle(display);
  info.decl = d;
  info.type_args = args;
  const Type* t = make_nominal_type(&info);
  // Registered before its body is filled: a recursive instance finds itself.
  nominal_instances_[key] = t;
  prog_.nominal_types.push_back(t);
  type_params_.push_back(b);
  nominal_chain_.push_back(chain);
  fill(info);
  nominal_chain_.pop_back();
  type_params_.pop_back();
  return t;
}

Symbol* Checker::instantiate_fn(Symbol* generic, const Bindings& b, Span span) {
  FnDecl* g = generic->fn;
  std::vector<const Type*> args;
  std::string display = g->name + "<";
  for (size_t i = 0; i < g->generics.size(); ++i) {
    auto it = b.find(g->generics[i]);
    ASTHRA_CHECK(it != b.end());
    args.push_back(it->second);
    display += (i ? ", " : "") + it->second->name;
  }
  display += ">";
  auto key = std::make_pair(static_cast<const FnDecl*>(g), args);
  if (auto it = fn_instances_.find(key); it != fn_instances_.end()) return it->second;
  bool bounds_ok = check_bounds(g, g->generics, g->generic_bounds, b, span);
  InstanceChain chain = cur_chain_.then(span);
  // Over the limit, the instance is made (the call still has a type) but
  // its body is not checked: that is what would make the next one.
  if (instance_over_limit(g, "function", g->name, args, chain, span)) bounds_ok = false;
  FnDecl* f = clone_fn(prog_.generated, g);
  instance_chain_[f] = chain;
  f->generics.clear();
  decl_package_[f] = decl_package_[g];
  Symbol* sym = new_symbol(SymbolKind::Fn, display, g->name_span, nullptr);
  sym->fn = f;
  sym->c_name = mangle(display);
  sym->home = generic->home;
  f->symbol = sym;
  fn_instances_[key] = sym;
  type_params_.push_back(b);
  resolve_signature(f);
  type_params_.pop_back();
  prog_.functions.push_back(f);
  // With a bound unsatisfied the body would only repeat that error; it stays
  // unchecked, so the later passes must skip it too.
  if (bounds_ok)
    pending_.push_back({f, b});
  else
    f->body_has_type_errors = true;
  return sym;
}

bool Checker::instance_over_limit(const Decl* generic, const char* what, const std::string& name,
                                  const std::vector<const Type*>& args, const InstanceChain& chain, Span use) {
  const Type* largest = nullptr;
  for (const Type* a : args)
    if (!largest || a->name.size() > largest->name.size()) largest = a;
  bool too_large = largest && largest->name.size() > kMaxTypeArgLength;
  if (chain.depth <= kMaxInstanceDepth && !too_large) return false;
  if (!instance_limit_reported_.insert(generic).second) return true;
  std::string shown = largest ? largest->name : "";
  if (shown.size() > 60) shown = shown.substr(0, 60) + "...";
  std::string why = too_large ? fmt::format("its type argument has grown to {} characters", largest->name.size())
                              : fmt::format("a chain of {} instances, each needing the next", chain.depth);
  diags_.report(DiagCode::E0903, use,
                fmt::format("generic {} `{}` is instantiated without end: {}, now `{}`", what, name, why, shown))
      .note(chain.root, "the chain of instances starts here")
      .help(fmt::format("a recursive use of `{}` must not grow its type arguments (the limits are {} nested instances "
                        "and type arguments of {} characters)", name, kMaxInstanceDepth, kMaxTypeArgLength));
  return true;
}

Symbol* Checker::instantiate_method(const MethodTemplate& t, const Type* self, Span use) {
  auto key = std::make_pair(static_cast<const FnDecl*>(t.decl), self);
  if (auto it = method_instances_.find(key); it != method_instances_.end()) return it->second;
  Bindings b;
  b["Self"] = self;
  ImplDecl* impl = t.impl;
  if (!impl->generics.empty()) {
    const std::vector<const Type*>& actual = self->kind == TypeKind::Struct ? self->strukt->type_args : self->enm->type_args;
    for (size_t i = 0; i < impl->self_type->args.size() && i < actual.size(); ++i)
      b[impl->self_type->args[i]->name] = actual[i];
  }
  bool from_trait = std::find(impl->methods.begin(), impl->methods.end(), t.decl) == impl->methods.end();
  FnDecl* f = (!impl->generics.empty() || from_trait) ? clone_fn(prog_.generated, t.decl) : t.decl;
  // A method of a generic type continues the chain of its caller.
  bool over_limit = false;
  if (!impl->generics.empty()) {
    InstanceChain chain = cur_chain_.then(use);
    over_limit = instance_over_limit(t.decl, "method", self->name + "::" + t.decl->name, {self}, chain, use);
    instance_chain_[f] = chain;
  }
  decl_package_[f] = decl_package_[t.decl];
  Symbol* sym = new_symbol(SymbolKind::Fn, self->name + "::" + f->name, f->name_span, nullptr);
  sym->fn = f;
  sym->c_name = mangle(self->name + "_" + f->name);
  // A trait's methods are as visible as the trait.
  sym->is_pub = f->is_pub || !impl->trait_name.empty();
  f->symbol = sym;
  method_instances_[key] = sym;
  type_params_.push_back(b);
  resolve_signature(f);
  // The signature must be the trait's.
  TraitDecl* trait = nullptr;
  if (!impl->trait_name.empty() && !from_trait) {
    InPackage in(*this, impl);
    Symbol* ts = lookup_path(impl->trait_name, impl->self_type->span);
    if (ts && ts->kind == SymbolKind::Trait) trait = ts->trait;
  }
  if (trait) {
    for (FnDecl* tm : trait->methods) {
      if (tm->name != f->name) continue;
      FnDecl* probe = clone_fn(prog_.generated, tm);
      decl_package_[probe] = decl_package_[tm];
      Symbol* ps = new_symbol(SymbolKind::Fn, tm->name, tm->name_span, nullptr);
      probe->symbol = ps;
      resolve_signature(probe);
      if (ps->type != sym->type && !ps->type->name.empty() && !sym->type->is_error()) {
        diags_.report(DiagCode::E0125, f->name_span,
                      fmt::format("method `{}` has type `{}` but trait `{}` declares `{}`", f->name,
                                  sym->type->name, impl->trait_name, ps->type->name))
            .note(tm->name_span, "declared in the trait here");
      }
    }
  }
  type_params_.pop_back();
  prog_.functions.push_back(f);
  if (over_limit)
    f->body_has_type_errors = true;  // unchecked, like a function instance over the limit
  else
    pending_.push_back({f, b});
  return sym;
}

Symbol* Checker::lookup_method(const Type* t, const std::string& name, Span use) {
  if (auto it = methods_.find(t); it != methods_.end()) {
    if (auto m = it->second.find(name); m != it->second.end()) return instantiate_method(m->second, t, use);
  }
  if (const Decl* g = generic_decl_of(t)) {
    if (auto it = methods_.find(g); it != methods_.end()) {
      if (auto m = it->second.find(name); m != it->second.end()) return instantiate_method(m->second, t, use);
    }
  }
  return nullptr;
}

void Checker::register_impls() {
  for (ImplDecl* impl : impls_) register_impl(impl);
}

void Checker::register_impl(ImplDecl* impl) {
  InPackage in(*this, impl);
  TypeExpr* st = impl->self_type;
  const void* key = nullptr;
  const Type* self = nullptr;
  Symbol* s = st->kind == TypeExprKind::Named ? lookup_path(st->name, st->span) : nullptr;
  if (s && s->kind == SymbolKind::Type && s->generic) {
    bool params_match = !impl->generics.empty() && st->args.size() == impl->generics.size();
    for (size_t i = 0; params_match && i < st->args.size(); ++i)
      params_match = st->args[i]->kind == TypeExprKind::Named && st->args[i]->args.empty() &&
                     st->args[i]->name == impl->generics[i];
    if (!params_match) {
      diags_.report(DiagCode::E0901, st->span,
                    fmt::format("an `impl` for chosen type arguments of `{}` is not supported yet", st->name))
          .help(fmt::format("write `impl<T> {}<T> {{ ... }}` for every instance", st->name));
      return;
    }
    key = s->generic;
  } else {
    if (!impl->generics.empty()) {
      diags_.report(DiagCode::E0901, st->span, "a generic `impl` for a non-generic type is not supported yet");
      return;
    }
    self = resolve_type(st);
    if (self->is_error()) return;
    key = self;
  }
  auto& table = methods_[key];
  std::vector<MethodTemplate> added;
  for (FnDecl* m : impl->methods) {
    if (!m->generics.empty()) {
      diags_.report(DiagCode::E0901, m->name_span, "generic methods are not supported yet")
          .help("make the function generic outside the `impl`");
      continue;
    }
    if (table.count(m->name)) {
      diags_.report(DiagCode::E0102, m->name_span, fmt::format("method `{}` is defined more than once for `{}`", m->name, st->name))
          .note(table[m->name].decl->name_span, "first defined here");
      continue;
    }
    table[m->name] = {m, impl};
    added.push_back(table[m->name]);
  }
  if (!impl->trait_name.empty()) {
    TraitDecl* trait = find_trait(impl->trait_name, impl->span);
    if (trait) {
      trait_impls_.insert({key, trait});
      for (FnDecl* m : impl->methods) {
        bool declared = std::any_of(trait->methods.begin(), trait->methods.end(),
                                    [&](FnDecl* tm) { return tm->name == m->name; });
        if (!declared)
          diags_.report(DiagCode::E0125, m->name_span,
                        fmt::format("method `{}` is not a member of trait `{}`", m->name, impl->trait_name))
              .note(trait->name_span, "the trait is declared here");
      }
      for (FnDecl* tm : trait->methods) {
        bool present = std::any_of(impl->methods.begin(), impl->methods.end(),
                                   [&](FnDecl* m) { return m->name == tm->name; });
        if (present) continue;
        if (tm->body) {
          if (!table.count(tm->name)) {
            table[tm->name] = {tm, impl};
            added.push_back(table[tm->name]);
          }
        } else {
          diags_.report(DiagCode::E0125, st->span,
                        fmt::format("`impl {} for {}` is missing method `{}`", impl->trait_name, st->name, tm->name))
              .note(tm->name_span, "declared in the trait here");
        }
      }
    }
  }
  // Methods of a concrete type are checked whether or not they are called.
  if (self)
    for (const MethodTemplate& t : added) instantiate_method(t, self);
}

// A generic function, or a method of a generic `impl`, that no use
// instantiated is still checked, once, with every type parameter (and
// `Self`) standing for the error type: a mistake that does not depend on the
// type arguments (an unknown name, `let n: string = xs.len;`) is reported as
// in Rust and Go, and none that does, as the error type is compatible with
// every type and silences what follows from it; failed inference (E0114)
// is not reported in the copy at all, as it mostly follows from it.  The
// copy is checked only, never compiled; an instance it asks for with
// concrete types (`helper(1)` in its body) is an ordinary instance, and is.
void Checker::check_uninstantiated_generics() {
  auto check_copy = [&](const FnDecl* g, const std::vector<std::string>& params) {
    if (!g->body || g->body_has_syntax_errors) return;
    FnDecl* f = clone_fn(prog_.generated, g);
    f->generics.clear();
    decl_package_[f] = decl_package_[g];
    Symbol* sym = new_symbol(SymbolKind::Fn, g->name, g->name_span, nullptr);
    sym->fn = f;
    f->symbol = sym;
    Bindings b{{"Self", types_.error()}};
    for (const std::string& param : params) b[param] = types_.error();
    type_params_.push_back(b);
    diags_.set_muted(DiagCode::E0114);
    resolve_signature(f);
    check_fn_body(f);
    diags_.set_muted(std::nullopt);
    type_params_.pop_back();
  };
  std::set<const FnDecl*> instantiated;
  for (const auto& [key, inst] : fn_instances_) instantiated.insert(key.first);
  for (const auto& [key, inst] : method_instances_) instantiated.insert(key.first);
  for (Module* m : prog_.modules) {
    for (Decl* d : m->decls) {
      if (d->kind != DeclKind::Fn) continue;
      auto* g = static_cast<FnDecl*>(d);
      if (!g->generics.empty() && !g->is_extern && !instantiated.count(g)) check_copy(g, g->generics);
    }
  }
  for (ImplDecl* impl : impls_) {
    if (impl->generics.empty()) continue;
    for (FnDecl* method : impl->methods)
      if (!instantiated.count(method)) check_copy(method, impl->generics);
  }
}

void Checker::check_pending_bodies() {
  // In the order asked for (checking one may ask for more), so that a
  // mistake every instance makes is shown with the first use.
  for (size_t next = 0; next < pending_.size(); ++next) {
    PendingBody p = pending_[next];
    if (p.fn->body_has_syntax_errors) continue;
    type_params_.push_back(p.bindings);
    auto chain = instance_chain_.find(p.fn);
    cur_chain_ = chain != instance_chain_.end() ? chain->second : InstanceChain{};
    if (cur_chain_.depth > 0 && p.fn->symbol)
      diags_.set_context_note(std::pair(cur_chain_.root, fmt::format("`{}` is instantiated for this use", p.fn->symbol->name)));
    check_fn_body(p.fn);
    diags_.set_context_note(std::nullopt);
    cur_chain_ = InstanceChain{};
    type_params_.pop_back();
  }
  pending_.clear();
}

}  // namespace asthra
