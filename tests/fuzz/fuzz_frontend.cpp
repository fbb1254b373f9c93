// libFuzzer target: the whole front end through codegen, as `asthra emit-c`
// runs it (compiler/driver/driver.cpp), but never invoking a C compiler.
//
// The input is written to a file in a private temporary directory and loaded
// with load_program, so `import "stdlib/..."` and relative imports go through
// the real package loader.  Then, as in the driver: sema runs unless the
// syntax errors make checking pointless, and codegen runs when sema reported
// no error.  Codegen's options (debug or release, bounds checks on or off)
// come from a hash of the input, so one corpus covers all four lowerings.
// An internal compiler error (ASTHRA_CHECK) exits with status 3, which
// libFuzzer reports as a crash: codegen must accept whatever sema accepted.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "compiler/codegen/codegen.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/driver/packages.h"
#include "compiler/sema/sema.h"
#include "tests/fuzz/fuzz_support.h"

#ifndef ASTHRA_FUZZ_STDLIB_DIR
#error "ASTHRA_FUZZ_STDLIB_DIR must name the stdlib/ folder"
#endif

namespace {

std::string temp_dir;

void remove_temp_dir() {
  std::error_code ec;
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir, ec);
}

// Imports are file paths; keep the fuzzer away from pseudo-files whose reading
// never ends or means something (/proc/kcore, /dev/zero, /sys/...).
bool names_pseudo_files(std::string_view text) {
  for (const char* bad : {"/proc", "/sys", "/dev"})
    if (text.find(bad) != std::string_view::npos) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/asthra-fuzz-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    std::perror("fuzz_frontend: mkdtemp");
    std::abort();
  }
  temp_dir = buf.data();
  std::atexit(remove_temp_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (names_pseudo_files(text)) return -1;  // not added to the corpus
  std::string path = temp_dir + "/input.asthra";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) {
      std::fprintf(stderr, "fuzz_frontend: cannot write %s\n", path.c_str());
      std::abort();
    }
  }
  uint32_t hash = 2166136261u;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;

  asthra::SourceManager sm;
  asthra::Diagnostics diags(sm);
  asthra::Program program;
  asthra::LoadedProgram loaded;
  if (!asthra::load_program({path}, ASTHRA_FUZZ_STDLIB_DIR, sm, diags, program, loaded)) return 0;
  bool ok = loaded.recoverable && asthra::analyze(program, diags) && diags.error_count() == 0;
  asthra::fuzz::print_diagnostics(diags, size % 2 == 0);
  if (!ok) return 0;
  asthra::CodegenOptions options;
  options.release = (hash & 1) != 0;
  options.bounds_checks = (hash & 2) == 0;
  std::string c = asthra::generate_c(program, sm, options);
  if (c.empty()) std::abort();
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  return asthra::fuzz::custom_mutator(data, size, max_size, seed);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                            uint8_t* out, size_t max_out_size, unsigned int seed) {
  return asthra::fuzz::custom_cross_over(data1, size1, data2, size2, out, max_out_size, seed);
}
