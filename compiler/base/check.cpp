#include "compiler/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace asthra {

[[noreturn]] void internal_error(const char* file, int line, const char* what) {
  std::fflush(stdout);
  std::fprintf(stderr,
               "asthra: internal compiler error: %s\n  at %s:%d\n"
               "This is a bug in asthra, not in your program; please report it with the input.\n",
               what, file, line);
  std::exit(3);
}

}  // namespace asthra
