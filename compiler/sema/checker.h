// The checker's shared state; its work is split by subject:
//   declare.cpp  declarations, type expressions, layout facts (boxing, sizes)
//   expr.cpp     expressions and calls (including builtins and the runtime package)
//   stmt.cpp     blocks, statements, returns
//   pattern.cpp  patterns and match exhaustiveness
// Internal to sema/.
#pragma once
#include <map>
#include <optional>
#include <unordered_map>

#include <set>

#include "compiler/sema/sema.h"

namespace asthra {

// Arithmetic and bitwise operators: their operands and result share a type.
inline bool precedence_is_arith(Tok op) {
  switch (op) {
    case Tok::Plus: case Tok::Minus: case Tok::Star: case Tok::Slash: case Tok::Percent:
    case Tok::Amp: case Tok::Pipe: case Tok::Caret: case Tok::Shl: case Tok::Shr:
      return true;
    default:
      return false;
  }
}

class Checker {
 public:
  Checker(Program& program, Diagnostics& diags)
      : prog_(program), diags_(diags), types_(program.types) {}
  // True when every error, if any, is inside a function body (syntax errors
  // included: the driver checks only programs whose other syntax is sound),
  // so the passes after this one can still check the bodies without errors.
  bool run();

 private:
  friend struct UnsafeScope;
  // ---- declare.cpp
  void declare_universe();
  void declare_module(Module* m);
  // Reports a type, trait or type parameter named like a built-in type.
  void check_not_builtin_type_name(const std::string& name, Span span, const char* what,
                                   const std::string& owner = "");
  template <typename DeclT, typename InfoT, typename AddFn>
  void declare_nominal(DeclT* decl, std::deque<InfoT>& infos, const Package* pkg, AddFn& add);
  const Type* make_nominal_type(StructInfo* info);
  const Type* make_nominal_type(EnumInfo* info);
  void declare_libc();
  void resolve_nominal_bodies();
  void fill(StructInfo& info);
  void fill(EnumInfo& info);
  void resolve_signature(FnDecl* f);
  void check_const(ConstDecl* c, Span use = {});
  // The type of constant `s` named at `use`: checks the constant first if
  // it was not yet (a constant may name one declared later), and reports a
  // constant defined in terms of itself (E0118).
  const Type* const_type(Symbol* s, Span use);
  void check_infinite_size();
  void compute_boxing();
  void check_main();
  const Type* resolve_type(TypeExpr* t);
  // An integer array length or repeat count; nullopt when `e` is not a
  // constant or *failed is set: its evaluation failed (E0132, reported).
  std::optional<int64_t> const_int(Expr* e, bool* failed = nullptr);
  // Evaluates a type-checked constant expression as the generated code
  // would; with `report`, overflow and division by zero are E0132.
  struct ConstValue {
    enum Status { Ok, NotConst, Failed } status = NotConst;
    __int128 value = 0;
  };
  ConstValue eval_const(Expr* e, bool report);
  ConstValue eval_const_op(Expr* e, Tok op, ConstValue l, ConstValue r, bool report);
  Symbol* new_symbol(SymbolKind kind, std::string name, Span span, const Type* type);

  // ---- generics.cpp: generic types and functions, impls, traits
  using Bindings = std::map<std::string, const Type*>;
  struct MethodTemplate {
    FnDecl* decl = nullptr;
    ImplDecl* impl = nullptr;
  };
  void register_impls();
  void register_impl(ImplDecl* impl);
  const Type* instantiate_nominal(Symbol* generic, std::vector<const Type*> args, Span span);
  template <typename DeclT, typename InfoT>
  const Type* instantiate_nominal_as(DeclT* d, std::deque<InfoT>& infos, std::vector<const Type*> args, Span span);
  Symbol* instantiate_fn(Symbol* generic, const Bindings& bindings, Span span);
  Symbol* instantiate_method(const MethodTemplate& t, const Type* self, Span use = {});
  // `use`: the call, for the instantiation limits (E0903).
  Symbol* lookup_method(const Type* t, const std::string& name, Span use = {});
  const Decl* generic_decl_of(const Type* t) const;
  bool implements(const Type* t, const TraitDecl* trait) const;
  // A trait named in source (`Show`, `pkg.Show`), or null after reporting.
  TraitDecl* find_trait(const std::string& name, Span span);
  bool check_bounds(const Decl* owner, const std::vector<std::string>& generics,
                    const std::vector<std::vector<std::string>>& bounds, const Bindings& b, Span span);
  // Binds the type parameters in `pattern` so that it matches `actual`.
  void unify(const TypeExpr* pattern, const Type* actual, const std::vector<std::string>& generics, Bindings& out);
  bool mentions(const TypeExpr* t, const std::vector<std::string>& generics) const;
  const Type* resolve_with(TypeExpr* t, const Bindings& b);
  void check_pending_bodies();
  void check_uninstantiated_generics();
  std::string mangle(const std::string& base);

  // ---- scopes
  void push_scope() { scopes_.emplace_back(); }
  void pop_scope() { scopes_.pop_back(); }
  Symbol* lookup(const std::string& name) const;
  std::string closest_name(const std::string& wanted, bool types) const;
  // A method or associated function of `t` within a typo of `wanted`.
  std::string closest_method(const Type* t, const std::string& wanted) const;
  void check_visible_method(const Symbol* m, const std::string& name, Span span);
  Symbol* declare_local(const std::string& name, Span span, const Type* type, bool is_mut,
                        Symbol::Binding binding = Symbol::Binding::Let);
  // The help for assigning to (or through) the immutable local `s`.

  // ---- expr.cpp
  const Type* check(Expr* e, const Type* expected, bool want_value = true);
  const Type* check_inner(Expr* e, const Type* expected, bool want_value);
  // Checks `e` against `target` and reports a mismatch; returns e's type.
  const Type* expect_type(Expr* e, const Type* target, const char* what);
  bool compatible(const Type* actual, const Type* target) const;
  void mismatch(Span span, const Type* expected, const Type* found, const char* what);
  const Type* check_int_lit(IntLit* lit, const Type* expected, bool negated);
  const Type* check_name(NameExpr* e, const Type* expected);
  // Reports a function that can only be called, used as a value (E0131).
  void check_function_value(const Symbol* s, const Expr* use, const std::string& name);
  const Type* check_unary(UnaryExpr* e, const Type* expected);
  const Type* check_binary(BinaryExpr* e, const Type* expected);
  const Type* arith_result(BinaryExpr* e, Tok op, const Type* l, const Type* r);
  const Type* check_call(CallExpr* e, const Type* expected);
  const Type* check_builtin_call(CallExpr* e, Builtin b, const Type* expected);
  const Type* check_args(CallExpr* e, const std::vector<const Type*>& params, const char* what);
  const Type* check_variant_ctor(Expr* site, Symbol* type_sym, const Type* sum, const std::string& variant,
                                 Span variant_span, std::vector<Expr*>* args);
  // `member` is what follows `Type.`, for the help when `Type` is no enum.
  const Type* sum_type_for(Symbol* type_sym, const Type* expected, Span span, const std::string& member);
  const Type* check_field(FieldExpr* e, const Type* expected);
  const Type* check_index(IndexExpr* e);
  const Type* check_slice_range(SliceRangeExpr* e);
  const Type* check_cast(CastExpr* e);
  const Type* check_struct_lit(StructLitExpr* e, const Type* expected);
  const Type* check_struct_fields(StructLitExpr* e, const Type* t);
  const Type* infer_generic_ctor(Expr* site, Symbol* type_sym, const std::string& variant, Span variant_span,
                                 std::vector<Expr*>* args);
  const Type* check_generic_call(CallExpr* e, Expr* callee, Symbol* s, const Type* expected);
  const Type* check_method_call(CallExpr* e, FieldExpr* f, const Type* object_type);
  const Type* check_path_call(CallExpr* e, PathExpr* p, const Type* expected);
  const Type* check_try(TryExpr* e);
  bool infer_args(const Decl* owner, const std::vector<TypeExpr*>& params, std::vector<Expr*>& args,
                  const std::vector<std::string>& generics, const TypeExpr* ret, const Type* expected, Bindings& b);
  void check_foreign_args(CallExpr* e, const Type* ft, const std::string& what);
  void check_callbacks(CallExpr* e, const Type* ft);
  const Type* check_closure(ClosureExpr* e);
  const Type* check_array_lit(ArrayLitExpr* e, const Type* expected);
  const Type* check_array_repeat(ArrayRepeatExpr* e, const Type* expected);
  const Type* check_if(IfExpr* e, const Type* expected, bool want_value);
  const Type* check_match(MatchExpr* e, const Type* expected, bool want_value);
  bool is_printable(const Type* t) const;
  bool is_untyped_literal(const Expr* e) const;
  bool needs_type_arguments(const Expr* e) const;
  void require_unsafe(Span span, const std::string& what);
  // The local a place expression is rooted at (`a.b[1].c` -> a), or null.
  Symbol* place_root(Expr* e, bool* through_indirection);
  // Unify branch types (Never joins with anything).
  const Type* join(const Type* a, const Type* b, Span span, bool want_value);

  // ---- stmt.cpp
  void check_fn_body(FnDecl* f);
  void check_body(std::vector<Param>& params, const Type* ft, BlockExpr* body, const std::string& name, Span name_span);
  const Type* check_block(BlockExpr* b, const Type* expected, bool want_value);
  bool check_stmt(Stmt* s);  // returns whether the statement always diverges
  void check_assign(AssignStmt* s);
  void check_for(ForStmt* s);
  bool diverges(const Type* t) const { return t && t->kind == TypeKind::Never; }

  // ---- pattern.cpp
  void check_pattern(Pattern* p, const Type* t);
  // Reports a missing pattern (E0201) and, when the arms had no error (a
  // wrong pattern counts as a wildcard), unreachable arms (W0201).
  void check_exhaustive(MatchExpr* m, const Type* t, bool arms_ok);
  const Pattern* binding_named_like_constant(const Pattern* p) const;

  Program& prog_;
  Diagnostics& diags_;
  TypeContext& types_;
  using Scope = std::unordered_map<std::string, Symbol*>;
  std::vector<Scope> scopes_;  // [0] the universe, then local scopes (innermost last)
  // Top-level names of each package; names resolve in the current package's.
  std::map<const Package*, Scope> package_scopes_;
  const Scope* package_scope_ = nullptr;
  const Package* cur_package_ = nullptr;
  std::unordered_map<const Decl*, const Package*> decl_package_;
  // Checks a declaration in the package it was written in.
  struct InPackage {
    Checker& c;
    const Scope* saved_scope;
    const Package* saved_package;
    InPackage(Checker& checker, const Decl* d)
        : c(checker), saved_scope(checker.package_scope_), saved_package(checker.cur_package_) {
      auto it = c.decl_package_.find(d);
      if (it != c.decl_package_.end()) {
        c.cur_package_ = it->second;
        c.package_scope_ = &c.package_scopes_[it->second];
      }
    }
    ~InPackage() {
      c.package_scope_ = saved_scope;
      c.cur_package_ = saved_package;
    }
  };
  // `pkg.name` for an imported package: the symbol (visibility checked), or
  // null after reporting.
  Symbol* resolve_qualified(const std::string& alias, const std::string& member, Span span);
  // A name that may be qualified (`geo.Point`), as types and patterns write it.
  Symbol* lookup_path(const std::string& name, Span span);
  // For `a.b` where `a` names an imported package: the member, else null.
  Symbol* package_member(FieldExpr* f);
  void check_visible_field(const Type* t, const std::string& field, Span span);
  std::unordered_map<std::string, Symbol*> libc_members_;
  std::unordered_map<std::string, Builtin> runtime_members_;
  FnDecl* cur_fn_ = nullptr;
  int body_errors_ = 0;  // errors reported while checking function bodies
  std::string cur_fn_name_;
  const Type* cur_ret_ = nullptr;
  // One entry per enclosing loop of the function being checked: whether a
  // `break` leaves it (a `while true` that none leaves never ends).
  std::vector<bool> loop_breaks_;
  std::vector<bool> unsafe_used_;  // one flag per enclosing unsafe block
  uint32_t next_id_ = 1;
  std::vector<ConstDecl*> const_stack_;  // const_int's: for cycles between constants
  // Constants being checked, outermost first, each with the name in the
  // previous one's value that led to it; and those checked already.
  struct ConstInProgress {
    ConstDecl* decl;
    Span use;
  };
  std::vector<ConstInProgress> consts_in_progress_;
  std::unordered_map<const ConstDecl*, size_t> const_open_index_;  // into consts_in_progress_
  // Checking a constant first checks those it names that come later, so a
  // chain of forward references nests; past this depth it is an error
  // (E0118), not a stack overflow.
  static constexpr size_t kMaxConstNesting = 10'000;
  bool const_nesting_reported_ = false;
  std::set<const ConstDecl*> consts_checked_;
  std::unordered_map<const ConstDecl*, ConstValue> const_values_;  // integer constants checked
  std::set<std::pair<uint32_t, uint32_t>> const_eval_reported_;     // (file, offset) of E0132s

  // Generics: type parameters in scope (innermost last), instances made.
  std::vector<Bindings> type_params_;
  std::map<std::pair<const Decl*, std::vector<const Type*>>, const Type*> nominal_instances_;
  std::map<std::pair<const FnDecl*, std::vector<const Type*>>, Symbol*> fn_instances_;
  std::map<std::pair<const FnDecl*, const Type*>, Symbol*> method_instances_;
  // Methods by receiver: a Type* for concrete receivers, the generic Decl*
  // for every instance of a generic struct or enum.
  std::map<const void*, std::map<std::string, MethodTemplate>> methods_;
  std::set<std::pair<const void*, const TraitDecl*>> trait_impls_;
  std::vector<ImplDecl*> impls_;
  struct PendingBody {
    FnDecl* fn;
    Bindings bindings;
  };
  std::vector<PendingBody> pending_;
  // Instances beget instances: a generic function's body, or a generic
  // type's fields, name more of them.  Each instance records how long the
  // chain that led to it is and where it started (the use outside generic
  // code); recursion whose type arguments keep growing (`f((x, x))` in `f`)
  // would otherwise never end.  The limits are like rustc's recursion_limit
  // and type_length_limit: a chain of 128 instances, and type arguments of
  // 4096 characters (`(x, x)` doubles a type's written form at each step).
  static constexpr int kMaxInstanceDepth = 128;
  static constexpr size_t kMaxTypeArgLength = 4096;
  struct InstanceChain {
    int depth = 0;  // 0 outside generic code
    Span root;
    // The chain one instance longer, that instance made at `use`.
    InstanceChain then(Span use) const { return {depth + 1, depth == 0 ? use : root}; }
  };
  // The instantiation limits (E0903): reports, once per generic declaration,
  // an instance `name` of `generic` whose `chain` is too long or whose type
  // arguments have grown too large, and returns true.
  bool instance_over_limit(const Decl* generic, const char* what, const std::string& name,
                           const std::vector<const Type*>& args, const InstanceChain& chain, Span use);
  std::unordered_map<const FnDecl*, InstanceChain> instance_chain_;
  InstanceChain cur_chain_;                      // of the body being checked
  std::vector<InstanceChain> nominal_chain_;     // of the generic types being filled
  std::set<const Decl*> instance_limit_reported_;
  std::vector<ClosureExpr*> closures_;  // enclosing closures, innermost last
  const Expr* callee_ = nullptr;         // the name a call being checked calls
  const CallExpr* foreign_call_ = nullptr;  // a call of a foreign function whose arguments are checked
  const void* cur_owner_ = nullptr;     // the function or closure being checked
  uint32_t next_mangle_ = 0;
};

}  // namespace asthra
