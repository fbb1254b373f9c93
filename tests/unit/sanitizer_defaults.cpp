// Default sanitizer options for asthra_unit_tests, read by the sanitizer
// runtimes at start-up (the environment still overrides them). They match the
// golden tests' ASAN_OPTIONS/UBSAN_OPTIONS in tests/CMakeLists.txt: the
// runtime's collector keeps pointers where LeakSanitizer cannot see them, so
// leak reports would be false; undefined behaviour stops the test with a stack.
// In a build without sanitizers nothing calls these.

extern "C" {

__attribute__((used, visibility("default"))) const char* __asan_default_options() {
  return "detect_leaks=0:abort_on_error=0";
}

__attribute__((used, visibility("default"))) const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}

}  // extern "C"
