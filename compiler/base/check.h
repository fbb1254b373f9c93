// ASTHRA_CHECK: an invariant of the compiler itself.  A failure is a compiler
// bug, never a user error: it prints an "internal compiler error" naming the
// place and exits with status 3 (see tools/asthra_main.cpp).
#pragma once

namespace asthra {
[[noreturn]] void internal_error(const char* file, int line, const char* what);
}

#define ASTHRA_CHECK(cond)                                                  \
  do {                                                                      \
    if (!(cond)) ::asthra::internal_error(__FILE__, __LINE__, #cond);       \
  } while (0)

#define ASTHRA_UNREACHABLE(what) ::asthra::internal_error(__FILE__, __LINE__, what)
