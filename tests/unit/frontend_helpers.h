// Helpers for the front-end unit tests: run the phases over a string.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/lex/lexer.h"
#include "compiler/parse/parser.h"
#include "compiler/sema/sema.h"

namespace asthra::testing {

struct Compiled {
  SourceManager sources;
  std::unique_ptr<Diagnostics> diags;
  std::unique_ptr<Module> module;
  Program program;
  bool ok = false;

  // The codes of every diagnostic reported, in order of position.
  std::vector<std::string> codes() {
    std::vector<std::string> out;
    for (const Diagnostic& d : diags->all()) out.push_back(diag_info(d.code).code);
    return out;
  }
};

inline std::unique_ptr<Compiled> compile(const std::string& text, bool run_sema = true) {
  auto c = std::make_unique<Compiled>();
  uint32_t file = c->sources.add("test.asthra", text);
  c->diags = std::make_unique<Diagnostics>(c->sources);
  c->module = parse(lex(c->sources, file, *c->diags), file, *c->diags);
  Package& entry = c->program.packages.emplace_back();
  entry.is_entry = true;
  entry.modules.push_back(c->module.get());
  c->program.modules.push_back(c->module.get());
  c->program.module_package[c->module.get()] = &entry;
  c->ok = c->diags->error_count() == 0;
  if (c->ok && run_sema) c->ok = analyze(c->program, *c->diags);
  return c;
}

inline std::vector<Token> tokens_of(const std::string& text, std::vector<std::string>* codes = nullptr) {
  SourceManager sm;
  uint32_t file = sm.add("t.asthra", text);
  Diagnostics d(sm);
  auto toks = lex(sm, file, d);
  if (codes)
    for (const Diagnostic& x : d.all()) codes->push_back(diag_info(x.code).code);
  return toks;
}

}  // namespace asthra::testing
