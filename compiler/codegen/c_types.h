// C spellings of Asthra types, and the type definitions a translation unit
// needs, emitted in dependency order (a type is defined after every type it
// contains by value; pointers and boxed enum payloads need only the forward
// declaration every named C type gets first).  Also the collector's layout
// words of the types the program allocates (runtime.h, "Layouts").
#pragma once
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/sema/sema.h"

namespace asthra {

class CTypes {
 public:
  explicit CTypes(Program& program) : prog_(program) {}
  // The C type used for values of `t` (`void` for void and Never).
  std::string name(const Type* t);
  // The runtime helper suffix for an integer type: i8 ... u64.
  static std::string int_suffix(const Type* t);
  static std::string field(const std::string& name) { return "f_" + name; }
  // `Option<T>` whose `Some` payload is boxed (a recursive type) is a
  // nullable pointer: no tag, `None` is null (as Rust does for Box).
  bool is_nullable_pointer(const Type* t);
  // A C condition: is sum-type value `v` the variant at `index`?
  std::string variant_test(const Type* t, const std::string& v, size_t index);
  // Whether objects of this type may hold pointers the collector must see.
  bool has_pointers(const Type* t);
  // Forward declarations and definitions of every aggregate type in use.
  std::string definitions();

  // The layout word of `t` as a C constant expression ("0" for a type
  // without pointers): a macro `ac_layout_NAME` that layout_definitions()
  // defines, computed by the C compiler from sizeof and offsetof.
  std::string layout(const Type* t);
  // The same for a struct codegen declares itself (closure environments,
  // spawn arguments): `c_type` (e.g. "struct ac_env_3") with these fields.
  using Fields = std::vector<std::pair<std::string, const Type*>>;
  std::string layout(const std::string& c_type, const Fields& fields);
  // The `#define`s of every layout asked for so far.
  const std::string& layout_definitions() const { return layouts_; }

 private:
  void define(const Type* t, std::string& out);
  bool pointer_members(const Type* t, const std::string& prefix, std::vector<std::string>& out);
  std::string define_layout(const std::string& c_type, const std::vector<std::string>& members, bool complete);
  Program& prog_;
  std::map<const Type*, std::string> names_;
  std::set<const Type*> defined_;
  std::string boxed_payloads_;  // payload structs of recursive variants, emitted last
  std::map<std::string, std::string> layout_names_;  // by C type
  std::string layouts_;
  int next_id_ = 0;
};

}  // namespace asthra
