// libFuzzer target: lexer and parser, on arbitrary bytes.
//
// The parser must report every syntax error as a diagnostic and always return
// a Module, whatever the tokens (compiler/parse/parser.h); nesting past the
// limit is E0015, never a stack overflow.  Inputs are mutated mostly at the
// token level (fuzz_support.h), so most of them reach the parser intact.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/diag/diagnostics.h"
#include "compiler/lex/lexer.h"
#include "compiler/parse/parser.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  asthra::SourceManager sm;
  uint32_t file = sm.add("fuzz.asthra", std::string(reinterpret_cast<const char*>(data), size));
  asthra::Diagnostics diags(sm);
  std::unique_ptr<asthra::Module> module = asthra::parse(asthra::lex(sm, file, diags), file, diags);
  if (!module) std::abort();  // parse() always returns a module
  asthra::fuzz::print_diagnostics(diags, size % 2 == 0);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  return asthra::fuzz::custom_mutator(data, size, max_size, seed);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                            uint8_t* out, size_t max_out_size, unsigned int seed) {
  return asthra::fuzz::custom_cross_over(data1, size1, data2, size2, out, max_out_size, seed);
}
