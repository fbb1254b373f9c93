// What the libFuzzer targets share: rendering diagnostics and a token-level
// mutator (fuzz_main.cpp gives them the compiler's 512 MiB stack).
//
// The token mutator keeps most inputs lexically valid, so they reach the
// parser and sema instead of dying in the lexer: it lexes the input with the
// compiler's own lexer and then deletes, duplicates, swaps or replaces whole
// tokens (replacements come from the keywords, punctuation, a few grammar
// fragments and the input's own identifiers), or splices token ranges of two
// inputs.  Half of the mutations are still libFuzzer's byte-level ones.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/lex/lexer.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace asthra::fuzz {

// Prints the diagnostics as the driver does (sorted, capped, with or
// without colour) to /dev/null, so the renderer sees the same odd bytes.
inline void print_diagnostics(Diagnostics& diags, bool color) {
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  diags.print(devnull ? devnull : stderr, color);
}

// --- token-level mutation ---------------------------------------------------

inline const std::vector<std::string>& fragments() {
  static const std::vector<std::string> kFragments = {
      // keywords and punctuation
      "as", "fn", "let", "const", "mut", "if", "else", "enum", "match", "return", "true", "false", "struct",
      "extern", "spawn", "spawn_with_handle", "unsafe", "package", "import", "for", "in", "while", "await",
      "break", "continue", "sizeof", "pub", "priv", "impl", "self", "void", "none", "Result", "Option", "trait",
      "try", "(", ")", "{", "}", "[", "]", "#[", ",", ";", ":", "::", ".", "->", "=>", "+", "-", "*", "/", "%",
      "&", "|", "^", "~", "!", "&&", "||", "<<", ">>", "=", "==", "!=", "<", "<=", ">", ">=", "+=", "-=", "*=",
      "/=", "%=",
      // types, names and literals
      "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize", "int", "float", "f32", "f64",
      "bool", "char", "string", "Never", "Handle", "0", "1", "-1", "255", "2147483647", "9223372036854775807",
      "18446744073709551615", "0x7f", "0b101", "0o17", "1.5", "2.", "1e308", "\"s\"", "\"\"", "'a'", "'\\n'",
      "\"\"\"a\n\"\"\"", "r\"\"\"x\"\"\"", "log", "len", "range", "panic", "exit", "args", "allocate_slice",
      "libc", "Asthra_runtime", "malloc", "free", "strlen", "x", "y", "T", "main",
      // grammar fragments
      "fn f(x: i32) -> i32 { return x; }", "struct S { a: i32, b: string }", "enum E { A, B(i32) }",
      "impl S { fn m(self) -> i32 { return self.a; } }", "trait Tr { fn m(self) -> i32; }",
      "let x: i32 = 0;", "let mut y = 1;", "if x { } else { }", "while false { }", "for i in range(3) { }",
      "match x { _ => { } }", "return;", "unsafe { }", "#[ownership(c)]", "#[borrowed]", "#[transfer_full]",
      "#[constant_time]", "#[volatile_memory]", "Option.Some(1)", "Option.None", "Result.Ok(void)",
      "Result.Err(\"e\")", "[1, 2, 3]", "[0; 4]", "(1, \"a\")", "S { a: 1, b: \"b\" }", "E.B(2)", "x[0:1]",
      "fn(a: i32) -> i32 { return a; }", "<T>", "<i32>", "*mut u8", "*const u8", "[]u8", "[4]i32",
      "spawn_with_handle h = f(1);", "await h", "sizeof(i32)", "try e", "as i64", "import \"stdlib/io\" as io;",
  };
  return kFragments;
}

// Byte ranges of the tokens of `text` (the final Eof excluded).
inline std::vector<std::pair<size_t, size_t>> token_ranges(const std::string& text) {
  SourceManager sm;
  uint32_t file = sm.add("mutate.asthra", text);
  Diagnostics diags(sm);
  std::vector<std::pair<size_t, size_t>> out;
  for (const Token& t : lex(sm, file, diags))
    if (t.kind != Tok::Eof && t.span.end > t.span.begin) out.emplace_back(t.span.begin, t.span.end);
  return out;
}

// One token-level mutation of `text`; returns false if none applied.
inline bool mutate_tokens(std::string& text, std::minstd_rand& rng) {
  auto toks = token_ranges(text);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const auto& frags = fragments();
  if (toks.empty()) {
    text += frags[pick(frags.size())];
    return true;
  }
  size_t i = pick(toks.size());
  size_t span = 1 + pick(std::min<size_t>(8, toks.size() - i));  // tokens i .. i+span-1
  size_t b = toks[i].first, e = toks[i + span - 1].second;
  switch (rng() % 6) {
    case 0:  // delete a token range
      text.erase(b, e - b);
      return true;
    case 1: {  // duplicate a token range somewhere else
      std::string piece = text.substr(b, e - b) + " ";
      size_t at = toks[pick(toks.size())].first;
      text.insert(at, piece);
      return true;
    }
    case 2: {  // replace one token by a fragment
      text.replace(toks[i].first, toks[i].second - toks[i].first, frags[pick(frags.size())]);
      return true;
    }
    case 3: {  // insert a fragment before a token
      text.insert(toks[i].first, frags[pick(frags.size())] + " ");
      return true;
    }
    case 4: {  // swap two tokens
      size_t j = pick(toks.size());
      if (j == i) return false;
      auto [x, y] = std::minmax(i, j);
      std::string a = text.substr(toks[x].first, toks[x].second - toks[x].first);
      std::string c = text.substr(toks[y].first, toks[y].second - toks[y].first);
      text.replace(toks[y].first, toks[y].second - toks[y].first, a);
      text.replace(toks[x].first, toks[x].second - toks[x].first, c);
      return true;
    }
    default: {  // replace a token by another token of the input (often a name)
      size_t j = pick(toks.size());
      std::string other = text.substr(toks[j].first, toks[j].second - toks[j].first);
      text.replace(toks[i].first, toks[i].second - toks[i].first, other);
      return true;
    }
  }
}

inline size_t custom_mutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  if (rng() % 2 == 0 || size == 0) return LLVMFuzzerMutate(data, size, max_size);
  std::string text(reinterpret_cast<const char*>(data), size);
  int rounds = 1 + static_cast<int>(rng() % 3);
  bool changed = false;
  for (int r = 0; r < rounds; ++r) changed |= mutate_tokens(text, rng);
  if (!changed || text.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}

// Splices two inputs at token boundaries: a prefix of one, then a suffix of
// the other (so a declaration or statement of one lands inside the other).
inline size_t custom_cross_over(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                uint8_t* out, size_t max_out_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  std::string a(reinterpret_cast<const char*>(data1), size1), b(reinterpret_cast<const char*>(data2), size2);
  auto ta = token_ranges(a), tb = token_ranges(b);
  size_t cut_a = ta.empty() ? a.size() : ta[rng() % ta.size()].first;
  size_t cut_b = tb.empty() ? 0 : tb[rng() % tb.size()].first;
  std::string result = a.substr(0, cut_a);
  if (rng() % 2 == 0 && !tb.empty()) {
    // insert a slice of b and keep the rest of a
    size_t end_b = tb[std::min(tb.size() - 1, (rng() % tb.size()))].second;
    if (end_b < cut_b) std::swap(end_b, cut_b);
    result += b.substr(cut_b, end_b - cut_b);
    result += " ";
    result += a.substr(cut_a);
  } else {
    result += b.substr(cut_b);
  }
  if (result.size() > max_out_size) result.resize(max_out_size);
  std::memcpy(out, result.data(), result.size());
  return result.size();
}

}  // namespace asthra::fuzz
