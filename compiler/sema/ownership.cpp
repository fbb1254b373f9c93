// The ownership pass (memory-model.md §1-§2): what the annotations mean.
//
// For each function, and each closure as a function of its own, it
// interprets the checked tree abstractly, in source order, carrying a
// State: which allocation each binding holds (bindings alias: `let q = p;`
// holds the same allocation) and, per allocation, its zone (gc, c, pinned,
// or borrowed from a `#[transfer_none]` return or a `#[borrowed]`
// parameter), whether this function owns it, and its status
// (live, transferred, maybe transferred, handed to another owner, null).
// Views are the memory they view: `p + n`, `s[a:b]` and a two-argument
// `slice_from_raw_parts(p, n)` hold `p`'s (or `s`'s) allocation.
// Structured control flow makes this a CFG walk: `if`/`match` branches run
// on copies that are merged at the join (live + transferred = maybe
// transferred); loops iterate to a fixpoint (merging the entry, `continue`
// and end-of-body states at the head, `break` states at the exit); a
// `return`, a `break`/`continue` or a call to a `Never` function makes the
// state unreachable.
//
// Checks: use after transfer and transfer twice (E0301/E0302, "may have
// been" after a join), wrong-zone transfer (E0303), a loan that escapes
// (E0304; passing it to a `spawn`ed task is an escape, otherwise a spawned
// call is checked like the direct call), GC references stored in C memory
// (E0305), a pointer into the middle of an allocation (a sub-slice not
// starting at 0) passed to `#[transfer_full]` (E0306), a write through a
// slice made with `slice_from_raw_parts(..., false, ...)` or of an array
// held by a binding that is not `mut`, or a view or alias of either (E0307,
// memory-model.md §4), C memory owned by the
// function that reaches the end of its scope, a `return` or an overwrite on
// some path without being freed, returned or stored (W0301, at the
// allocation, with a note where the leaking path ends).
//
// Deliberately conservative, so correct code never gets a diagnostic: an
// allocation handed to an untagged foreign parameter, stored in a container
// or returned stops being tracked; results of Asthra functions are untracked
// unless their return is `#[transfer_full]`. A binding whose allocation
// differs between branches holds a join (zone Mixed) of them: what it held
// on each path stops being tracked for use, double free and leaks, but a
// fact of one path still counts for the loan, zone and GC-store checks
// (E0303-E0305: `if c { q = p; } return q;` returns the loan on some path).
// Conditions are not correlated, so that one rule can flag correct code:
// `let q = if c { malloc } else { gc }; if c { free(q); }` is E0303.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <tuple>
#include <set>

#include "compiler/base/check.h"
#include "compiler/sema/ownership.h"

namespace asthra {
namespace {

// Mixed: a join, one of `Alloc::alts` (what a binding held on each path).
enum class MemZone : uint8_t { Gc, C, Pinned, Borrowed, Mixed };
enum class Status : uint8_t { Live, Transferred, MaybeTransferred, Handed, Null };

struct Alloc {
  MemZone zone = MemZone::Gc;
  bool owned = false;    // this function must free it or pass it on
  bool is_loan = false;  // a `#[borrowed]` parameter of this function
  bool allow_leak = false;
  Status status = Status::Live;
  Span created;
  Span transferred;
  std::string name;      // a binding that holds it, for messages
  std::string origin;    // what made it, for messages ("allocate_slice", ...)
  // `let b = realloc(a, n);`: when `b` is null the call failed and kept
  // nothing, so `a` is owned again.
  int restore_on_null = -1;
  std::vector<int> alts;  // a join (zone Mixed): the allocations it may be
  // A sub-slice that does not start at element 0: the memory of `parent`,
  // but not the start of it (alloc() answers with the parent).
  int parent = -1;
  // Never written through: made by `slice_from_raw_parts(..., false, ...)`,
  // or a slice of the array held by `immutable_array` (not `mut`).
  bool read_only = false;
  const Symbol* immutable_array = nullptr;
  bool operator==(const Alloc& o) const { return status == o.status && owned == o.owned && zone == o.zone; }
};

struct State {
  bool reachable = true;
  std::map<const Symbol*, int> vars;
  std::map<int, Alloc> allocs;
  bool operator==(const State& o) const {
    return reachable == o.reachable && vars == o.vars && allocs == o.allocs;
  }
};

Status merge_status(Status a, Status b) {
  if (a == b) return a;
  if (a == Status::Handed || b == Status::Handed) return Status::Handed;
  if (a == Status::Null) return b;
  if (b == Status::Null) return a;
  return Status::MaybeTransferred;  // Live/Transferred/Maybe mixed
}

// `0`, or null written `0 as *mut T`.
bool is_zero_literal(const Expr* e) {
  while (e->kind == ExprKind::Cast) e = static_cast<const CastExpr*>(e)->operand;
  return e->kind == ExprKind::IntLit && static_cast<const IntLit*>(e)->value == 0;
}

const Symbol* local_of(const Expr* e) {
  while (e->kind == ExprKind::Cast) e = static_cast<const CastExpr*>(e)->operand;
  if (e->kind != ExprKind::Name) return nullptr;
  const Symbol* s = static_cast<const NameExpr*>(e)->symbol;
  return s && s->kind == SymbolKind::Local ? s : nullptr;
}

// `p == null` / `p != null` (null written `0 as *mut T`), each possibly
// under `!`s: the binding and whether the test means `==`.
bool null_test(const Expr* e, const Symbol** sym, bool* is_eq) {
  bool negated = false;
  for (; e->kind == ExprKind::Unary && static_cast<const UnaryExpr*>(e)->op == Tok::Bang;
       e = static_cast<const UnaryExpr*>(e)->operand)
    negated = !negated;
  if (e->kind != ExprKind::Binary) return false;
  auto* b = static_cast<const BinaryExpr*>(e);
  if (b->op != Tok::EqEq && b->op != Tok::BangEq) return false;
  const Expr* other = nullptr;
  if (is_zero_literal(b->rhs)) other = b->lhs;
  else if (is_zero_literal(b->lhs)) other = b->rhs;
  if (!other || !(*sym = local_of(other))) return false;
  *is_eq = (b->op == Tok::EqEq) != negated;
  return true;
}

const Annotation* find_tag(const Annotations& list, const char* name) {
  for (const Annotation& a : list)
    if (a.name == name) return &a;
  return nullptr;
}

const char* zone_tag(const Annotations& list) {
  const Annotation* a = find_tag(list, "ownership");
  return a && a->args.size() == 1 ? a->args[0].value.c_str() : nullptr;
}

bool carries_memory(const Type* t) {
  return t->kind == TypeKind::Ptr || t->kind == TypeKind::Slice || t->kind == TypeKind::String;
}

// A type whose values hold references the collector must see: strings,
// closures (GC environments), boxed enum payloads and — for a declared
// field, where any slice may be a GC slice — slices.
bool holds_gc_refs(const Type* t, TypeContext& types, std::set<const Type*>& seen, bool slices = true) {
  if (!seen.insert(t).second) return false;
  switch (t->kind) {
    case TypeKind::String: case TypeKind::Func: case TypeKind::Handle: return true;
    case TypeKind::Slice: return slices;
    case TypeKind::Array: return holds_gc_refs(t->elem, types, seen, slices);
    case TypeKind::Tuple:
      for (const Type* e : t->elems)
        if (holds_gc_refs(e, types, seen, slices)) return true;
      return false;
    case TypeKind::Struct:
      for (const FieldInfo& f : t->strukt->fields)
        if (holds_gc_refs(f.type, types, seen, slices)) return true;
      return false;
    case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result:
      for (const VariantInfo& v : types.variants(t))
        for (size_t i = 0; i < v.payload.size(); ++i)
          if (v.boxed[i] || holds_gc_refs(v.payload[i], types, seen, slices)) return true;
      return false;
    default:
      return false;
  }
}

class OwnershipChecker {
 public:
  OwnershipChecker(Program& program, Diagnostics& diags) : prog_(program), diags_(diags) {}

  void check_function(FnDecl* f) {
    check_body(f->params, f->body, has_allow_leak(f->annotations));
    // The closures it makes, each a function of its own (their parameters
    // take the same tags), and the closures those make.
    while (!closures_.empty()) {
      auto [c, allow] = closures_.front();
      closures_.pop_front();
      check_body(c->params, c->body, allow);
    }
  }

 private:
  // A function's or closure's body, its parameters bound by their tags.
  void check_body(std::vector<Param>& params, BlockExpr* body, bool allow_leaks) {
    allow_leaks_ = allow_leaks;
    st_ = State{};
    scopes_.assign(1, {});
    loops_.clear();
    for (Param& p : params) {
      if (!p.symbol || !p.symbol->type || !carries_memory(p.symbol->type)) continue;
      if (find_tag(p.annotations, "transfer_full")) {
        int id = fresh(p.symbol, MemZone::C, true, p.span, "a `#[transfer_full]` parameter");
        bind(p.symbol, id);
        scopes_.back().push_back(p.symbol);
      } else if (find_tag(p.annotations, "borrowed")) {
        int id = fresh(p.symbol, MemZone::Borrowed, false, p.span, "a `#[borrowed]` parameter");
        st_.allocs[id].is_loan = true;
        bind(p.symbol, id);
      }
    }
    int tail = block(body, /*own_scope=*/false);
    if (st_.reachable) {
      handed(tail);
      end_scope(body->close_span, "the function ends here");
    }
    report_leaks();
  }

  // ------------------------------------------------------------ allocations
  int id_for(const void* site) {
    auto [it, inserted] = site_ids_.emplace(site, static_cast<int>(site_ids_.size()));
    return it->second;
  }
  int fresh(const void* site, MemZone zone, bool owned, Span span, std::string origin) {
    int id = id_for(site);
    Alloc a;
    a.zone = zone;
    a.owned = owned;
    a.created = span;
    a.origin = std::move(origin);
    st_.allocs[id] = a;
    return id;
  }
  // The allocation `id` is (a sub-slice's parent).
  Alloc* alloc(int id) {
    Alloc* a = entry(id);
    while (a && a->parent >= 0) a = entry(a->parent);
    return a;
  }
  Alloc* entry(int id) {
    if (id < 0) return nullptr;
    auto it = st_.allocs.find(id);
    return it == st_.allocs.end() ? nullptr : &it->second;
  }
  void bind(const Symbol* s, int id) {
    if (id < 0) {
      st_.vars.erase(s);
      return;
    }
    st_.vars[s] = id;
    if (Alloc* a = alloc(id); a && a->name.empty()) a->name = s->name;
  }
  bool held_by_any(int id) const {
    for (const auto& [sym, held] : st_.vars)
      if (held == id) return true;
    return false;
  }
  std::string describe(const Alloc* a) const { return a->name.empty() ? "this value" : "`" + a->name + "`"; }

  bool report_once(DiagCode code, Span span) {
    return reported_.insert({static_cast<int>(code), span.file, span.begin}).second;
  }

  // The state where two paths meet. An allocation a binding holds on one
  // path only may be freed through it later: it is no longer tracked. The
  // binding holds a join of what it held on each path, so what holds on one
  // path (a loan, a zone) still counts for the escape and zone checks.
  State merge(const State& a, const State& b) {
    if (!a.reachable) return b;
    if (!b.reachable) return a;
    State out;
    std::set<int> lost;
    std::map<const Symbol*, std::vector<int>> differ;
    for (const auto& [sym, id] : a.vars) {
      auto it = b.vars.find(sym);
      if (it != b.vars.end() && it->second == id) {
        out.vars[sym] = id;
        continue;
      }
      lost.insert(id);
      differ[sym].push_back(id);
      if (it != b.vars.end()) {
        lost.insert(it->second);
        differ[sym].push_back(it->second);
      }
    }
    for (const auto& [sym, id] : b.vars)
      if (!a.vars.count(sym)) {
        lost.insert(id);
        differ[sym].push_back(id);
      }
    out.allocs = a.allocs;
    for (const auto& [id, alloc] : b.allocs) {
      auto it = out.allocs.find(id);
      if (it == out.allocs.end()) {
        out.allocs[id] = alloc;
      } else {
        it->second.status = merge_status(it->second.status, alloc.status);
        if (it->second.transferred.end == 0) it->second.transferred = alloc.transferred;
      }
    }
    for (int id : lost) {
      auto it = out.allocs.find(id);
      if (it != out.allocs.end() && (it->second.status == Status::Live || it->second.status == Status::MaybeTransferred))
        it->second.status = Status::Handed;
    }
    for (const auto& [sym, ids] : differ)
      if (int j = join(out, ids); j >= 0) out.vars[sym] = j;
    return out;
  }

  // An allocation of `s` standing for one of `ids` (joins flattened; the
  // same set always gives the same id, so loops reach their fixpoint).
  int join(State& s, const std::vector<int>& ids) {
    std::vector<int> alts;
    for (int id : ids) {
      auto it = s.allocs.find(id);
      if (it == s.allocs.end()) continue;
      if (it->second.zone == MemZone::Mixed) alts.insert(alts.end(), it->second.alts.begin(), it->second.alts.end());
      else alts.push_back(id);
    }
    std::sort(alts.begin(), alts.end());
    alts.erase(std::unique(alts.begin(), alts.end()), alts.end());
    if (alts.empty()) return -1;
    int id = id_for(&*join_sets_.insert(alts).first);
    Alloc j;
    j.zone = MemZone::Mixed;
    j.status = Status::Handed;
    j.created = s.allocs[alts[0]].created;
    j.alts = alts;
    s.allocs[id] = j;
    return id;
  }

  // What `id` stands for that satisfies `pred`: itself, or for a join the
  // first alternative that does (a fact that holds on some path).
  template <class Pred>
  Alloc* find_alt(int id, Pred pred) {
    Alloc* a = alloc(id);
    if (!a) return nullptr;
    if (a->zone != MemZone::Mixed) return pred(*a) ? a : nullptr;
    for (int alt : a->alts)
      if (Alloc* x = alloc(alt); x && pred(*x)) return x;
    return nullptr;
  }
  Alloc* loan_in(int id) {
    return find_alt(id, [](const Alloc& a) { return a.is_loan; });
  }
  bool is_join(int id) {
    Alloc* a = alloc(id);
    return a && a->zone == MemZone::Mixed;
  }

  // ------------------------------------------------------------ the checks
  void use(int id, Span span) {
    Alloc* a = alloc(id);
    if (!a || !a->owned || evaluating_transfer_) return;
    if (a->status != Status::Transferred && a->status != Status::MaybeTransferred) return;
    if (!report_once(DiagCode::E0301, span)) return;
    bool maybe = a->status == Status::MaybeTransferred;
    diags_.report(DiagCode::E0301, span,
                  fmt::format("{} {} transferred and must not be used here", describe(a),
                              maybe ? "may have been" : "was"))
        .note(a->created, "allocated here")
        .note(a->transferred, maybe ? "transferred here on some path" : "transferred here")
        .help("use it before the transfer, or keep a copy the callee does not take over");
  }

  // Passing the value `id` to a `#[transfer_full]` parameter.
  void transfer(int id, Span span, const std::string& to) {
    bool joined = is_join(id);
    Alloc* a = find_alt(id, [](const Alloc& x) { return x.zone != MemZone::C; });
    // C memory on every path: freed through a join, it is no longer tracked.
    if (joined) handed(id);
    if (a) {
      if (!report_once(DiagCode::E0303, span)) return;
      std::string why;
      std::string help = "copy GC data into C memory first with `Asthra_runtime.to_c(...)` or `Asthra_runtime.string_to_cstr(...)`";
      switch (a->zone) {
        case MemZone::Gc: why = "it is GC-managed memory; the collector frees it"; break;
        case MemZone::Pinned:
          if (a->origin == "the secure allocator") {
            why = "it is a secure buffer";
            help = "release it with `Asthra_runtime.secure_free(...)`, which also wipes it";
          } else {
            why = "it is pinned memory owned outside Asthra";
            help = "pinned memory is never freed by Asthra; drop the call";
          }
          break;
        default:
          why = a->is_loan ? "it is only borrowed for the duration of this call"
                           : "it came from a `#[transfer_none]` return: the callee keeps ownership";
          help = a->is_loan ? "tag the parameter `#[transfer_full]` if this function is meant to take ownership"
                            : "do not free memory another component owns";
      }
      diags_.report(DiagCode::E0303, span,
                    fmt::format("{} cannot be passed to {}: {}",
                                joined ? "on some path this value is " + describe(a) + ", which" : describe(a), to, why))
          .note(a->created, fmt::format("{} comes from {} here", describe(a), a->origin))
          .help(help);
      return;
    }
    a = alloc(id);
    if (!a || joined || !a->owned) return;
    if (Alloc* inner = entry(id); inner->parent >= 0) {
      handed(id);  // meant to be freed: no leak report on top
      if (!report_once(DiagCode::E0306, span)) return;
      diags_.report(DiagCode::E0306, span,
                    fmt::format("this points into the middle of {}, not at its start: it cannot be passed to {}",
                                describe(a), to))
          .note(inner->created, inner->origin == "pointer arithmetic" ? "the pointer is moved past the start here"
                                                                        : "the sub-slice starts after element 0 here")
          .note(a->created, fmt::format("{} comes from {} here", describe(a), a->origin))
          .help(inner->origin == "pointer arithmetic"
                    ? fmt::format("pass {} itself, the pointer the allocation gave", describe(a))
                    : fmt::format("pass the whole allocation (e.g. {}'s `.ptr`)", describe(a)));
      return;
    }
    switch (a->status) {
      case Status::Live:
        a->status = Status::Transferred;
        a->transferred = span;
        ever_transferred_.insert(id);
        return;
      case Status::Transferred:
      case Status::MaybeTransferred:
        if (!report_once(DiagCode::E0302, span)) {
          a->status = Status::Transferred;
          return;
        }
        diags_.report(DiagCode::E0302, span,
                      fmt::format("{} {} already transferred (this would free it twice)", describe(a),
                                  a->status == Status::Transferred ? "was" : "may have been"))
            .note(a->created, "allocated here")
            .note(a->transferred, "first transferred here")
            .help("transfer it exactly once");
        a->status = Status::Transferred;  // no leak report on top
        return;
      default:
        return;
    }
  }

  // A write into the memory of `id` (`s[i] = v`, `*p = v`, `fill_random(s)`).
  void check_write(int id, Span span) {
    Alloc* a = find_alt(id, [](const Alloc& x) { return x.read_only; });
    if (!a || !report_once(DiagCode::E0307, span)) return;
    if (const Symbol* array = a->immutable_array) {
      auto d = diags_.report(DiagCode::E0307, span,
                             fmt::format("this writes through a slice of an array held by `{}`, which is not `mut`",
                                         array->name));
      d.note(a->created, "the slice is made here");
      if (array->binding == Symbol::Binding::Let) d.note(array->span, fmt::format("`{}` is declared here", array->name));
      d.help(make_mutable_help(array));
      return;
    }
    diags_.report(DiagCode::E0307, span,
                  fmt::format("this writes into read-only memory: the slice {} was made with `mutable = false`",
                              describe(a)))
        .note(a->created, "made read-only by `slice_from_raw_parts(..., false, ...)` here")
        .help("make a mutable slice (`slice_from_raw_parts(p, n, true, ...)`) to write through it, or write to a copy");
  }

  void handed(int id) {
    Alloc* a = alloc(id);
    if (!a) return;
    if (a->zone == MemZone::Mixed) {
      for (int alt : std::vector<int>(a->alts)) handed(alt);
      return;
    }
    if (a->status == Status::Live || a->status == Status::MaybeTransferred) a->status = Status::Handed;
  }

  void escape(int id, Span span, const char* how) {
    Alloc* a = loan_in(id);
    if (!a || !report_once(DiagCode::E0304, span)) return;
    diags_.report(DiagCode::E0304, span, fmt::format("borrowed parameter {} {}", describe(a), how))
        .note(a->created, "borrowed here: the loan lasts only for the call")
        .help("copy the data, or tag the parameter `#[transfer_full]` to take ownership");
  }

  // `early`: the path leaves at a `return`, `break`, `continue` or `try`,
  // so other paths may still free it.
  void leak(int id, Span end, const std::string& where, bool early = false) {
    Alloc* a = alloc(id);
    if (!a || !a->owned || a->zone != MemZone::C || a->allow_leak || allow_leaks_) return;
    if (a->status != Status::Live && a->status != Status::MaybeTransferred) return;
    bool maybe = a->status == Status::MaybeTransferred || early;
    a->status = Status::Handed;  // report each allocation once
    // Reported when the function is done: only then is it known whether
    // some other path frees it.
    if (!pending_leaks_.count(id)) pending_leaks_[id] = PendingLeak{*a, end, where, maybe};
  }

  struct PendingLeak {
    Alloc alloc;
    Span end;
    std::string where;
    bool maybe;
  };

  void report_leaks() {
    for (const auto& [id, p] : pending_leaks_) {
      if (!report_once(DiagCode::W0301, p.alloc.created)) continue;
      bool partial = p.maybe && ever_transferred_.count(id);
      const std::string& name = p.alloc.name;
      diags_.report(DiagCode::W0301, p.alloc.created,
                    fmt::format("C memory {} is {} (leak)", name.empty() ? "allocated here" : "held by `" + name + "`",
                                partial ? "not freed on every path" : "never freed"))
          .note(p.end, partial ? p.where + " on a path where it was not freed" : p.where + " without freeing it")
          .help("free it (`libc.free(...)`), pass it to a `#[transfer_full]` parameter or return it; "
                "`#[allow(leak)]` on the `let` or function says the leak is intended");
    }
    pending_leaks_.clear();
    ever_transferred_.clear();
  }

  // Leaving every scope from the innermost down to `depth` (a `return`,
  // `break` or `continue`): report what only their bindings held.  The
  // scopes themselves stay: statements after the jump are not visited.
  void end_scopes_to(size_t depth, Span at, const std::string& where) {
    std::vector<std::vector<const Symbol*>> saved = scopes_;
    for (size_t i = scopes_.size(); i-- > depth;) {
      scopes_.push_back(saved[i]);
      end_scope(at, where, true);
      scopes_.pop_back();
    }
    scopes_ = saved;
  }

  // The bindings of the innermost scope go away: report what only they held.
  void end_scope(Span end, const std::string& where, bool early = false) {
    for (const Symbol* s : scopes_.back()) {
      auto it = st_.vars.find(s);
      if (it == st_.vars.end()) continue;
      int id = it->second;
      st_.vars.erase(it);
      if (!held_by_any(id)) leak(id, end, where, early);
    }
  }

  bool has_allow_leak(const Annotations& list) {
    for (const Annotation& a : list)
      if (a.name == "allow")
        for (const AnnotationArg& arg : a.args)
          if (arg.value == "leak") return true;
    return false;
  }

  // ------------------------------------------------------------ statements
  // Walks a block; returns the allocation its value carries, or -1.
  int block(BlockExpr* b, bool own_scope = true) {
    if (own_scope) scopes_.emplace_back();
    for (Stmt* s : b->stmts) {
      if (!st_.reachable) break;
      stmt(s);
    }
    int tail = -1;
    if (st_.reachable && b->tail) tail = value(b->tail);
    if (own_scope) {
      if (st_.reachable) {
        // The block's value outlives its scope.
        const Symbol* keep = nullptr;
        for (const Symbol* s : scopes_.back())
          if (st_.vars.count(s) && st_.vars[s] == tail) keep = s;
        if (keep) {
          scopes_.back().erase(std::remove(scopes_.back().begin(), scopes_.back().end(), keep), scopes_.back().end());
          st_.vars.erase(keep);
          temps_.insert(tail);
        }
        end_scope(b->close_span, "its binding goes out of scope here");
      }
      scopes_.pop_back();
    }
    return tail;
  }

  void stmt(Stmt* s) {
    switch (s->kind) {
      case StmtKind::Let: {
        auto* let = static_cast<LetStmt*>(s);
        int id = value(let->init);
        id = apply_zone_tag(let, id);
        if (Alloc* a = alloc(id); a && has_allow_leak(let->annotations)) a->allow_leak = true;
        if (let->symbol) {
          bind(let->symbol, id);
          scopes_.back().push_back(let->symbol);
          temps_.erase(id);
        }
        return;
      }
      case StmtKind::Assign:
        assign(static_cast<AssignStmt*>(s));
        return;
      case StmtKind::Expr: {
        int id = value(static_cast<ExprStmt*>(s)->expr);
        if (st_.reachable && id >= 0 && !held_by_any(id))
          leak(id, static_cast<ExprStmt*>(s)->expr->span, "its value is dropped here");
        return;
      }
      case StmtKind::While: {
        auto* w = static_cast<WhileStmt*>(s);
        bool forever = w->cond->kind == ExprKind::BoolLit && static_cast<BoolLit*>(w->cond)->value;
        loop(w->cond, forever, w->body);
        return;
      }
      case StmtKind::For: {
        auto* f = static_cast<ForStmt*>(s);
        value(f->iterable);
        loop(nullptr, false, f->body);
        return;
      }
      case StmtKind::Return: {
        auto* r = static_cast<ReturnStmt*>(s);
        if (r->value) {
          int id = value(r->value);
          escape(id, r->value->span, "is returned, outliving the call");
          handed(id);
        }
        if (!st_.reachable) return;
        end_scopes_to(0, r->span, "the function returns here");
        st_.reachable = false;
        return;
      }
      case StmtKind::Break:
      case StmtKind::Continue:
        if (!loops_.empty()) {
          bool is_break = s->kind == StmtKind::Break;
          end_scopes_to(loops_.back().scope_depth, s->span,
                        is_break ? "`break` leaves its scope here" : "`continue` leaves its scope here");
          (is_break ? loops_.back().breaks : loops_.back().continues).push_back(st_);
        }
        st_.reachable = false;
        return;
      case StmtKind::Spawn: {
        // Checked like the same direct call, and the arguments are handed to
        // a task that may outlive this function: a loan must not be one.
        auto* sp = static_cast<SpawnStmt*>(s);
        spawning_ = sp->call->kind == ExprKind::Call;
        value(sp->call);
        spawning_ = false;
        return;
      }
    }
  }

  // `let x: #[ownership(z)] T = init;` asserts the zone; returns the
  // allocation the binding holds.
  int apply_zone_tag(LetStmt* let, int id) {
    const char* tag = zone_tag(let->annotations);
    if (!tag || !let->symbol || !carries_memory(let->symbol->type)) return id;
    std::string z = tag;
    if (z != "gc" && z != "c" && z != "pinned") return id;  // E0501 already
    MemZone want = z == "c" ? MemZone::C : z == "pinned" ? MemZone::Pinned : MemZone::Gc;
    Alloc* a = is_join(id) ? nullptr : alloc(id);
    if (a && a->zone != MemZone::Borrowed && a->zone != want) {
      const char* have = a->zone == MemZone::C ? "c" : a->zone == MemZone::Pinned ? "pinned" : "gc";
      diags_.report(DiagCode::E0507, let->name_span,
                    fmt::format("`#[ownership({})]` contradicts the value's zone: it is `{}` memory", z, have))
          .note(a->created, fmt::format("it comes from {} here", a->origin))
          .help(fmt::format("write `#[ownership({})]` or remove the tag", have));
      return id;
    }
    if (a) {
      if (want == MemZone::C) a->owned = true;
      return id;
    }
    int made = fresh(let, want, want == MemZone::C, let->init->span,
                     fmt::format("a value tagged `#[ownership({})]`", z));
    if (is_zero_literal(let->init)) st_.allocs[made].status = Status::Null;  // owns nothing yet
    return made;
  }

  void assign(AssignStmt* s) {
    int id = value(s->value);
    Expr* t = s->target;
    if (s->op != Tok::Eq) {
      check_write(place_base(t), t->span);
      return;
    }
    if (t->kind == ExprKind::Name) {
      const Symbol* sym = static_cast<NameExpr*>(t)->symbol;
      auto it = st_.vars.find(sym);
      int old = it == st_.vars.end() ? -1 : it->second;
      bind(sym, id);
      temps_.erase(id);
      if (old >= 0 && old != id && !held_by_any(old)) leak(old, s->span, "it is overwritten here");
      return;
    }
    // A store into a field, element or pointee: the container owns it now.
    int base = place_base(t);
    check_write(base, t->span);
    Alloc* target_zone = find_alt(base, [](const Alloc& a) { return a.zone == MemZone::C; });
    bool through = false;
    const Symbol* root = place_root(t, &through);
    Alloc* v = alloc(id);
    if (root && !through) {
      // Into a local struct or array: the value goes where the local goes.
      if (loan_in(id)) bind(root, id);
    } else {
      escape(id, s->value->span, "is stored where it outlives the call");
    }
    std::set<const Type*> seen;
    // Untracked slices may be C copies (`to_c`): only tracked GC memory, or
    // types that always hold GC references, count.
    bool gc_value = find_alt(id, [](const Alloc& a) { return a.zone == MemZone::Gc; }) ||
                    holds_gc_.count(without_casts(s->value)) ||
                    (!v && s->value->type && holds_gc_refs(s->value->type, prog_.types, seen, false));
    if (target_zone && gc_value && report_once(DiagCode::E0305, s->span)) {
      diags_.report(DiagCode::E0305, s->span, "a GC reference is stored into C memory")
          .note(target_zone->created, "this memory is C-managed: the collector never scans it")
          .help("store C data there (copy with `Asthra_runtime.to_c(...)` or `string_to_cstr(...)`), or keep the reference in GC memory");
    }
    if (!loan_in(id)) handed(id);
  }

  // The allocation whose memory a place writes into (through `*p`, `p[i]`).
  int place_base(Expr* e) {
    switch (e->kind) {
      case ExprKind::Unary:
        return value(static_cast<UnaryExpr*>(e)->operand);
      case ExprKind::Field: {
        Expr* obj = static_cast<FieldExpr*>(e)->object;
        if (obj->kind == ExprKind::Unary || obj->kind == ExprKind::Index) return place_base(obj);
        value(obj);
        return -1;
      }
      case ExprKind::Index: {
        auto* ix = static_cast<IndexExpr*>(e);
        int base = value(ix->object);
        value(ix->index);
        return ix->object->type && ix->object->type->kind == TypeKind::Slice ? base : -1;
      }
      default:
        value(e);
        return -1;
    }
  }

  const Symbol* place_root(Expr* e, bool* through) {
    switch (e->kind) {
      case ExprKind::Name: return local_of(e);
      case ExprKind::Field: return place_root(static_cast<FieldExpr*>(e)->object, through);
      case ExprKind::Index:
        if (static_cast<IndexExpr*>(e)->object->type->kind != TypeKind::Array) *through = true;
        return place_root(static_cast<IndexExpr*>(e)->object, through);
      default:
        *through = true;
        return nullptr;
    }
  }

  struct Loop {
    size_t scope_depth = 0;  // scopes outside the loop body
    std::vector<State> breaks;
    std::vector<State> continues;
  };

  void loop(Expr* cond, bool forever, BlockExpr* body) {
    State entry = st_;
    State head = entry;
    State exit;
    exit.reachable = false;
    for (int iteration = 0; iteration < 4; ++iteration) {
      st_ = head;
      if (cond) value(cond);
      State after_cond = st_;
      // The loop ends when its condition is false: `while p != null` ends
      // with `p` null.
      const Symbol* sym = nullptr;
      bool is_eq = false;
      if (cond && null_test(cond, &sym, &is_eq) && !is_eq) {
        std::swap(st_, after_cond);
        null_fact(sym);
        std::swap(st_, after_cond);
      }
      loops_.push_back({});
      loops_.back().scope_depth = scopes_.size();
      block(body);
      Loop done = std::move(loops_.back());
      loops_.pop_back();
      State end = st_;
      for (const State& c : done.continues) end = merge(end, c);
      exit = forever ? State{} : after_cond;
      if (forever) exit.reachable = false;
      for (const State& b : done.breaks) exit = merge(exit, b);
      State next = merge(entry, end);
      if (next == head) break;
      head = next;
    }
    st_ = exit;
  }

  // ------------------------------------------------------------ expressions
  // Evaluates `e` for its effects; returns the allocation its value carries.
  int value(Expr* e) {
    if (!st_.reachable) return -1;
    switch (e->kind) {
      case ExprKind::Name: {
        const Symbol* s = static_cast<NameExpr*>(e)->symbol;
        auto it = st_.vars.find(s);
        if (it == st_.vars.end()) return -1;
        use(it->second, e->span);
        return it->second;
      }
      case ExprKind::Cast:
        return value(static_cast<CastExpr*>(e)->operand);
      case ExprKind::Field: {
        auto* f = static_cast<FieldExpr*>(e);
        if (f->symbol) return -1;  // libc.name as a function value
        int id = value(f->object);
        // `s.ptr` is the slice's memory; other fields are untracked values.
        const Type* ot = f->object->type;
        if (f->field == "ptr" && ot && (ot->kind == TypeKind::Slice || ot->kind == TypeKind::String)) return id;
        return -1;
      }
      case ExprKind::Unary: {
        auto* u = static_cast<UnaryExpr*>(e);
        value(u->operand);
        if (u->op == Tok::Amp) return fresh(e, MemZone::Gc, false, e->span, "`&` (the local moves to the GC heap)");
        return -1;
      }
      case ExprKind::Binary: {
        auto* b = static_cast<BinaryExpr*>(e);
        value(b->lhs);
        if (b->op == Tok::AmpAmp || b->op == Tok::PipePipe) {
          State before = st_;
          value(b->rhs);
          st_ = merge(before, st_);
        } else {
          value(b->rhs);
        }
        // `p + n` points into the same memory as `p`; unless `n` is 0, not at
        // its start (like a sub-slice that starts later: E0306 to free it).
        if ((b->op == Tok::Plus || b->op == Tok::Minus) && b->type && b->type->kind == TypeKind::Ptr) {
          int id = value_id_of(b->lhs);
          if (id < 0 || is_zero_literal(b->rhs)) return id;
          int inner = fresh(e, MemZone::Gc, false, e->span, "pointer arithmetic");
          st_.allocs[inner].parent = id;
          return inner;
        }
        return -1;
      }
      case ExprKind::Index: {
        auto* ix = static_cast<IndexExpr*>(e);
        value(ix->object);
        value(ix->index);
        return -1;
      }
      case ExprKind::SliceRange: {
        auto* s = static_cast<SliceRangeExpr*>(e);
        int id = value(s->object);
        if (s->lo) value(s->lo);
        if (s->hi) value(s->hi);
        if (s->object->type->kind == TypeKind::Array) {
          // A slice of an array held (not through a pointer or slice) by a
          // binding that is not `mut` views memory nothing may change.
          bool through = false;
          const Symbol* root = place_root(s->object, &through);
          if (!root || through || root->is_mut) return -1;
          int view = fresh(e, MemZone::Gc, false, e->span, "a slice of an immutable array");
          st_.allocs[view].read_only = true;
          st_.allocs[view].immutable_array = root;
          return view;
        }
        if (id < 0) return -1;
        // A sub-slice is the same memory; one that starts later is inside it.
        if (!s->lo || is_zero_literal(s->lo)) return id;
        int inner = fresh(e, MemZone::Gc, false, e->span, "a sub-slice");
        st_.allocs[inner].parent = id;
        return inner;
      }
      case ExprKind::StringLit:
        return fresh(e, MemZone::Gc, false, e->span, "a string literal");
      case ExprKind::ArrayLit:
      case ExprKind::ArrayRepeat:
      case ExprKind::TupleLit:
      case ExprKind::StructLit: {
        int loan = contained(e);
        if (e->type->kind == TypeKind::Slice) {
          escape(loan, e->span, "is stored in a heap object, outliving the call");
          return fresh(e, MemZone::Gc, false, e->span, "a slice literal");
        }
        return loan;
      }
      case ExprKind::Call:
        return call(static_cast<CallExpr*>(e));
      case ExprKind::Block:
        return block(static_cast<BlockExpr*>(e));
      case ExprKind::If:
        return if_expr(static_cast<IfExpr*>(e));
      case ExprKind::Try: {
        value(static_cast<TryExpr*>(e)->operand);
        // The error path returns from the function: what it owns leaks there.
        if (st_.reachable) {
          State saved = st_;
          end_scopes_to(0, e->span, "`try` returns from the function here");
          st_ = saved;
        }
        return -1;
      }
      case ExprKind::Closure: {
        // Captured values are copied into the closure, which may outlive the
        // call or free what it captured.
        auto* c = static_cast<ClosureExpr*>(e);
        if (closures_seen_.insert(c).second) closures_.emplace_back(c, allow_leaks_);
        for (Symbol* cap : c->captures) {
          auto it = st_.vars.find(cap);
          if (it == st_.vars.end()) continue;
          if (loan_in(it->second)) escape(it->second, e->span, "is captured by a closure, which may outlive the call");
          else handed(it->second);
        }
        return -1;
      }
      case ExprKind::Match:
        return match_expr(static_cast<MatchExpr*>(e));
      default:
        return -1;
    }
  }

  // The allocation an already evaluated operand carries (no second use).
  int value_id_of(Expr* e) {
    while (e->kind == ExprKind::Cast) e = static_cast<CastExpr*>(e)->operand;
    if (e->kind != ExprKind::Name) return -1;
    auto it = st_.vars.find(static_cast<NameExpr*>(e)->symbol);
    return it == st_.vars.end() ? -1 : it->second;
  }

  // Elements of a literal are handed to it; returns a loan it captured.
  int contained(Expr* e) {
    std::vector<Expr*> parts;
    switch (e->kind) {
      case ExprKind::ArrayLit: parts = static_cast<ArrayLitExpr*>(e)->elements; break;
      case ExprKind::TupleLit: parts = static_cast<TupleLitExpr*>(e)->elements; break;
      case ExprKind::ArrayRepeat:
        parts = {static_cast<ArrayRepeatExpr*>(e)->value, static_cast<ArrayRepeatExpr*>(e)->count};
        break;
      case ExprKind::StructLit:
        for (FieldInit& f : static_cast<StructLitExpr*>(e)->fields) parts.push_back(f.value);
        break;
      case ExprKind::Call:
        parts = static_cast<CallExpr*>(e)->args;
        break;
      default:
        break;
    }
    int loan = -1;
    for (Expr* p : parts) {
      int id = value(p);
      if (find_alt(id, [](const Alloc& a) { return a.zone == MemZone::Gc; }) || holds_gc_.count(without_casts(p)))
        holds_gc_.insert(e);
      if (loan_in(id)) loan = id;
      else handed(id);
    }
    return loan;
  }

  static const Expr* without_casts(const Expr* e) {
    while (e->kind == ExprKind::Cast) e = static_cast<const CastExpr*>(e)->operand;
    return e;
  }

  int if_expr(IfExpr* e) {
    const Symbol* sym = nullptr;
    bool is_eq = false;
    bool tested = !e->let_pattern && null_test(e->cond, &sym, &is_eq);
    value(e->cond);
    State before = st_;
    if (tested && is_eq) null_fact(sym);
    int a = block(e->then_block);
    State then_state = st_;
    st_ = before;
    if (tested && !is_eq) null_fact(sym);
    int b = e->else_branch ? value(e->else_branch) : -1;
    bool then_live = then_state.reachable, else_live = st_.reachable;
    State else_state = st_;
    st_ = merge(then_state, else_state);
    if (then_live && else_live) return join_values({a, b});
    return then_live ? a : b;
  }

  int match_expr(MatchExpr* m) {
    const Symbol* sym = nullptr;
    bool is_eq = false;
    bool tested = null_test(m->scrutinee, &sym, &is_eq);
    value(m->scrutinee);
    State before = st_;
    State out;
    out.reachable = false;
    std::vector<int> results;  // of the arms that reach the end
    for (MatchArm& arm : m->arms) {
      st_ = before;
      if (tested && arm.pattern->kind == PatternKind::Literal && arm.pattern->literal->kind == ExprKind::BoolLit &&
          static_cast<BoolLit*>(arm.pattern->literal)->value == is_eq)
        null_fact(sym);
      int id = value(arm.body);
      if (st_.reachable) results.push_back(id);
      out = merge(out, st_);
    }
    st_ = out;
    return results.empty() ? -1 : join_values(results);
  }

  // The value where paths meet: the allocation every path gives, one of
  // them when all are unowned and of one zone, else a join of them.
  int join_values(const std::vector<int>& ids) {
    if (std::all_of(ids.begin(), ids.end(), [&](int id) { return id == ids[0]; })) return ids[0];
    Alloc* first = alloc(ids[0]);
    bool one_zone = std::all_of(ids.begin(), ids.end(), [&](int id) {
      Alloc* x = alloc(id);
      return first && x && !x->owned && !x->is_loan && x->zone != MemZone::Mixed && x->zone == first->zone;
    });
    return one_zone ? ids[0] : join(st_, ids);
  }

  // On this path the pointer held by `sym` is null: it owns nothing.
  void null_fact(const Symbol* sym) {
    auto it = st_.vars.find(sym);
    if (it == st_.vars.end()) return;
    Alloc* a = alloc(it->second);
    if (a && a->status == Status::Live) a->status = Status::Null;
    if (a && a->restore_on_null >= 0) {
      Alloc* original = alloc(a->restore_on_null);
      if (original && original->status == Status::Transferred) original->status = Status::Live;
    }
  }

  int call(CallExpr* e) {
    // `spawn f(args)`: each argument goes to another thread (nested calls
    // inside the arguments are ordinary calls).
    bool spawned = spawning_;
    spawning_ = false;
    auto to_task = [&](int id, Expr* arg) {
      if (spawned) escape(id, arg->span, "is passed to a spawned task, which may outlive the call");
    };
    Expr* callee = e->callee;
    const FnDecl* f = nullptr;
    std::vector<Expr*> args = e->args;
    if (e->method) {  // method (its receiver is the first argument), generic instance
      f = e->method->fn;
      if (callee->kind == ExprKind::Field && !static_cast<FieldExpr*>(callee)->symbol)
        args.insert(args.begin(), static_cast<FieldExpr*>(callee)->object);
    } else if (callee->kind == ExprKind::Name) {
      const Symbol* s = static_cast<NameExpr*>(callee)->symbol;
      if (s && s->kind == SymbolKind::Builtin) return builtin(e, s->builtin);
      if (s && (s->kind == SymbolKind::Fn || s->kind == SymbolKind::Extern)) f = s->fn;
      if (s && s->kind == SymbolKind::Type) {  // conversion
        for (Expr* a : e->args) value(a);
        return -1;
      }
    } else if (callee->kind == ExprKind::Field) {
      auto* fe = static_cast<FieldExpr*>(callee);
      if (fe->symbol && fe->symbol->kind == SymbolKind::Type) {
        return contained(e);  // enum constructor through a package
      } else if (fe->symbol) {
        f = fe->symbol->fn;
      } else if (fe->object->kind == ExprKind::Field && static_cast<FieldExpr*>(fe->object)->symbol &&
                 static_cast<FieldExpr*>(fe->object)->symbol->kind == SymbolKind::Type) {
        return contained(e);  // `pkg.Enum.Variant(...)`
      } else if (fe->object->kind == ExprKind::Name) {
        const Symbol* os = static_cast<NameExpr*>(fe->object)->symbol;
        if (os && os->kind == SymbolKind::Package) return builtin(e, runtime_builtin(fe->field));
        if (os && os->kind == SymbolKind::Type) return contained(e);  // enum constructor
      }
    }
    if (!f) {  // a call through a function value: its parameters are untagged
      value(callee);
      for (Expr* a : e->args) {
        int id = value(a);
        to_task(id, a);
        handed(id);
      }
      after_call(e);
      return -1;
    }
    int consumed = -1;  // an argument a `#[transfer_full]` parameter took
    std::vector<int> arg_ids;
    for (size_t i = 0; i < args.size() && i < f->params.size(); ++i) {
      const Annotations& tags = f->params[i].annotations;
      // Passing to a `#[transfer_full]` parameter is checked as a transfer
      // (E0302 "transferred twice"), not as a use.
      evaluating_transfer_ = find_tag(tags, "transfer_full") != nullptr;
      int id = value(args[i]);
      evaluating_transfer_ = false;
      arg_ids.push_back(id);
      if (find_tag(tags, "transfer_full")) {  // (a loan given here is E0303 already)
        transfer(id, args[i]->span, fmt::format("the `#[transfer_full]` parameter `{}` of `{}`", f->params[i].name, f->name));
        consumed = id;
        continue;
      }
      to_task(id, args[i]);
      if (!find_tag(tags, "borrowed") && !find_tag(tags, "transfer_none")) {
        // Untagged: a gc value is lent for the call; a c value may have been
        // released by the callee, so it is no longer tracked.
        if (find_alt(id, [](const Alloc& a) { return a.zone == MemZone::C; })) handed(id);
      }
    }
    // An owned temporary lent to the call and held by nothing leaks here.
    for (int id : arg_ids)
      if (id >= 0 && !held_by_any(id) && id != consumed) leak(id, e->span, "the temporary is dropped after this call");
    after_call(e);
    const Type* ret = e->type;
    if (!st_.reachable || !carries_memory(ret)) return -1;
    const char* fn_zone = f->is_extern ? zone_tag(f->annotations) : nullptr;
    bool full = find_tag(f->ret_annotations, "transfer_full") != nullptr;
    std::string origin = fmt::format("a call to `{}`", f->name);
    if (find_tag(f->ret_annotations, "transfer_none"))
      return fresh(e, MemZone::Borrowed, false, e->span, origin + " (`#[transfer_none]`)");
    if (fn_zone && std::string(fn_zone) == "pinned") return fresh(e, MemZone::Pinned, false, e->span, origin);
    if (fn_zone && std::string(fn_zone) == "gc") return fresh(e, MemZone::Gc, false, e->span, origin);
    if (full || (fn_zone && std::string(fn_zone) == "c")) {
      int made = fresh(e, MemZone::C, true, e->span, origin);
      st_.allocs[made].restore_on_null = consumed;
      return made;
    }
    return f->is_extern ? foreign_pointer(e, ret, origin) : -1;
  }

  // An untagged foreign function's pointer to a struct or enum declared
  // `#[ownership(pinned)]` or `#[ownership(c)]` is in that zone
  // (memory-model.md §1): pinned memory Asthra never frees, or C memory
  // whose owner the signature does not say (so it is not leak-checked; a
  // `#[ownership(c)]` tag on the binding claims it).  Other foreign pointers
  // stay untracked.
  int foreign_pointer(CallExpr* e, const Type* ret, const std::string& origin) {
    if (ret->kind != TypeKind::Ptr) return -1;
    const Type* to = ret->elem;
    Zone z = to->kind == TypeKind::Struct ? to->strukt->zone : to->kind == TypeKind::Enum ? to->enm->zone : Zone::Gc;
    std::string why = fmt::format("{} (`{}` is `#[ownership({})]`)", origin, to->name, z == Zone::Pinned ? "pinned" : "c");
    if (z == Zone::Pinned) return fresh(e, MemZone::Pinned, false, e->span, why);
    if (z == Zone::C) return fresh(e, MemZone::C, false, e->span, why);
    return -1;
  }

  void after_call(CallExpr* e) {
    if (e->type && e->type->kind == TypeKind::Never) st_.reachable = false;
  }

  static Builtin runtime_builtin(const std::string& name) {
    static const std::map<std::string, Builtin> kMap = {
        {"secure_zero", Builtin::SecureZero}, {"secure_free", Builtin::SecureFree},
        {"slice_from_raw_parts", Builtin::SliceFromRawParts}, {"to_c", Builtin::ToC},
        {"string_to_cstr", Builtin::StringToCstr}, {"cstr_to_string", Builtin::CstrToString},
        {"pin", Builtin::Pin}, {"unpin", Builtin::Unpin}, {"gc_collect", Builtin::GcCollect},
        {"gc_stats", Builtin::GcStats}, {"fill_random", Builtin::FillRandom}};
    auto it = kMap.find(name);
    return it == kMap.end() ? Builtin::None : it->second;
  }

  // `to_c` copies a slice's elements into memory the collector never scans:
  // GC references among them would be freed under the copy.
  void copies_gc_refs_to_c(CallExpr* e) {
    const Type* t = e->args.size() == 1 ? e->args[0]->type : nullptr;
    if (!t || t->kind != TypeKind::Slice) return;
    std::set<const Type*> seen;
    if (!holds_gc_refs(t->elem, prog_.types, seen, false) || !report_once(DiagCode::E0305, e->span)) return;
    diags_.report(DiagCode::E0305, e->span,
                  fmt::format("`to_c` would copy GC references (`{}`) into C memory", t->elem->name))
        .note(e->args[0]->span, "the collector never scans C memory: what these elements point to would be freed")
        .help("copy pointer-free data only (convert each string with `Asthra_runtime.string_to_cstr(...)`), "
              "or keep the slice in GC memory");
  }

  int builtin(CallExpr* e, Builtin b) {
    std::vector<int> ids;
    for (Expr* a : e->args) ids.push_back(value(a));
    after_call(e);
    switch (b) {
      case Builtin::AllocateSlice:
        return fresh(e, MemZone::Gc, false, e->span, "`allocate_slice`");
      case Builtin::AllocateSecureSlice:
      case Builtin::AllocateSecureBuffer:
        return fresh(e, MemZone::Pinned, false, e->span, "the secure allocator");
      case Builtin::ToC:
        copies_gc_refs_to_c(e);
        return fresh(e, MemZone::C, true, e->span, "`Asthra_runtime.to_c`");
      case Builtin::StringToCstr:
        return fresh(e, MemZone::C, true, e->span, "`Asthra_runtime.string_to_cstr`");
      case Builtin::CstrToString:
        return fresh(e, MemZone::Gc, false, e->span, "`Asthra_runtime.cstr_to_string`");
      case Builtin::SliceFromRawParts: {
        if (e->args.size() != 4) return ids[0];  // a borrowed view of the pointer's memory
        const Symbol* own = local_or_const(e->args[3]);
        int zone = own && own->kind == SymbolKind::OwnershipConst ? own->ownership_value : -1;
        int made = -1;
        if (zone == 1) {  // ownership_c: the slice takes over the pointer's memory
          transfer(ids[0], e->args[0]->span, "`slice_from_raw_parts(..., ownership_c)`");
          if (Alloc* a = alloc(ids[0]); a && a->status == Status::Transferred) a->transferred = e->span;
          made = fresh(e, MemZone::C, true, e->span, "`slice_from_raw_parts(..., ownership_c)`");
        }
        if (zone == 2) made = fresh(e, MemZone::Pinned, false, e->span, "`slice_from_raw_parts(..., ownership_pinned)`");
        if (zone == 0) made = fresh(e, MemZone::Gc, false, e->span, "`slice_from_raw_parts(..., ownership_gc)`");
        Expr* mut = e->args[2];
        if (made >= 0 && mut->kind == ExprKind::BoolLit && !static_cast<BoolLit*>(mut)->value)
          st_.allocs[made].read_only = true;
        return made;
      }
      case Builtin::FillRandom:
      case Builtin::SecureZero:
        check_write(ids.empty() ? -1 : ids[0], e->span);
        return -1;
      default:
        return -1;
    }
  }

  static const Symbol* local_or_const(const Expr* e) {
    return e->kind == ExprKind::Name ? static_cast<const NameExpr*>(e)->symbol : nullptr;
  }

  Program& prog_;
  Diagnostics& diags_;
  std::deque<std::pair<ClosureExpr*, bool>> closures_;  // to check after the function, with its allow(leak)
  std::set<const ClosureExpr*> closures_seen_;
  bool allow_leaks_ = false;
  bool evaluating_transfer_ = false;
  bool spawning_ = false;  // the next call is a `spawn`'s
  State st_;
  std::vector<std::vector<const Symbol*>> scopes_;
  std::vector<Loop> loops_;
  std::map<const void*, int> site_ids_;
  std::set<std::vector<int>> join_sets_;  // the sites of joins
  std::set<int> temps_;
  std::map<int, PendingLeak> pending_leaks_;
  std::set<int> ever_transferred_;  // allocations some path transfers
  // Literals and constructors with a part that holds tracked GC memory
  // (`Holder { p: s.ptr }`, `Option.Some(s.ptr)`, nested): stored into C
  // memory, they are E0305 like the reference alone.
  std::set<const Expr*> holds_gc_;
  std::set<std::tuple<int, uint32_t, uint32_t>> reported_;
};

// A `c` struct or enum must not hold GC references (memory-model.md §1).
void check_c_structs(Program& program, Diagnostics& diags) {
  for (const StructInfo& s : program.struct_infos) {
    if (s.zone != Zone::C) continue;
    for (const FieldInfo& f : s.fields) {
      std::set<const Type*> seen;
      if (!holds_gc_refs(f.type, program.types, seen)) continue;
      diags.report(DiagCode::E0305, f.span,
                   fmt::format("field `{}` of C-managed struct `{}` holds GC references (`{}`)", f.name, s.name,
                               f.type->name))
          .note(s.decl->name_span, "the struct is `#[ownership(c)]`: the collector never scans it")
          .help("use a raw pointer to C memory (`*mut u8`) for the field, or make the struct GC-managed");
    }
  }
  for (const EnumInfo& e : program.enum_infos) {
    if (e.zone != Zone::C || !e.decl) continue;
    for (size_t v = 0; v < e.variants.size(); ++v) {
      const VariantInfo& variant = e.variants[v];
      for (size_t i = 0; i < variant.payload.size(); ++i) {
        std::set<const Type*> seen;
        bool boxed = i < variant.boxed.size() && variant.boxed[i];  // a GC-managed copy
        if (!boxed && !holds_gc_refs(variant.payload[i], program.types, seen)) continue;
        diags.report(DiagCode::E0305, e.decl->variants[v].span,
                     fmt::format("variant `{}` of C-managed enum `{}` holds GC references (`{}`)", variant.name, e.name,
                                 variant.payload[i]->name))
            .note(e.decl->name_span, "the enum is `#[ownership(c)]`: the collector never scans it")
            .help("use raw pointers to C memory in its payloads, or make the enum GC-managed");
        break;
      }
    }
  }
}

}  // namespace

void check_ownership(Program& program, Diagnostics& diags) {
  check_c_structs(program, diags);
  OwnershipChecker checker(program, diags);
  for (FnDecl* f : program.functions)
    if (!f->body_has_syntax_errors && !f->body_has_type_errors) checker.check_function(f);
}

}  // namespace asthra
