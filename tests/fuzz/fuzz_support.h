// What the libFuzzer targets share: rendering diagnostics and a token-level
// mutator (fuzz_main.cpp gives them the compiler's 512 MiB stack).
//
// The token mutator keeps most inputs lexically valid, so they reach the
// parser and sema instead of dying in the lexer: it lexes the input with the
// compiler's own lexer and then deletes, duplicates, swaps or replaces whole
// tokens (replacements come from the keywords, punctuation, a few grammar
// fragments and the input's own identifiers), or splices token ranges of two
// inputs.  Half of the mutations are still libFuzzer's byte-level ones.
//
// Speed matters as much as the mutations themselves: the lexer runs here with
// the targets' instrumentation (coverage, ASan, UBSan), so one lexing costs
// about as much as the target's own.  So the 1-3 token mutations of one call
// are all planned on the tokens of one lexing and applied together, back to
// front, and the token ranges of an input seen twice (a corpus input: the one
// being mutated, or the partner of a cross-over) are kept, so corpus inputs
// are lexed once, not on every mutation.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/lex/lexer.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace asthra::fuzz {

// Prints the diagnostics as the driver does (sorted, capped, with or without
// colour) to /dev/null, so the renderer sees the same odd bytes.
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

// Byte ranges [first, second) of the tokens of a text (the final Eof excluded).
using TokenRanges = std::vector<std::pair<uint32_t, uint32_t>>;

inline TokenRanges lex_token_ranges(std::string_view text) {
  SourceManager sm;
  uint32_t file = sm.add("mutate.asthra", std::string(text));
  Diagnostics diags(sm);
  TokenRanges out;
  for (const Token& t : lex(sm, file, diags))
    if (t.kind != Tok::Eof && t.span.end > t.span.begin) out.emplace_back(t.span.begin, t.span.end);
  return out;
}

// lex_token_ranges, remembering the ranges of every text seen a second time:
// corpus inputs come back again and again, a mutant rarely does.  Bounded:
// forgets everything when full.
inline TokenRanges token_ranges(std::string_view text) {
  constexpr size_t kMaxKeptRanges = size_t{1} << 22;  // 32 MiB of ranges
  constexpr size_t kMaxSeenTexts = size_t{1} << 18;
  static std::unordered_map<uint64_t, TokenRanges> kept;
  static std::unordered_set<uint64_t> seen;
  static size_t kept_ranges = 0;
  uint64_t key = std::hash<std::string_view>{}(text) ^ (uint64_t{text.size()} * 0x9E3779B97F4A7C15ull);
  if (auto it = kept.find(key); it != kept.end()) {
    // A collision of the 64-bit key must not give ranges outside the text.
    if (it->second.empty() || it->second.back().second <= text.size()) return it->second;
  }
  TokenRanges ranges = lex_token_ranges(text);
  if (seen.size() >= kMaxSeenTexts) seen.clear();
  if (!seen.insert(key).second) {
    if (kept_ranges + ranges.size() > kMaxKeptRanges) {
      kept.clear();
      kept_ranges = 0;
    }
    kept_ranges += ranges.size();
    kept[key] = ranges;
  }
  return ranges;
}

// One change to a text: `erase` bytes at offset `at` replaced by `insert`.
struct Edit {
  size_t at;
  size_t erase;
  std::string insert;
};

// Plans one token-level mutation of `text`, whose tokens are `toks`.
inline void plan_token_mutation(std::string_view text, const TokenRanges& toks, std::minstd_rand& rng,
                                std::vector<Edit>& edits) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto token = [&](size_t k) { return std::string(text.substr(toks[k].first, toks[k].second - toks[k].first)); };
  const auto& frags = fragments();
  if (toks.empty()) {
    edits.push_back({text.size(), 0, frags[pick(frags.size())]});
    return;
  }
  size_t i = pick(toks.size());
  size_t span = 1 + pick(std::min<size_t>(8, toks.size() - i));  // tokens i .. i+span-1
  size_t b = toks[i].first, e = toks[i + span - 1].second;
  size_t ib = toks[i].first, ie = toks[i].second;
  switch (rng() % 6) {
    case 0:  // delete a token range
      edits.push_back({b, e - b, ""});
      return;
    case 1:  // duplicate a token range somewhere else
      edits.push_back({toks[pick(toks.size())].first, 0, std::string(text.substr(b, e - b)) + " "});
      return;
    case 2:  // replace one token by a fragment
      edits.push_back({ib, ie - ib, frags[pick(frags.size())]});
      return;
    case 3:  // insert a fragment before a token
      edits.push_back({ib, 0, frags[pick(frags.size())] + " "});
      return;
    case 4: {  // swap two tokens
      size_t j = pick(toks.size());
      if (j == i) return;
      edits.push_back({ib, ie - ib, token(j)});
      edits.push_back({toks[j].first, toks[j].second - toks[j].first, token(i)});
      return;
    }
    default:  // replace a token by another token of the input (often a name)
      edits.push_back({ib, ie - ib, token(pick(toks.size()))});
      return;
  }
}

// Applies edits planned on the same text, from the last offset to the first
// so that the earlier offsets stay valid; an edit that overlaps one already
// applied is dropped.  Returns whether any was applied.
inline bool apply_edits(std::string& text, std::vector<Edit>& edits) {
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& x, const Edit& y) { return x.at > y.at; });
  size_t limit = text.size();  // where the lowest edit applied so far begins
  bool applied = false;
  for (const Edit& edit : edits) {
    if (edit.at + edit.erase > limit) continue;
    text.replace(edit.at, edit.erase, edit.insert);
    limit = edit.at;
    applied = true;
  }
  return applied;
}

inline size_t custom_mutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  if (rng() % 2 == 0 || size == 0) return LLVMFuzzerMutate(data, size, max_size);
  std::string text(reinterpret_cast<const char*>(data), size);
  TokenRanges toks = token_ranges(text);
  std::vector<Edit> edits;
  int rounds = 1 + static_cast<int>(rng() % 3);
  for (int r = 0; r < rounds; ++r) plan_token_mutation(text, toks, rng, edits);
  if (!apply_edits(text, edits) || text.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}

// Splices two inputs at token boundaries: a prefix of one, then a suffix of
// the other (so a declaration or statement of one lands inside the other).
inline size_t custom_cross_over(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                uint8_t* out, size_t max_out_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  std::string_view a(reinterpret_cast<const char*>(data1), size1), b(reinterpret_cast<const char*>(data2), size2);
  TokenRanges ta = token_ranges(a), tb = token_ranges(b);
  size_t cut_a = ta.empty() ? a.size() : ta[rng() % ta.size()].first;
  size_t cut_b = tb.empty() ? 0 : tb[rng() % tb.size()].first;
  std::string result(a.substr(0, cut_a));
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
