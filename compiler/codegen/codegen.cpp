#include "compiler/codegen/codegen.h"

#include <fmt/format.h>

#include <cmath>
#include <regex>
#include <set>
#include <unordered_map>

#include "compiler/base/check.h"
#include "compiler/codegen/c_types.h"
#include "compiler/sema/ownership.h"

namespace asthra {
namespace {

class FunctionEmitter;

// State shared by every function of the translation unit.
struct Unit {
  Program& prog;
  const SourceManager& sources;
  CodegenOptions options;
  CTypes ctypes;
  std::string locations;                       // static asthra_loc table
  std::map<std::pair<uint32_t, uint32_t>, std::string> location_names;
  std::map<std::string, const FnDecl*> used_libc;  // by name: the output is deterministic

  Unit(Program& p, const SourceManager& s, const CodegenOptions& o)
      : prog(p), sources(s), options(o), ctypes(p),
        libc_decls(p.libc_module->decls.begin(), p.libc_module->decls.end()) {}

  // A pointer to a static source location for panics at `span`.
  std::string loc(Span span) {
    auto key = std::make_pair(span.file, span.begin);
    auto it = location_names.find(key);
    if (it != location_names.end()) return "&" + it->second;
    const SourceFile& f = sources.file(span.file);
    LineCol lc = f.line_col(span.begin);
    std::string n = fmt::format("asthra_loc_{}", location_names.size());
    locations += fmt::format("static const asthra_loc {} __attribute__((unused)) = {{{}, {}, {}}};\n", n,
                             c_string(f.path()), lc.line, lc.col);
    location_names[key] = n;
    return "&" + n;
  }

  // A C string literal with the given bytes (octal escapes: no ambiguity with
  // following digits, no trigraphs).
  static std::string c_string(std::string_view bytes) {
    std::string out = "\"";
    for (char ch : bytes) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c >= 0x20 && c < 0x7F && c != '?') {
        out += static_cast<char>(c);
      } else {
        out += fmt::format("\\{:03o}", c);
      }
    }
    return out + "\"";
  }

  // C names: `as_NAME` for Asthra functions; foreign functions get private
  // names bound to their symbol by an asm label (see extern_declaration).
  std::string fn_name(const FnDecl* f) const {
    if (libc_decls.count(f)) return "asthra_libc_" + f->name;
    return f->symbol->c_name;
  }
  std::set<const Decl*> libc_decls;

  std::string closure_decls, closure_defs;  // environments, closure functions

  // Foreign code runs outside the collector's reach (runtime.h,
  // asthra_enter_native): a collection goes on without waiting for it.  The
  // runtime's own functions that stdlib declares `extern` (`asthra_...`) are
  // no foreign code: they allocate, and mark where they block themselves.
  static bool enters_native(const FnDecl* f) { return f->is_extern && f->name.rfind("asthra_", 0) != 0; }
  // The statements of a foreign call `call` whose arguments are evaluated
  // already (they may allocate): nothing but the call itself runs between
  // entering and leaving native code.  `assign` ("T r = ", "s->result = " or
  // "") takes the value; a call that never returns only enters.  Buffered
  // `log` output is flushed first, as native code (a flush may block on a
  // full pipe): C may write to stdout itself.
  static std::string native_statements(const std::string& indent, const std::string& assign, const std::string& call,
                                 bool returns) {
    std::string out = fmt::format("{0}asthra_enter_native();\n{0}asthra_before_foreign_call();\n{0}{1}{2};\n",
                                  indent, assign, call);
    if (returns) out += indent + "asthra_leave_native();\n";
    return out;
  }

  // A top-level function as a value: code that ignores the environment.
  // The argument list's tail for a call of `f` from where no call site is
  // known (a function value, a callback from C, a task, `main`): a
  // `#[track_caller]` function then reports its own locations.
  static std::string no_caller(const FnDecl* f, bool after_args) {
    if (!is_track_caller(f)) return "";
    return after_args ? ", NULL" : "NULL";
  }

  std::map<std::string, const FnDecl*> value_wrappers;
  std::string function_value(const FnDecl* f, const Type* ft, CTypes& T) {
    value_wrappers.emplace(fn_name(f), f);
    return fmt::format("(({}){{ac_fv_{}, NULL}})", T.name(ft), fn_name(f));
  }
  std::string value_wrapper(const FnDecl* f) {
    const Type* ft = f->symbol->type;
    std::string params, args;
    for (size_t i = 0; i < ft->elems.size(); ++i) {
      params += fmt::format(", {} a{}", ctypes.name(ft->elems[i]), i);
      args += fmt::format("{}a{}", i ? ", " : "", i);
    }
    bool never = ft->elem->kind == TypeKind::Never;
    bool returns = ft->elem->kind != TypeKind::Void && !never;
    std::string call = fmt::format("{}({}{})", fn_name(f), args, no_caller(f, !args.empty())), body;
    if (enters_native(f)) {
      body = native_statements("  ", returns ? ctypes.name(ft->elem) + " r = " : "", call, !never);
      if (returns) body += "  return r;\n";
    } else {
      body = fmt::format("  {}{};\n", returns ? "return " : "", call);
    }
    return fmt::format("static {} ac_fv_{}(void* env{}) {{\n  (void)env;\n{}}}\n", ctypes.name(ft->elem), fn_name(f),
                       params, body);
  }

  // A function passed to C is entered through a trampoline that first
  // attaches a foreign calling thread to the runtime, and leaves native code
  // for the call if C was called from Asthra (asthra_callback_enter).
  std::map<std::string, const FnDecl*> trampolines;
  std::string c_callback(const FnDecl* f) {
    if (f->is_extern) return fn_name(f);
    trampolines.emplace(fn_name(f), f);
    return "ac_cb_" + fn_name(f);
  }
  std::string trampoline(const FnDecl* f) {
    const Type* ft = f->symbol->type;
    std::string params, args;
    for (size_t i = 0; i < ft->elems.size(); ++i) {
      params += fmt::format("{}{} a{}", i ? ", " : "", ctypes.name(ft->elems[i]), i);
      args += fmt::format("{}a{}", i ? ", " : "", i);
    }
    bool returns = ft->elem->kind != TypeKind::Void && ft->elem->kind != TypeKind::Never;
    std::string call = fmt::format("{}({}{})", fn_name(f), args, no_caller(f, !args.empty()));
    return fmt::format("static {} ac_cb_{}({}) {{\n  asthra_thread_attach();\n"
                       "  int ac_native = asthra_callback_enter();\n  {}{};\n  asthra_callback_exit(ac_native);\n{}}}\n",
                       ctypes.name(ft->elem), fn_name(f), params.empty() ? "void" : params,
                       returns ? ctypes.name(ft->elem) + " r = " : "", call, returns ? "  return r;\n" : "");
  }
};

class FunctionEmitter {
 public:
  FunctionEmitter(Unit& unit) : u_(unit), T(unit.ctypes) {}

  std::string emit_function(FnDecl* f) {
    // `#[constant_time]`: wrapping arithmetic in every build (an overflow
    // check would branch on secrets); `#[volatile_memory]`: every load and
    // store through a pointer or slice is volatile.  Both stay out of line.
    constant_time_ = is_constant_time(f);
    volatile_ = is_volatile_memory(f);
    track_caller_ = is_track_caller(f);
    return emit_body(u_.fn_name(f), "", f->params, f->symbol->type, f->body);
  }

  // A C function `c_name` for a body with these parameters; `env_param`
  // (closures) comes first when not empty.
  std::string emit_body(const std::string& c_name, const std::string& env_param, std::vector<Param>& params,
                        const Type* ft, BlockExpr* body) {
    std::string plist = env_param;
    std::string prologue;
    if (!env_param.empty()) prologue = env_prologue_;
    for (size_t i = 0; i < params.size(); ++i) {
      Symbol* s = params[i].symbol;
      std::string cname = fmt::format("l_{}_{}", s->name, s->id);
      std::string ctype = T.name(ft->elems[i]);
      if (s->address_taken) {
        plist += fmt::format("{}{} p_{}", plist.empty() ? "" : ", ", ctype, cname);
        prologue += fmt::format("  {0}* {1} = {2};\n  *{1} = p_{1};\n", ctype, cname, gc_new(ft->elems[i]));
        names_[s] = "(*" + cname + ")";
      } else {
        plist += fmt::format("{}{} {}", plist.empty() ? "" : ", ", ctype, cname);
        prologue += fmt::format("  (void){};\n", cname);
        names_[s] = cname;
      }
    }
    if (track_caller_) plist += std::string(plist.empty() ? "" : ", ") + "const asthra_loc* asthra_caller";
    if (plist.empty()) plist = "void";
    ret_ = ft->elem;
    std::string sig = fmt::format("static __attribute__((unused)) {}{}{} {}({})", ret_->kind == TypeKind::Never ? "_Noreturn " : "",
                                  constant_time_ || volatile_ ? "__attribute__((noinline)) " : "", T.name(ret_),
                                  c_name, plist);
    prototype_ = sig + ";\n";
    indent_ = 1;
    // Every function starts at a safepoint (with loops, so a thread reaches
    // one soon), but for `#[constant_time]` ones: their straight-line code
    // stays free of branches (tests/check_machine_code.py).
    out_ = constant_time_ ? prologue : "  asthra_safepoint();\n" + prologue;
    bool returns_value = ret_->kind != TypeKind::Void && ret_->kind != TypeKind::Never;
    emit_block_stmts(body);
    if (body->tail) {
      if (returns_value && body->tail->type->kind != TypeKind::Never) {
        std::string v = expr(body->tail);
        line("return " + v + ";");
      } else {
        discard(body->tail);
      }
    }
    if (returns_value || ret_->kind == TypeKind::Never)
      line(fmt::format("asthra_panic_cstr(\"reached the end of a function without a return\", {});",
                       loc(body->close_span)));
    return sig + " {\n" + out_ + "}\n";
  }

  const std::string& prototype() const { return prototype_; }

 private:
  // ------------------------------------------------------------ output
  void line(const std::string& s) {
    out_ += std::string(static_cast<size_t>(indent_) * 2, ' ');
    out_ += s;
    out_ += '\n';
  }
  std::string temp() { return fmt::format("t_{}", next_temp_++); }
  // `if (c)` without doubled parentheses (clang warns on `if ((a == b))`).
  static std::string cond(const std::string& c) {
    if (c.size() < 2 || c.front() != '(' || c.back() != ')') return c;
    int depth = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      if (c[i] == '(') depth++;
      if (c[i] == ')' && --depth == 0 && i + 1 != c.size()) return c;
    }
    return c.substr(1, c.size() - 2);
  }
  // Declares a temporary holding `value`.
  std::string hoist(const Type* t, const std::string& value) {
    std::string n = temp();
    line(fmt::format("{} {} = {};", T.name(t), n, value));
    return n;
  }
  // A C expression that may be evaluated more than once.
  std::string pure(const Type* t, const std::string& value) {
    bool simple = !value.empty();
    for (char c : value)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) simple = false;
    if (simple || (value.rfind("(*l_", 0) == 0 && value.find(' ') == std::string::npos)) return value;
    return hoist(t, value);
  }
  // A new zeroed GC object of C type `c_type` whose layout word is `layout`
  // ("0": pointer-free, never scanned).
  static std::string gc_new(const std::string& c_type, const std::string& layout) {
    if (layout == "0") return fmt::format("({0}*)asthra_gc_alloc_noscan(sizeof({0}))", c_type);
    return fmt::format("({0}*)asthra_gc_alloc_typed(sizeof({0}), {1})", c_type, layout);
  }
  std::string gc_new(const Type* t) { return gc_new(T.name(t), T.layout(t)); }

  // Declares the local `s` holding `value`; a local whose address is taken
  // lives in a GC box (compiler.md).
  void declare_local(Symbol* s, const std::string& value) {
    std::string cname = fmt::format("l_{}_{}", s->name, s->id);
    if (s->address_taken) {
      std::string v = pure(s->type, value);  // before the box: an initializing store
      line(fmt::format("{}* {} = {};", T.name(s->type), cname, gc_new(s->type)));
      line(fmt::format("*{} = {};", cname, v));
      names_[s] = "(*" + cname + ")";
    } else {
      line(fmt::format("{} {} = {};", T.name(s->type), cname, value));
      line(fmt::format("(void){};", cname));
      names_[s] = cname;
    }
  }

  // ------------------------------------------------------------ statements
  void emit_block_stmts(BlockExpr* b) {
    for (Stmt* s : b->stmts) emit_stmt(s);
  }

  void emit_stmt(Stmt* s) {
    switch (s->kind) {
      case StmtKind::Let: {
        auto* let = static_cast<LetStmt*>(s);
        if (let->init->type->kind == TypeKind::Never) {
          // The code after it never runs but is still emitted, and may name
          // the binding: it is declared with a zero value.
          discard(let->init);
          declare_local(let->symbol, fmt::format("({}){{0}}", T.name(let->symbol->type)));
          return;
        }
        std::string v = expr(let->init);
        declare_local(let->symbol, v);
        return;
      }
      case StmtKind::Assign:
        emit_assign(static_cast<AssignStmt*>(s));
        return;
      case StmtKind::Expr:
        discard(static_cast<ExprStmt*>(s)->expr);
        return;
      case StmtKind::While: {
        auto* w = static_cast<WhileStmt*>(s);
        std::string saved = std::move(out_);
        out_.clear();
        ++indent_;
        std::string cond = expr(w->cond);
        std::string cond_stmts = std::move(out_);
        out_ = std::move(saved);
        --indent_;
        // Each iteration starts at a safepoint (runtime.h), `continue` included.
        size_t loop = out_.size();
        if (cond_stmts.empty()) {
          line(fmt::format("while ({}) {{", FunctionEmitter::cond(cond)));
        } else {
          line("while (1) {");
        }
        size_t poll = out_.size();
        line("  asthra_safepoint();");
        size_t body = out_.size();
        if (!cond_stmts.empty()) {
          out_ += cond_stmts;
          line(fmt::format("  if (!({})) break;", cond));
        }
        ++indent_;
        emit_scoped_block(w->body);
        --indent_;
        bool leaf = drop_safepoint_of_leaf_loop(poll, body);
        line("}");
        if (leaf) mark_leaf_loop(loop);
        return;
      }
      case StmtKind::For:
        emit_for(static_cast<ForStmt*>(s));
        return;
      case StmtKind::Return: {
        auto* r = static_cast<ReturnStmt*>(s);
        if (!r->value) {
          line("return;");
          return;
        }
        if (r->value->type->kind == TypeKind::Void || ret_->kind == TypeKind::Void) {
          discard(r->value);
          line("return;");
          return;
        }
        std::string v = expr(r->value);
        if (r->value->type->kind == TypeKind::Never) return;
        line("return " + v + ";");
        return;
      }
      case StmtKind::Break:
        line("break;");
        return;
      case StmtKind::Continue:
        line("continue;");
        return;
      case StmtKind::Spawn:
        emit_spawn(static_cast<SpawnStmt*>(s));
        return;
    }
  }

  // `spawn f(args)`: the arguments (and a slot for the result, first) go
  // into a GC object that a generated `run` function unpacks on the task's
  // thread (runtime/src/thread/task.c).
  void emit_spawn(SpawnStmt* sp) {
    auto* call = static_cast<CallExpr*>(sp->call);
    const Type* r = call->type;
    bool has_result = r->kind != TypeKind::Void && r->kind != TypeKind::Never;
    std::vector<Expr*> args;
    std::string target, task_name;
    Symbol* sym = call->callee->kind == ExprKind::Name ? static_cast<NameExpr*>(call->callee)->symbol : nullptr;
    if (call->method) {
      target = u_.fn_name(call->method->fn);
      task_name = call->method->name;
      if (call->callee->kind == ExprKind::Field && !static_cast<FieldExpr*>(call->callee)->symbol)
        args.push_back(static_cast<FieldExpr*>(call->callee)->object);
    } else if (sym && sym->kind == SymbolKind::Fn) {
      target = u_.fn_name(sym->fn);
      task_name = sym->name;
    } else {
      task_name = "<function value>";
    }
    args.insert(args.end(), call->args.begin(), call->args.end());
    std::string st = fmt::format("struct ac_spawn_{}", sp->id);
    std::string fields;
    CTypes::Fields members;
    auto add_field = [&](const Type* ft, const std::string& name) {
      fields += fmt::format(" {} {};", T.name(ft), name);
      members.emplace_back(name, ft);
    };
    if (has_result) add_field(r, "result");
    if (target.empty()) add_field(call->callee->type, "fnv");
    std::string call_args = target.empty() ? "s->fnv.env" : "";
    for (size_t i = 0; i < args.size(); ++i) {
      add_field(args[i]->type, fmt::format("a{}", i));
      call_args += fmt::format("{}s->a{}", call_args.empty() ? "" : ", ", i);
    }
    if (fields.empty()) fields = " char unused_;";
    u_.closure_decls += fmt::format("{} {{{} }};\n", st, fields);
    std::string callee_c = target.empty() ? "s->fnv.code" : target;
    // The task's record is old by the time the result arrives.
    std::string result_barrier = has_result && T.has_pointers(r) ? "  asthra_gc_wrote(&s->result, sizeof s->result);\n" : "";
    const FnDecl* target_fn = call->method ? call->method->fn : sym && sym->kind == SymbolKind::Fn ? sym->fn : nullptr;
    if (target_fn) call_args += Unit::no_caller(target_fn, !call_args.empty());
    u_.closure_defs += fmt::format("static void ac_spawn_{0}_run(void* p) {{\n  {1}* s = ({1}*)p;\n  (void)s;\n  {2}{3}({4});\n{5}}}\n",
                                   sp->id, st, has_result ? "s->result = " : "", callee_c, call_args, result_barrier);
    // Everything is evaluated before the record exists: initializing stores.
    std::string f = target.empty() ? pure(call->callee->type, expr(call->callee)) : "";
    std::vector<std::string> values;
    for (Expr* a : args) values.push_back(pure(a->type, expr(a)));
    std::string d = temp();
    line(fmt::format("{}* {} = {};", st, d, gc_new(st, T.layout(st, members))));
    if (target.empty()) line(fmt::format("{}->fnv = {};", d, f));
    for (size_t i = 0; i < values.size(); ++i) line(fmt::format("{}->a{} = {};", d, i, values[i]));
    std::string h = temp();
    line(fmt::format("asthra_handle {} = asthra_spawn(ac_spawn_{}_run, {}, {}, {});", h, sp->id, d,
                     Unit::c_string(task_name), loc(sp->span)));
    if (sp->symbol) names_[sp->symbol] = h;
    else line(fmt::format("(void){};", h));
  }

  // The block's statements in a C block of their own, its tail discarded.
  void emit_scoped_block(BlockExpr* b) {
    emit_block_stmts(b);
    if (b->tail) discard(b->tail);
  }

  // A store that may put a pointer into a GC object is followed by the
  // write barrier (runtime.h, asthra_gc_wrote).
  void emit_assign(AssignStmt* s) {
    const Type* t = s->target->type;
    bool barrier = T.has_pointers(t) && may_be_in_heap(s->target);
    if (s->op == Tok::Eq && !barrier) {
      std::string target = place(s->target);
      std::string v = expr(s->value);
      line(fmt::format("{} = {};", target, v));
      return;
    }
    std::string p = temp();
    line(fmt::format("{}{}* {} = &{};", volatile_ ? "volatile " : "", T.name(t), p, place(s->target)));
    std::string v = expr(s->value);
    if (s->op != Tok::Eq) {
      Tok op = s->op == Tok::PlusEq ? Tok::Plus : s->op == Tok::MinusEq ? Tok::Minus
             : s->op == Tok::StarEq ? Tok::Star : s->op == Tok::SlashEq ? Tok::Slash : Tok::Percent;
      v = binary_op(op, t, s->value->type, "(*" + p + ")", v, s->span);
    }
    line(fmt::format("*{} = {};", p, v));
    if (barrier) line(fmt::format("asthra_gc_wrote((const void*){0}, sizeof *{0});", p));
  }

  // Whether the place `e` may lie in a GC object: it is reached through a
  // pointer or a slice, or it is a local that lives in a GC box. Other
  // locals are on the stack, scanned as roots at every collection (and a
  // closure cannot assign its captured copies, E0128).
  static bool may_be_in_heap(Expr* e) {
    switch (e->kind) {
      case ExprKind::Name:
        return static_cast<NameExpr*>(e)->symbol->address_taken;
      case ExprKind::Field: {
        auto* f = static_cast<FieldExpr*>(e);
        TypeKind k = f->object->type->kind;
        return k == TypeKind::Struct || k == TypeKind::Tuple ? may_be_in_heap(f->object) : true;
      }
      case ExprKind::Index: {
        auto* ix = static_cast<IndexExpr*>(e);
        return ix->object->type->kind == TypeKind::Array ? may_be_in_heap(ix->object) : true;
      }
      default:
        return true;
    }
  }

  // `for x in e`: the range's bounds and the iterable are evaluated once,
  // before the first pass, as in Go and Rust: the loop sees neither a bound
  // nor a slice or string binding that its body reassigns. A slice's
  // elements stay shared (a slice is a view), but an array is a value: the
  // loop walks a copy, unless the array is a plain local that the body
  // never names (checked on the emitted C), where the copy could not differ.
  void emit_for(ForStmt* s) {
    Symbol* var = s->symbol;
    const Type* vt = var->type;
    // Each iteration starts at a safepoint, then binds the variable.
    size_t poll = 0, body = 0;
    auto bind = [&](const std::string& value) {
      poll = out_.size();
      line("asthra_safepoint();");
      body = out_.size();
      declare_local(var, value);
    };
    std::string k = temp();
    size_t loop = out_.size();
    line("{");
    ++indent_;
    Expr* it = s->iterable;
    bool is_range = it->kind == ExprKind::Call && static_cast<CallExpr*>(it)->callee->kind == ExprKind::Name &&
                    static_cast<NameExpr*>(static_cast<CallExpr*>(it)->callee)->symbol &&
                    static_cast<NameExpr*>(static_cast<CallExpr*>(it)->callee)->symbol->builtin == Builtin::Range;
    // An array copy that may be dropped after the body: its line and names.
    size_t copy_begin = 0, copy_end = 0;
    std::string copy_name, live_name;
    if (is_range) {
      auto* call = static_cast<CallExpr*>(it);
      std::string lo = call->args.size() == 2 ? once(vt, expr(call->args[0])) : "0";
      std::string hi = once(vt, expr(call->args.back()));
      line(fmt::format("for ({} {} = {}; {} < {}; {}++) {{", T.name(vt), k, lo, k, hi, k));
      ++indent_;
      bind(k);
    } else if (it->type->kind == TypeKind::String) {
      std::string str = hoist(it->type, expr(it));
      std::string next = temp();
      line(fmt::format("for (size_t {0} = 0, {1} = 0; {0} < {2}.len; {0} = {1}) {{", k, next, str));
      ++indent_;
      bind(fmt::format("asthra_str_decode({}, {}, &{})", str, k, next));
    } else {
      const Type* et = it->type->elem;
      std::string coll = expr(it);
      bool is_array = it->type->kind == TypeKind::Array;
      if (is_array && is_identifier(coll)) {
        live_name = coll;
        copy_begin = out_.size();
        coll = copy_name = hoist(it->type, coll);
        copy_end = out_.size();
      } else {
        coll = hoist(it->type, coll);  // a slice's header, or a copy of the array
      }
      line(fmt::format("for (size_t {0} = 0; {0} < {1}; {0}++) {{", k,
                       is_array ? std::to_string(it->type->count) : coll + ".len"));
      ++indent_;
      bind(is_array ? fmt::format("{}.a[{}]", coll, k) : fmt::format("(({}*){}.ptr)[{}]", T.name(et), coll, k));
    }
    emit_scoped_block(s->body);
    if (!copy_name.empty() && !mentions(out_, body, live_name)) {
      // The body never names the array: iterate over it in place.
      std::string rest = out_.substr(copy_end);
      out_.erase(copy_begin);
      out_ += std::regex_replace(rest, std::regex("\\b" + copy_name + "\\b"), live_name);
      poll -= copy_end - copy_begin;
      body -= copy_end - copy_begin;
    }
    bool leaf = drop_safepoint_of_leaf_loop(poll, body);
    --indent_;
    line("}");
    --indent_;
    line("}");
    if (leaf) mark_leaf_loop(loop);
  }
  // `value` evaluated once: a temporary unless it is a literal.
  std::string once(const Type* t, const std::string& value) {
    static const std::regex kLiteral(R"(\(*(\(\w+\))?-?(U?INT64_C\()?\d+\)*)");
    return std::regex_match(value, kLiteral) ? value : hoist(t, value);
  }
  static bool is_identifier(const std::string& v) {
    if (v.empty() || std::isdigit(static_cast<unsigned char>(v[0]))) return false;
    for (char c : v)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
  }
  // Whether the C text from offset `from` names the identifier `name`.
  static bool mentions(const std::string& text, size_t from, const std::string& name) {
    auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (size_t at = text.find(name, from); at != std::string::npos; at = text.find(name, at + 1)) {
      bool starts = at == 0 || !is_word(text[at - 1]);
      bool ends = at + name.size() == text.size() || !is_word(text[at + name.size()]);
      if (starts && ends) return true;
    }
    return false;
  }

  // An innermost loop whose body calls nothing (no function, no foreign
  // code, no allocation, no inner loop: only the runtime's inline
  // arithmetic, index and decoding checks) loses its safepoint: the poll's
  // call, rare as it is, keeps the C compiler from vectorising and hoisting
  // (numeric's matrix multiply: 0.51 s with it, 0.43 s without, as with
  // Boehm). mark_leaf_loop then brackets the loop so that a collection
  // stops the thread with a signal instead (world.c), as Go 1.14 preempts
  // loops. `poll` and `body` are offsets of the poll line and what follows;
  // returns whether the poll went.
  bool drop_safepoint_of_leaf_loop(size_t poll, size_t body) {
    static const std::regex kCall(R"(\b([A-Za-z_]\w*)\s*\()");
    static const std::regex kLeafCall(
        R"(if|while|for|switch|return|sizeof|UINT64_C|INT64_C|__attribute__|__builtin_\w+|)"
        R"(asthra_w?(add|sub|mul|div|rem|neg|shl|shr)_\w+|asthra_index_[su]|asthra_nonnull|)"
        R"(asthra_str_decode|asthra_panic_cstr|asthra__panic_\w+)");
    auto from = out_.cbegin() + static_cast<long>(body);
    for (auto it = std::sregex_iterator(from, out_.cend(), kCall); it != std::sregex_iterator(); ++it)
      if (!std::regex_match((*it)[1].first, (*it)[1].second, kLeafCall)) return false;
    out_.erase(poll, body - poll);
    return true;
  }

  // Brackets the leaf loop emitted from offset `loop` to the end with
  // asthra_leaf_loop_enter and _exit (runtime.h), the exit also before each
  // `return` inside it (a `break` leaves through the end).
  void mark_leaf_loop(size_t loop) {
    static const std::regex kReturn(R"(^(\s*)(return\b[^\n]*;)$)", std::regex::multiline);
    std::string indent(static_cast<size_t>(indent_) * 2, ' ');
    std::string loop_text = std::regex_replace(out_.substr(loop), kReturn, "$1{ asthra_leaf_loop_exit(); $2 }");
    out_.erase(loop);
    out_ += indent + "asthra_leaf_loop_enter();\n" + loop_text;
    line("asthra_leaf_loop_exit();");
  }

  // ------------------------------------------------------------ places
  // An lvalue for an assignable expression.
  std::string place(Expr* e) {
    switch (e->kind) {
      case ExprKind::Name:
        return names_.at(static_cast<NameExpr*>(e)->symbol);
      case ExprKind::Field: {
        auto* f = static_cast<FieldExpr*>(e);
        return field_access(f, place(f->object));
      }
      case ExprKind::Index: {
        auto* ix = static_cast<IndexExpr*>(e);
        if (ix->object->type->kind == TypeKind::Array) {
          std::string base = place(ix->object);
          return fmt::format("{}.a[{}]", base, index_check(ix->index, std::to_string(ix->object->type->count), "array"));
        }
        return index_expr(ix);
      }
      case ExprKind::Unary:
        return deref(static_cast<UnaryExpr*>(e));
      default:
        ASTHRA_UNREACHABLE("not a place");
    }
  }

  std::string field_access(FieldExpr* f, const std::string& obj) {
    const Type* t = f->object->type;
    switch (t->kind) {
      case TypeKind::Struct:
        return obj + "." + (t->strukt->decl ? CTypes::field(f->field) : f->field);
      case TypeKind::Tuple:
        return obj + ".f" + f->field;
      case TypeKind::Slice:
        if (f->field == "len") return obj + ".len";
        return fmt::format("(({}*){}.ptr)", T.name(t->elem), obj);
      case TypeKind::String:
        if (f->field == "len") return obj + ".len";
        return fmt::format("((uint8_t*){}.ptr)", obj);
      case TypeKind::Array:
        return fmt::format("((size_t){})", t->count);
      default:
        ASTHRA_UNREACHABLE("field access");
    }
  }

  std::string index_check(Expr* index, const std::string& len, const char* what) {
    std::string i = expr(index);
    if (!u_.options.bounds_checks) return fmt::format("(size_t)({})", i);
    if (index->type->is_signed())
      return fmt::format("asthra_index_s((int64_t)({}), {}, \"{}\", {})", i, len, what, loc(index->span));
    return fmt::format("asthra_index_u((uint64_t)({}), {}, \"{}\", {})", i, len, what, loc(index->span));
  }

  std::string index_expr(IndexExpr* ix) {
    const Type* t = ix->object->type;
    if (t->kind == TypeKind::Array) {
      std::string obj = pure(t, expr(ix->object));
      return fmt::format("{}.a[{}]", obj, index_check(ix->index, std::to_string(t->count), "array"));
    }
    std::string obj = pure(t, expr(ix->object));
    std::string idx = index_check(ix->index, obj + ".len", t->kind == TypeKind::String ? "string" : "slice");
    const char* vol = volatile_ ? "volatile " : "";
    if (t->kind == TypeKind::String) return fmt::format("(({}const uint8_t*){}.ptr)[{}]", vol, obj, idx);
    return fmt::format("(({}{}*){}.ptr)[{}]", vol, T.name(t->elem), obj, idx);
  }

  std::string deref(UnaryExpr* e) {
    std::string p = expr(e->operand);
    return fmt::format("(*({}{}*)asthra_nonnull((void*)({}), {}))", volatile_ ? "volatile " : "", T.name(e->type), p,
                       loc(e->span));
  }

  // ------------------------------------------------------------ expressions
  // Evaluates `e` for its effects only.
  void discard(Expr* e) {
    switch (e->kind) {
      case ExprKind::Block: case ExprKind::If: case ExprKind::Match:
        emit_into(e, "");
        return;
      case ExprKind::Call: {
        auto* c = static_cast<CallExpr*>(e);
        if (native_callee(c)) {
          native_call(c, false);
          return;
        }
        std::string v = call(c);
        if (!v.empty()) line(v + ";");
        return;
      }
      default: {
        std::string v = expr(e);
        if (!v.empty() && e->type->kind != TypeKind::Void && e->type->kind != TypeKind::Never)
          line(fmt::format("(void)({});", v));
        return;
      }
    }
  }

  // Evaluates a block-like expression, assigning its value to `target`
  // (empty: discard it).
  void emit_into(Expr* e, const std::string& target) {
    switch (e->kind) {
      case ExprKind::Block:
        line("{");
        ++indent_;
        emit_contents_into(static_cast<BlockExpr*>(e), target);
        --indent_;
        line("}");
        return;
      case ExprKind::If: {
        // An `else if` chain stays flat (`} else if (c) {`) when a condition
        // needs no statements of its own: C compilers limit nesting depth.
        auto* i = static_cast<IfExpr*>(e);
        open_if(i, "");
        int nested = 0;  // `else { if` levels opened for conditions with statements
        while (true) {
          ++indent_;
          emit_contents_into(i->then_block, target);
          --indent_;
          Expr* next = i->else_branch;
          if (next && next->kind == ExprKind::If && !static_cast<IfExpr*>(next)->let_pattern) {
            auto* elif = static_cast<IfExpr*>(next);
            std::string saved = std::move(out_);
            out_.clear();
            std::string c = expr(elif->cond);
            std::string hoisted = std::move(out_);
            out_ = std::move(saved);
            if (hoisted.empty()) {
              line(fmt::format("}} else if ({}) {{", cond(c)));
            } else {
              line("} else {");
              out_ += hoisted;
              line(fmt::format("if ({}) {{", cond(c)));
              ++nested;
            }
            i = elif;
            continue;
          }
          if (next) {
            line("} else {");
            ++indent_;
            if (next->kind == ExprKind::Block) emit_contents_into(static_cast<BlockExpr*>(next), target);
            else emit_value_into(next, target);
            --indent_;
          }
          line("}");
          for (; nested > 0; --nested) line("}");
          return;
        }
      }
      case ExprKind::Match: {
        auto* m = static_cast<MatchExpr*>(e);
        std::string scrut = pure(m->scrutinee->type, expr(m->scrutinee));
        for (size_t a = 0; a < m->arms.size(); ++a) {
          MatchArm& arm = m->arms[a];
          line(fmt::format("{}if ({}) {{", a == 0 ? "" : "} else ", cond(pattern_test(arm.pattern, scrut))));
          ++indent_;
          pattern_bind(arm.pattern, scrut);
          if (arm.body->kind == ExprKind::Block) emit_contents_into(static_cast<BlockExpr*>(arm.body), target);
          else emit_value_into(arm.body, target);
          --indent_;
        }
        line(fmt::format("{}{{", m->arms.empty() ? "" : "} else "));
        line(fmt::format("  asthra_panic_cstr(\"internal error: no match arm applies\", {});", loc(m->span)));
        line("}");
        return;
      }
      default:
        emit_value_into(e, target);
    }
  }

  // `if (cond) {` for an `if` or `if let` (binding the pattern inside).
  void open_if(IfExpr* i, const char* prefix) {
    if (i->let_pattern) {
      std::string scrut = pure(i->cond->type, expr(i->cond));
      line(fmt::format("{}if ({}) {{", prefix, cond(pattern_test(i->let_pattern, scrut))));
      ++indent_;
      pattern_bind(i->let_pattern, scrut);
      --indent_;
    } else {
      std::string c = expr(i->cond);
      line(fmt::format("{}if ({}) {{", prefix, cond(c)));
    }
  }

  // A block's statements and value in the current C block (its scope is the
  // enclosing C braces, which `if`/`match` lowering provides).
  void emit_contents_into(BlockExpr* b, const std::string& target) {
    emit_block_stmts(b);
    if (!b->tail) return;
    // After a statement that always leaves, the tail is never reached: it
    // is not the block's value, whatever its type.
    if (b->type && b->type->kind == TypeKind::Never)
      discard(b->tail);
    else
      emit_value_into(b->tail, target);
  }

  void emit_value_into(Expr* value, const std::string& target) {
    if (value->kind == ExprKind::Block || value->kind == ExprKind::If || value->kind == ExprKind::Match) {
      emit_into(value, target);
    } else if (target.empty() || value->type->kind == TypeKind::Never || value->type->kind == TypeKind::Void) {
      discard(value);
    } else {
      std::string v = expr(value);
      line(fmt::format("{} = {};", target, v));
    }
  }

  // A C condition testing whether the value `v` matches `p` (pure).
  std::string pattern_test(Pattern* p, const std::string& v) {
    const Type* t = p->type;
    switch (p->kind) {
      case PatternKind::Wildcard: case PatternKind::Binding:
        return "1";
      case PatternKind::Literal: {
        std::string lit = expr(p->literal);
        if (t->kind == TypeKind::String) return fmt::format("asthra_str_eq({}, {})", v, lit);
        return fmt::format("({} == {})", v, lit);
      }
      case PatternKind::Tuple: {
        std::string c = "1";
        for (size_t i = 0; i < p->subs.size(); ++i)
          c = join_and(c, pattern_test(p->subs[i], fmt::format("{}.f{}", v, i)));
        return c;
      }
      case PatternKind::Struct: {
        std::string c = "1";
        for (size_t i = 0; i < p->subs.size(); ++i)
          c = join_and(c, pattern_test(p->subs[i], v + "." + CTypes::field(p->field_names[i])));
        return c;
      }
      case PatternKind::Variant: {
        auto& variants = u_.prog.types.variants(t);
        size_t index = 0;
        while (variants[index].name != p->variant) ++index;
        std::string c = T.variant_test(t, v, index);
        for (size_t i = 0; i < p->subs.size(); ++i) {
          if (variants[index].payload[i]->kind == TypeKind::Void) continue;
          c = join_and(c, pattern_test(p->subs[i], payload_access(v, variants[index], index, i)));
        }
        return c;
      }
    }
    ASTHRA_UNREACHABLE("pattern");
  }

  static std::string join_and(const std::string& a, const std::string& b) {
    if (a == "1") return b;
    if (b == "1") return a;
    return "(" + a + " && " + b + ")";
  }

  static std::string payload_access(const std::string& v, const VariantInfo& variant, size_t index, size_t field) {
    if (variant.any_boxed()) return fmt::format("{}.u.v{}->f{}", v, index, field);
    return fmt::format("{}.u.v{}.f{}", v, index, field);
  }

  // Declares the bindings of a pattern already known to match `v`.
  void pattern_bind(Pattern* p, const std::string& v) {
    switch (p->kind) {
      case PatternKind::Binding: {
        if (p->symbol->type->kind == TypeKind::Void) return;
        declare_local(p->symbol, v);
        return;
      }
      case PatternKind::Tuple:
        for (size_t i = 0; i < p->subs.size(); ++i) pattern_bind(p->subs[i], fmt::format("{}.f{}", v, i));
        return;
      case PatternKind::Struct:
        for (size_t i = 0; i < p->subs.size(); ++i)
          pattern_bind(p->subs[i], v + "." + CTypes::field(p->field_names[i]));
        return;
      case PatternKind::Variant: {
        auto& variants = u_.prog.types.variants(p->type);
        size_t index = 0;
        while (variants[index].name != p->variant) ++index;
        for (size_t i = 0; i < p->subs.size(); ++i) {
          if (variants[index].payload[i]->kind == TypeKind::Void) continue;
          pattern_bind(p->subs[i], payload_access(v, variants[index], index, i));
        }
        return;
      }
      default:
        return;
    }
  }

  // A string for a printable value (language.md formatting).
  std::string format_value(const Type* t, const std::string& v) {
    switch (t->kind) {
      case TypeKind::String: return v;
      case TypeKind::Bool: return fmt::format("asthra_fmt_bool({})", v);
      case TypeKind::Char: return fmt::format("asthra_fmt_char({})", v);
      case TypeKind::Float: return fmt::format("asthra_fmt_f{}({})", t->float_bits, v);
      case TypeKind::Int:
        return t->is_signed() ? fmt::format("asthra_fmt_i64((int64_t)({}))", v)
                              : fmt::format("asthra_fmt_u64((uint64_t)({}))", v);
      default: ASTHRA_UNREACHABLE("format of a non-printable type");
    }
  }

  std::string int_literal(const Type* t, uint64_t v, bool negated) {
    if (t->kind == TypeKind::Float) {
      return fmt::format("(({}){}{}.0)", T.name(t), negated ? "-" : "", v);
    }
    if (negated) return fmt::format("(({})(0 - UINT64_C({})))", T.name(t), v);
    return fmt::format("(({})UINT64_C({}))", T.name(t), v);
  }

  // A constant: an integer's value as sema computed it, else its expression.
  std::string const_value(const Symbol* s) {
    const ConstDecl* c = s->const_decl;
    if (c->int_value) {
      bool negative = s->type->is_signed() && *c->int_value < 0;
      uint64_t bits = static_cast<uint64_t>(*c->int_value);
      return int_literal(s->type, negative ? 0 - bits : bits, negative);
    }
    return "(" + expr(c->value) + ")";
  }

  std::string float_literal(const Type* t, double v) {
    if (std::isinf(v)) return t->float_bits == 32 ? "__builtin_inff()" : "__builtin_inf()";
    std::string s = fmt::format("{:.17g}", v);
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return t->float_bits == 32 ? "((float)" + s + ")" : s;
  }

  std::string binary_op(Tok op, const Type* l, const Type* r, const std::string& a, const std::string& b, Span span) {
    bool release = u_.options.release || constant_time_;
    if (l->kind == TypeKind::String || r->kind == TypeKind::String) {
      if (op == Tok::Plus)
        return fmt::format("asthra_str_concat({}, {})", format_value(l, a), format_value(r, b));
      if (op == Tok::EqEq) return fmt::format("asthra_str_eq({}, {})", a, b);
      if (op == Tok::BangEq) return fmt::format("(!asthra_str_eq({}, {}))", a, b);
      return fmt::format("(asthra_str_cmp({}, {}) {} 0)", a, b, c_op(op));
    }
    if (l->kind == TypeKind::Ptr && (op == Tok::Plus || op == Tok::Minus) && r->is_integer())
      return fmt::format("({} {} (ptrdiff_t)({}))", a, c_op(op), b);
    switch (op) {
      case Tok::EqEq: case Tok::BangEq: case Tok::Lt: case Tok::Le: case Tok::Gt: case Tok::Ge:
        if (l->kind == TypeKind::Ptr) return fmt::format("((void*)({}) {} (void*)({}))", a, c_op(op), b);
        return fmt::format("({} {} {})", a, c_op(op), b);
      case Tok::AmpAmp: case Tok::PipePipe:
        return fmt::format("({} {} {})", a, c_op(op), b);
      default:
        break;
    }
    if (l->kind == TypeKind::Float) {
      if (op == Tok::Percent) return fmt::format("{}({}, {})", l->float_bits == 32 ? "fmodf" : "fmod", a, b);
      return fmt::format("({} {} {})", a, c_op(op), b);
    }
    if (l->kind == TypeKind::Bool) return fmt::format("(bool)({} {} {})", a, c_op(op), b);
    std::string sfx = CTypes::int_suffix(l);
    std::string at = op == Tok::Amp || op == Tok::Pipe || op == Tok::Caret || (release && (op == Tok::Plus || op == Tok::Minus || op == Tok::Star || op == Tok::Shl || op == Tok::Shr))
                          ? "" : loc(span);
    switch (op) {
      case Tok::Plus: return release ? fmt::format("asthra_wadd_{}({}, {})", sfx, a, b) : fmt::format("asthra_add_{}({}, {}, {})", sfx, a, b, at);
      case Tok::Minus: return release ? fmt::format("asthra_wsub_{}({}, {})", sfx, a, b) : fmt::format("asthra_sub_{}({}, {}, {})", sfx, a, b, at);
      case Tok::Star: return release ? fmt::format("asthra_wmul_{}({}, {})", sfx, a, b) : fmt::format("asthra_mul_{}({}, {}, {})", sfx, a, b, at);
      case Tok::Slash: return fmt::format("asthra_{}div_{}({}, {}, {})", release ? "w" : "", sfx, a, b, at);
      case Tok::Percent: return fmt::format("asthra_{}rem_{}({}, {}, {})", release ? "w" : "", sfx, a, b, at);
      case Tok::Shl: case Tok::Shr: {
        const char* name = op == Tok::Shl ? "shl" : "shr";
        return release ? fmt::format("asthra_w{}_{}({}, (uint64_t)({}))", name, sfx, a, b)
                       : fmt::format("asthra_{}_{}({}, (uint64_t)({}), {})", name, sfx, a, b, at);
      }
      case Tok::Amp: case Tok::Pipe: case Tok::Caret:
        return fmt::format("(({})({} {} {}))", T.name(l), a, c_op(op), b);
      default:
        ASTHRA_UNREACHABLE("binary operator");
    }
  }

  static const char* c_op(Tok op) {
    switch (op) {
      case Tok::Plus: return "+"; case Tok::Minus: return "-"; case Tok::Star: return "*";
      case Tok::Slash: return "/"; case Tok::Percent: return "%"; case Tok::Amp: return "&";
      case Tok::Pipe: return "|"; case Tok::Caret: return "^"; case Tok::EqEq: return "==";
      case Tok::BangEq: return "!="; case Tok::Lt: return "<"; case Tok::Le: return "<=";
      case Tok::Gt: return ">"; case Tok::Ge: return ">="; case Tok::AmpAmp: return "&&";
      case Tok::PipePipe: return "||";
      default: ASTHRA_UNREACHABLE("operator");
    }
  }

  // C compilers limit how deeply parentheses nest (clang: 256), and a long
  // Asthra operator chain nests one call per operator: every so many levels
  // the value goes into a temporary.
  std::string expr(Expr* e) {
    ++expr_depth_;
    std::string v = expr_inner(e);
    --expr_depth_;
    const Type* t = e->type;
    if (expr_depth_ > 0 && expr_depth_ % 32 == 0 && !v.empty() && t->kind != TypeKind::Void &&
        t->kind != TypeKind::Never)
      v = hoist(t, v);
    return v;
  }

  std::string expr_inner(Expr* e) {
    const Type* t = e->type;
    switch (e->kind) {
      case ExprKind::IntLit:
        return int_literal(t, static_cast<IntLit*>(e)->value, false);
      case ExprKind::FloatLit:
        return float_literal(t, static_cast<FloatLit*>(e)->value);
      case ExprKind::StringLit: {
        const std::string& s = static_cast<StringLit*>(e)->value;
        return fmt::format("((asthra_string){{(const uint8_t*){}, {}}})", Unit::c_string(s), s.size());
      }
      case ExprKind::CharLit:
        return fmt::format("((uint32_t){})", static_cast<CharLit*>(e)->value);
      case ExprKind::BoolLit:
        return static_cast<BoolLit*>(e)->value ? "true" : "false";
      case ExprKind::VoidLit:
        return "";
      case ExprKind::Name:
        return name_value(static_cast<NameExpr*>(e));
      case ExprKind::Unary:
        return unary(static_cast<UnaryExpr*>(e));
      case ExprKind::Binary: {
        auto* b = static_cast<BinaryExpr*>(e);
        if (b->op == Tok::AmpAmp || b->op == Tok::PipePipe) return logical(b);
        std::string l = expr(b->lhs);
        std::string r = expr(b->rhs);
        return binary_op(b->op, b->lhs->type, b->rhs->type, l, r, b->span);
      }
      case ExprKind::Call: {
        if (native_callee(static_cast<CallExpr*>(e))) return native_call(static_cast<CallExpr*>(e), true);
        std::string c = call(static_cast<CallExpr*>(e));
        if (t->kind == TypeKind::Void || t->kind == TypeKind::Never) {
          line(c + ";");
          return t->kind == TypeKind::Never ? "0" : "";
        }
        return hoist(t, c);
      }
      case ExprKind::Field: {
        auto* f = static_cast<FieldExpr*>(e);
        if (f->symbol) {  // `libc.name`, `pkg.name` as a value
          Symbol* s = f->symbol;
          if (s->kind == SymbolKind::Const) return const_value(s);
          if (u_.libc_decls.count(s->fn)) u_.used_libc.emplace(s->fn->name, s->fn);
          return u_.function_value(s->fn, s->type, T);
        }
        if (t->is_sum() && names_type(f->object)) return variant_value(t, f->field, {});
        return field_access(f, expr(f->object));
      }
      case ExprKind::Index:
        return index_expr(static_cast<IndexExpr*>(e));
      case ExprKind::SliceRange:
        return slice_range(static_cast<SliceRangeExpr*>(e));
      case ExprKind::Cast:
        return cast(static_cast<CastExpr*>(e));
      case ExprKind::StructLit: {
        auto* s = static_cast<StructLitExpr*>(e);
        std::string inits;
        for (FieldInit& f : s->fields) {
          std::string v = expr(f.value);
          inits += fmt::format("{}.{} = {}", inits.empty() ? "" : ", ", CTypes::field(f.name), v);
        }
        if (inits.empty()) return fmt::format("(({}){{0}})", T.name(t));
        return fmt::format("(({}){{{}}})", T.name(t), inits);
      }
      case ExprKind::ArrayLit: {
        auto* a = static_cast<ArrayLitExpr*>(e);
        std::vector<std::string> elems;
        // A slice's elements are evaluated before it exists: initializing stores.
        for (Expr* x : a->elements) elems.push_back(t->kind == TypeKind::Array ? expr(x) : pure(x->type, expr(x)));
        if (t->kind == TypeKind::Array) {
          std::string inits;
          for (auto& x : elems) inits += (inits.empty() ? "" : ", ") + x;
          if (inits.empty()) return fmt::format("(({}){{{{0}}}})", T.name(t));
          return fmt::format("(({}){{{{{}}}}})", T.name(t), inits);
        }
        if (elems.empty()) return "((asthra_slice){NULL, 0})";
        std::string s = hoist(t, fmt::format("asthra_slice_alloc({}, sizeof({}), {})", elems.size(),
                                             T.name(t->elem), T.layout(t->elem)));
        for (size_t i = 0; i < elems.size(); ++i)
          line(fmt::format("(({}*){}.ptr)[{}] = {};", T.name(t->elem), s, i, elems[i]));
        return s;
      }
      case ExprKind::ArrayRepeat: {
        auto* r = static_cast<ArrayRepeatExpr*>(e);
        std::string v = pure(t->elem, expr(r->value));
        std::string k = temp();
        if (t->kind == TypeKind::Array) {
          std::string a = temp();
          line(fmt::format("{} {};", T.name(t), a));
          line(fmt::format("for (size_t {0} = 0; {0} < {1}; {0}++) {2}.a[{0}] = {3};", k, t->count, a, v));
          return a;
        }
        std::string n = expr(r->count);
        std::string s = hoist(t, fmt::format("asthra_slice_alloc({}, sizeof({}), {})", n, T.name(t->elem),
                                             T.layout(t->elem)));
        line(fmt::format("for (size_t {0} = 0; {0} < {1}.len; {0}++) (({2}*){1}.ptr)[{0}] = {3};", k, s,
                         T.name(t->elem), v));
        return s;
      }
      case ExprKind::TupleLit: {
        auto* tl = static_cast<TupleLitExpr*>(e);
        std::string inits;
        for (Expr* x : tl->elements) {
          std::string v = expr(x);
          inits += (inits.empty() ? "" : ", ") + v;
        }
        return fmt::format("(({}){{{}}})", T.name(t), inits);
      }
      case ExprKind::Block: case ExprKind::If: case ExprKind::Match: {
        if (t->kind == TypeKind::Void || t->kind == TypeKind::Never) {
          emit_into(e, "");
          return t->kind == TypeKind::Never ? "0" : "";
        }
        std::string n = temp();
        line(fmt::format("{} {};", T.name(t), n));
        emit_into(e, n);
        return n;
      }
      case ExprKind::Sizeof:
        return fmt::format("sizeof({})", T.name(static_cast<SizeofExpr*>(e)->target_type));
      case ExprKind::Closure:
        return closure(static_cast<ClosureExpr*>(e));
      case ExprKind::Try:
        return try_expr(static_cast<TryExpr*>(e));
      case ExprKind::Await: {
        std::string h = pure(static_cast<AwaitExpr*>(e)->operand->type, expr(static_cast<AwaitExpr*>(e)->operand));
        line(fmt::format("asthra_task_join({}.task);", h));
        if (t->kind == TypeKind::Void) return "";
        return fmt::format("(*({}*){}.data)", T.name(t), h);
      }
      default:
        ASTHRA_UNREACHABLE("expression kind reached codegen");
    }
  }

  // A closure: its body becomes a C function taking the environment first;
  // the value pairs that function with a GC copy of the captured locals.
  std::string closure(ClosureExpr* c) {
    const Type* ft = c->type;
    std::string env_type = fmt::format("struct ac_env_{}", c->id);
    std::string code = fmt::format("ac_closure_{}", c->id);
    std::string fields;
    CTypes::Fields members;
    for (Symbol* s : c->captures) {
      fields += fmt::format(" {} c_{}_{};", T.name(s->type), s->name, s->id);
      members.emplace_back(fmt::format("c_{}_{}", s->name, s->id), s->type);
    }
    if (fields.empty()) fields = " char unused_;";
    u_.closure_decls += fmt::format("{} {{{} }};\n", env_type, fields);
    FunctionEmitter body(u_);
    for (Symbol* s : c->captures) body.names_[s] = fmt::format("env->c_{}_{}", s->name, s->id);
    body.env_prologue_ = fmt::format("  {0}* env = ({0}*)env_;\n  (void)env;\n", env_type);
    u_.closure_defs += body.emit_body(code, "void* env_", c->params, ft, c->body) + "\n";
    u_.closure_decls += body.prototype();
    if (c->captures.empty()) return fmt::format("(({}){{{}, NULL}})", T.name(ft), code);
    std::string env = temp();
    line(fmt::format("{}* {} = {};", env_type, env, gc_new(env_type, T.layout(env_type, members))));
    for (Symbol* s : c->captures) line(fmt::format("{}->c_{}_{} = {};", env, s->name, s->id, names_.at(s)));
    return fmt::format("(({}){{{}, {}}})", T.name(ft), code, env);
  }

  // `try e`: on `Err`/`None` return it from the function; else its payload.
  std::string try_expr(TryExpr* e) {
    const Type* ot = e->operand->type;
    std::string v = pure(ot, expr(e->operand));
    auto& variants = u_.prog.types.variants(ot);
    line(fmt::format("if ({}) {{", cond(T.variant_test(ot, v, 1))));
    ++indent_;
    std::vector<std::string> payload;
    if (ot->kind == TypeKind::Result && variants[1].payload[0]->kind != TypeKind::Void)
      payload.push_back(payload_access(v, variants[1], 1, 0));
    std::string r = variant_value(ret_, ot->kind == TypeKind::Result ? "Err" : "None", payload);
    line("return " + r + ";");
    --indent_;
    line("}");
    if (e->type->kind == TypeKind::Void) return "";
    return payload_access(v, variants[0], 0, 0);
  }

  std::string name_value(NameExpr* n) {
    Symbol* s = n->symbol;
    switch (s->kind) {
      case SymbolKind::Local:
        if (s->type->kind == TypeKind::Void) return "";
        return names_.at(s);
      case SymbolKind::Fn:
      case SymbolKind::Extern:
        return u_.function_value(s->fn, s->type, T);
      case SymbolKind::Const:
        return const_value(s);
      case SymbolKind::OwnershipConst:
        return fmt::format("((int32_t){})", s->ownership_value);
      default:
        ASTHRA_UNREACHABLE("name kind in codegen");
    }
  }

  std::string unary(UnaryExpr* e) {
    const Type* t = e->type;
    switch (e->op) {
      case Tok::Minus:
        if (e->operand->kind == ExprKind::IntLit)
          return int_literal(t, static_cast<IntLit*>(e->operand)->value, true);
        if (e->operand->kind == ExprKind::FloatLit)
          return "(-" + float_literal(t, static_cast<FloatLit*>(e->operand)->value) + ")";
        {
          std::string v = expr(e->operand);
          if (t->kind == TypeKind::Float) return "(-" + v + ")";
          std::string sfx = CTypes::int_suffix(t);
          return u_.options.release || constant_time_ ? fmt::format("asthra_wneg_{}({})", sfx, v)
                                    : fmt::format("asthra_neg_{}({}, {})", sfx, v, loc(e->span));
        }
      case Tok::Bang: {
        std::string v = expr(e->operand);
        if (t->kind == TypeKind::Bool) return "(!" + v + ")";
        return fmt::format("(({})~{})", T.name(t), v);
      }
      case Tok::Tilde:
        return fmt::format("(({})~{})", T.name(t), expr(e->operand));
      case Tok::Star:
        return deref(e);
      case Tok::Amp: {
        bool through = false;
        Expr* operand = e->operand;
        if (is_place(operand, &through)) return fmt::format("(&{})", place(operand));
        // The address of a temporary: box a copy on the GC heap.
        std::string v = expr(operand);
        std::string box = temp();
        line(fmt::format("{}* {} = {};", T.name(operand->type), box, gc_new(operand->type)));
        line(fmt::format("*{} = {};", box, v));
        return box;
      }
      default:
        ASTHRA_UNREACHABLE("unary operator");
    }
  }

  bool is_place(Expr* e, bool* through) {
    switch (e->kind) {
      case ExprKind::Name:
        return static_cast<NameExpr*>(e)->symbol->kind == SymbolKind::Local;
      case ExprKind::Field: {
        auto* f = static_cast<FieldExpr*>(e);
        const Type* ot = f->object->type;
        return (ot->kind == TypeKind::Struct || ot->kind == TypeKind::Tuple) && is_place(f->object, through);
      }
      case ExprKind::Index: {
        auto* ix = static_cast<IndexExpr*>(e);
        if (ix->object->type->kind == TypeKind::Slice) return true;
        return ix->object->type->kind == TypeKind::Array && is_place(ix->object, through);
      }
      case ExprKind::Unary:
        return static_cast<UnaryExpr*>(e)->op == Tok::Star;
      default:
        return false;
    }
  }

  // `a && b`, `a || b` with `b` evaluated only when needed, even when it
  // needed hoisted statements.
  std::string logical(BinaryExpr* b) {
    std::string l = expr(b->lhs);
    std::string saved = std::move(out_);
    out_.clear();
    ++indent_;
    std::string r = expr(b->rhs);
    std::string rhs_stmts = std::move(out_);
    --indent_;
    out_ = std::move(saved);
    if (rhs_stmts.empty()) return fmt::format("({} {} {})", l, c_op(b->op), r);
    std::string t = hoist(b->type, l);
    line(fmt::format("if ({}{}) {{", b->op == Tok::AmpAmp ? "" : "!", t));
    out_ += rhs_stmts;
    line(fmt::format("  {} = {};", t, r));
    line("}");
    return t;
  }

  std::string slice_range(SliceRangeExpr* s) {
    const Type* ot = s->object->type;
    std::string obj;
    if (ot->kind == TypeKind::Array) {
      bool through = false;
      std::string storage;
      if (is_place(s->object, &through)) {
        storage = place(s->object);
      } else {
        std::string v = expr(s->object);
        std::string box = temp();
        line(fmt::format("{}* {} = {};", T.name(ot), box, gc_new(ot)));
        line(fmt::format("*{} = {};", box, v));
        storage = "(*" + box + ")";
      }
      obj = hoist(s->type, fmt::format("((asthra_slice){{{}.a, {}}})", storage, ot->count));
    } else {
      obj = pure(ot, expr(s->object));
    }
    auto bound = [&](Expr* b, const std::string& dflt) {
      if (!b) return dflt;
      std::string v = expr(b);
      return fmt::format("(int64_t)({})", v);
    };
    std::string lo = bound(s->lo, "0");
    std::string hi = bound(s->hi, fmt::format("(int64_t){}.len", obj));
    // Which bounds are unsigned (1: lo, 2: hi): a u64 above INT64_MAX is
    // negative as int64_t, and the runtime must read it back as unsigned.
    auto is_unsigned = [](const Expr* b) { return b && b->type->is_integer() && !b->type->is_signed(); };
    int unsigned_bounds = (is_unsigned(s->lo) ? 1 : 0) | (is_unsigned(s->hi) ? 2 : 0);
    if (ot->kind == TypeKind::String)
      return fmt::format("asthra_substring({}, {}, {}, {}, {})", obj, lo, hi, unsigned_bounds, loc(s->span));
    const Type* et = s->type->elem;
    if (!u_.options.bounds_checks)
      return fmt::format("((asthra_slice){{({}*){}.ptr + {}, (size_t)({} - {})}})", T.name(et), obj, lo, hi, lo);
    return fmt::format("asthra_subslice({}, sizeof({}), {}, {}, {}, {})", obj, T.name(et), lo, hi, unsigned_bounds,
                       loc(s->span));
  }

  std::string cast(CastExpr* c) {
    const Type* from = c->operand->type;
    const Type* to = c->type;
    std::string v = expr(c->operand);
    if (from == to) return v;
    if (from->kind == TypeKind::Float && to->is_integer())
      return fmt::format("(({})asthra_f2i_{}({}))", T.name(to), CTypes::int_suffix(to), v);
    if (from->is_integer() && to->kind == TypeKind::Ptr) return fmt::format("(({})(uintptr_t)({}))", T.name(to), v);
    if (from->kind == TypeKind::Ptr && to->is_integer()) return fmt::format("(({})(uintptr_t)({}))", T.name(to), v);
    if (from->kind == TypeKind::Func) return fmt::format("(({})(void*)({}))", T.name(to), v);
    return fmt::format("(({})({}))", T.name(to), v);
  }

  std::string variant_value(const Type* t, const std::string& variant, const std::vector<std::string>& args) {
    auto& variants = u_.prog.types.variants(t);
    size_t index = 0;
    while (variants[index].name != variant) ++index;
    const VariantInfo& v = variants[index];
    // A boxed payload is evaluated before its box exists: initializing stores.
    bool boxed = v.any_boxed();
    std::string fields;
    for (size_t i = 0; i < v.payload.size() && i < args.size(); ++i) {
      if (v.payload[i]->kind == TypeKind::Void) continue;
      fields += fmt::format("{}.f{} = {}", fields.empty() ? "" : ", ", i, boxed ? pure(v.payload[i], args[i]) : args[i]);
    }
    bool nullable = T.is_nullable_pointer(t);
    if (fields.empty()) {
      if (nullable) return fmt::format("(({}){{.u = {{.v0 = NULL}}}})", T.name(t));
      return fmt::format("(({}){{.tag = {}}})", T.name(t), index);
    }
    if (boxed) {  // one GC object holds the whole payload
      std::string box = temp();
      std::string payload = fmt::format("struct {}_v{}", T.name(t), index);
      CTypes::Fields members;
      for (size_t i = 0; i < v.payload.size(); ++i) members.emplace_back(fmt::format("f{}", i), v.payload[i]);
      line(fmt::format("{}* {} = {};", payload, box, gc_new(payload, T.layout(payload, members))));
      line(fmt::format("*{} = ({}){{{}}};", box, payload, fields));
      if (nullable) return fmt::format("(({}){{.u = {{.v0 = {}}}}})", T.name(t), box);
      return fmt::format("(({}){{.tag = {}, .u = {{.v{} = {}}}}})", T.name(t), index, index, box);
    }
    return fmt::format("(({}){{.tag = {}, .u = {{.v{} = {{{}}}}}}})", T.name(t), index, index, fields);
  }

  // The C call expression for `e` (arguments hoisted as needed).
  std::string call(CallExpr* e) {
    Expr* callee = e->callee;
    if (e->method) {  // a method, an associated function or a generic instance
      std::string args;
      // `value.method(...)`: the receiver comes first (`pkg.f(...)` has none).
      if (callee->kind == ExprKind::Field && !static_cast<FieldExpr*>(callee)->symbol)
        args = expr(static_cast<FieldExpr*>(callee)->object);
      for (Expr* a : e->args) {
        std::string v = expr(a);
        args += (args.empty() ? "" : ", ") + v;
      }
      return fmt::format("{}({}{})", u_.fn_name(e->method->fn), args, call_site(e->method->fn, e, !args.empty()));
    }
    Symbol* sym = nullptr;
    if (callee->kind == ExprKind::Name) sym = static_cast<NameExpr*>(callee)->symbol;
    if (callee->kind == ExprKind::Field) {
      auto* f = static_cast<FieldExpr*>(callee);
      if (f->symbol) {  // `libc.name(...)`, `pkg.name(...)`
        bool libc = u_.libc_decls.count(f->symbol->fn) > 0;
        // `libc.free` refuses GC and secure memory with a panic at the call
        // (C's free would abort, or corrupt the heap).
        if (libc && f->symbol->fn->name == "free")
          return fmt::format("asthra_free_c({}, {})", pure(e->args[0]->type, expr(e->args[0])), loc(e->span));
        if (libc) u_.used_libc.emplace(f->symbol->fn->name, f->symbol->fn);
        return direct_call(f->symbol->fn, e);
      }
      if (names_type(f->object)) {
        std::vector<std::string> args;
        for (Expr* a : e->args) args.push_back(expr(a));
        return variant_value(e->type, f->field, args);
      }
      if (f->object->kind == ExprKind::Name) {
        Symbol* os = static_cast<NameExpr*>(f->object)->symbol;
        if (os && os->kind == SymbolKind::Package) return builtin_call(e, runtime_builtin(f->field));
      }
    }
    if (sym && sym->kind == SymbolKind::Builtin) return builtin_call(e, sym->builtin);
    if (sym && sym->kind == SymbolKind::Type) {  // conversion
      std::string v = expr(e->args[0]);
      const Type* from = e->args[0]->type;
      if (sym->type->kind == TypeKind::String)
        return from->kind == TypeKind::Slice ? fmt::format("asthra_str_from_bytes({})", v) : format_value(from, v);
      if (from == sym->type) return v;
      if (from->kind == TypeKind::Float && sym->type->is_integer())
        return fmt::format("(({})asthra_f2i_{}({}))", T.name(sym->type), CTypes::int_suffix(sym->type), v);
      return fmt::format("(({})({}))", T.name(sym->type), v);
    }
    if (sym && (sym->kind == SymbolKind::Fn || sym->kind == SymbolKind::Extern))
      return direct_call(sym->fn, e);
    // Through a function value: its code gets its environment first.
    std::string f = pure(callee->type, expr(callee));
    std::string args = f + ".env";
    for (Expr* a : e->args) {
      std::string v = expr(a);
      args += ", " + v;
    }
    return fmt::format("{}.code({})", f, args);
  }

  // A direct call; a function argument to a foreign function is passed as
  // a plain C function pointer (sema made sure it names a top-level one).
  // The arguments of a call into native code are evaluated into temporaries
  // (native_call).
  std::string direct_call(const FnDecl* fn, CallExpr* e) {
    bool native = native_callee(e) != nullptr;
    std::string args;
    for (Expr* a : e->args) {
      std::string v;
      Symbol* s = a->kind == ExprKind::Name ? static_cast<NameExpr*>(a)->symbol : nullptr;
      if (a->type->kind == TypeKind::Func && s && s->kind == SymbolKind::Fn && is_foreign(e))
        v = u_.c_callback(s->fn);
      else
        v = native ? pure(a->type, expr(a)) : expr(a);
      args += (args.empty() ? "" : ", ") + v;
    }
    return fmt::format("{}({}{})", u_.fn_name(fn), args, call_site(fn, e, !args.empty()));
  }

  // The argument list's tail for a call of `f` at `e`: a `#[track_caller]`
  // function gets the call's location (its caller's, in one itself).
  std::string call_site(const FnDecl* f, CallExpr* e, bool after_args) {
    if (!is_track_caller(f)) return "";
    return (after_args ? ", " : "") + loc(e->span);
  }

  // A pointer to the source location `span` for a panic; in a
  // `#[track_caller]` function, the caller's location when it passed one.
  std::string loc(Span span) {
    std::string own = u_.loc(span);
    return track_caller_ ? fmt::format("(asthra_caller ? asthra_caller : {})", own) : own;
  }

  // The foreign function a direct call enters native code for, if any.
  static const FnDecl* native_callee(CallExpr* e) {
    if (e->method || !is_foreign(e)) return nullptr;
    Symbol* s = e->callee->kind == ExprKind::Name ? static_cast<NameExpr*>(e->callee)->symbol
                                                  : static_cast<FieldExpr*>(e->callee)->symbol;
    return Unit::enters_native(s->fn) ? s->fn : nullptr;
  }

  // A call into foreign code (Unit::native_statements); its value ("" if none or
  // unwanted, "0" for Never).
  std::string native_call(CallExpr* e, bool want_value) {
    std::string c = call(e);
    const Type* t = e->type;
    bool value = want_value && t->kind != TypeKind::Void && t->kind != TypeKind::Never;
    std::string r = value ? temp() : "";
    out_ += Unit::native_statements(std::string(static_cast<size_t>(indent_) * 2, ' '),
                              value ? fmt::format("{} {} = ", T.name(t), r) : "", c, t->kind != TypeKind::Never);
    return t->kind == TypeKind::Never ? "0" : r;
  }

  // `Enum` or `pkg.Enum` in `Enum.Variant`.
  static bool names_type(const Expr* e) {
    const Symbol* s = e->kind == ExprKind::Name    ? static_cast<const NameExpr*>(e)->symbol
                      : e->kind == ExprKind::Field ? static_cast<const FieldExpr*>(e)->symbol
                                                   : nullptr;
    return s && s->kind == SymbolKind::Type;
  }

  static bool is_foreign(CallExpr* e) {
    if (e->callee->kind == ExprKind::Field) {
      Symbol* s = static_cast<FieldExpr*>(e->callee)->symbol;
      return s && s->kind == SymbolKind::Extern;
    }
    if (e->callee->kind != ExprKind::Name) return false;
    Symbol* s = static_cast<NameExpr*>(e->callee)->symbol;
    return s && s->kind == SymbolKind::Extern;
  }

  static Builtin runtime_builtin(const std::string& name) {
    static const std::unordered_map<std::string, Builtin> kMap = {
        {"secure_zero", Builtin::SecureZero}, {"secure_free", Builtin::SecureFree},
        {"slice_from_raw_parts", Builtin::SliceFromRawParts}, {"to_c", Builtin::ToC},
        {"string_to_cstr", Builtin::StringToCstr}, {"cstr_to_string", Builtin::CstrToString},
        {"pin", Builtin::Pin}, {"unpin", Builtin::Unpin}, {"gc_collect", Builtin::GcCollect},
        {"gc_stats", Builtin::GcStats}, {"fill_random", Builtin::FillRandom}};
    return kMap.at(name);
  }

  std::string builtin_call(CallExpr* e, Builtin b) {
    std::vector<std::string> a;
    for (Expr* x : e->args) a.push_back(expr(x));
    auto here = [&] { return loc(e->span); };
    switch (b) {
      case Builtin::Log:
        if (a.size() == 2) return fmt::format("asthra_log_level({}, {})", a[0], format_value(e->args[1]->type, a[1]));
        return fmt::format("asthra_log({})", format_value(e->args[0]->type, a[0]));
      case Builtin::Panic:
        return fmt::format("asthra_panic({}, {})", format_value(e->args[0]->type, a[0]), here());
      case Builtin::Exit:
        return fmt::format("asthra_exit({})", a[0]);
      case Builtin::Args:
        return "asthra_args()";
      case Builtin::Len: {
        const Type* t = e->args[0]->type;
        if (t->kind == TypeKind::Array) return fmt::format("((size_t){})", t->count);
        return fmt::format("({}).len", a[0]);
      }
      case Builtin::AllocateSlice:
        return fmt::format("asthra_allocate_slice({}, {})", a[0], here());
      case Builtin::AllocateSecureSlice:
        return fmt::format("asthra_allocate_secure({}, {})", a[0], here());
      case Builtin::AllocateSecureBuffer:
        return fmt::format("asthra_allocate_secure({}, {})", a.empty() ? "32" : a[0], here());
      case Builtin::SecureZero:
        if (a.size() == 1) {
          std::string s = pure(e->args[0]->type, a[0]);
          return fmt::format("asthra_secure_zero({}.ptr, {}.len, {})", s, s, here());
        }
        return fmt::format("asthra_secure_zero((void*)({}), {}, {})", a[0], a[1], here());
      case Builtin::SecureFree:
        return fmt::format("asthra_secure_free({}, {})", a[0], here());
      case Builtin::SliceFromRawParts: {
        std::string elem = T.name(e->type->elem);
        std::string own = a.size() == 4 ? a[3] : "ASTHRA_OWNERSHIP_BORROWED";
        return fmt::format("asthra_slice_from_raw_parts((void*)({}), {}, sizeof({}), {}, {})", a[0], a[1], elem, own, here());
      }
      case Builtin::ToC:
        return fmt::format("asthra_to_c({}, sizeof({}))", a[0], T.name(e->type->elem));
      case Builtin::StringToCstr:
        return fmt::format("asthra_string_to_cstr({})", a[0]);
      case Builtin::CstrToString:
        return fmt::format("asthra_cstr_to_string({}, {})", a[0], here());
      case Builtin::Pin:
        return fmt::format("asthra_pin((void*)({}), {})", a[0], a[1]);
      case Builtin::Unpin:
        return fmt::format("asthra_unpin((void*)({}))", a[0]);
      case Builtin::GcCollect:
        return "asthra_gc_collect()";
      case Builtin::GcStats:
        return "asthra_gc_get_stats()";
      case Builtin::FillRandom:
        return fmt::format("asthra_fill_random({}, {})", a[0], here());
      default:
        ASTHRA_UNREACHABLE("builtin in codegen");
    }
  }

  Unit& u_;
  CTypes& T;
  std::string out_;
  std::string prototype_;
  std::string env_prologue_;  // closures: binds `env`
  bool constant_time_ = false;
  bool volatile_ = false;
  bool track_caller_ = false;  // locations are the caller's (asthra_caller), when it passed one
  int expr_depth_ = 0;
  int indent_ = 0;
  int next_temp_ = 0;
  const Type* ret_ = nullptr;
  std::unordered_map<const Symbol*, std::string> names_;
};

std::string extern_declaration(Unit& u, const FnDecl* f) {
  const Type* ft = f->symbol->type;
  std::string params;
  for (const Type* p : ft->elems)
    params += (params.empty() ? "" : ", ") + u.ctypes.name(p) + (p->kind == TypeKind::Func ? "_c" : "");
  if (params.empty()) params = "void";
  return fmt::format("extern {}{} {}({}) __asm__(\"{}\");\n", ft->elem->kind == TypeKind::Never ? "_Noreturn " : "",
                     u.ctypes.name(ft->elem), u.fn_name(f), params, f->name);
}

}  // namespace

std::string generate_c(Program& program, const SourceManager& sources, const CodegenOptions& options) {
  Unit u(program, sources, options);
  std::string prototypes, bodies;
  for (FnDecl* f : program.functions) {
    FunctionEmitter fe(u);
    bodies += fe.emit_function(f) + "\n";
    prototypes += fe.prototype();
  }
  std::string out;
  out += "/* Generated by asthra from Asthra source; do not edit. */\n";
  // runtime.h inlines the collector's fast paths (allocation, safepoints,
  // native transitions): the program's C is built for one collector.
  if (options.boehm_gc) out += "#define ASTHRA_GC_BOEHM 1\n";
  out += "#include <asthra/runtime.h>\n#include <math.h>\n\n";
  out += u.ctypes.definitions() + "\n";
  for (FnDecl* f : program.externs) out += extern_declaration(u, f);
  for (const auto& [name, f] : u.used_libc) out += extern_declaration(u, f);
  std::string trampolines;
  for (const auto& [name, f] : u.trampolines) trampolines += u.trampoline(f);
  for (const auto& [name, f] : u.value_wrappers) trampolines += u.value_wrapper(f);
  out += "\n" + u.locations + "\n" + prototypes + "\n" + u.closure_decls + "\n" + u.ctypes.layout_definitions() +
         "\n" + trampolines + "\n" + u.closure_defs + bodies;
  ASTHRA_CHECK(program.main != nullptr);  // sema reports a program without a usable `main`
  out += "int main(int argc, char **argv) {\n  asthra_rt_init(argc, argv);\n";
  if (program.main_returns_status) {
    out += fmt::format("  int32_t status = as_main({});\n  return asthra_rt_finish(status);\n}}\n",
                       Unit::no_caller(program.main, false));
  } else {
    out += fmt::format("  as_main({});\n  return asthra_rt_finish(0);\n}}\n", Unit::no_caller(program.main, false));
  }
  return out;
}

}  // namespace asthra
