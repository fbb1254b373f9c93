// main() of every fuzz target: libFuzzer's driver, run on a 512 MiB stack.
//
// The phases recurse over the tree and rely on the 512 MiB thread stack that
// tools/asthra_main.cpp gives them (docs/design/compiler.md, "Limits"); on
// libFuzzer's usual 8 MiB main stack a target would report stack overflows
// the real compiler cannot have.  So the targets link libFuzzer without its
// main (libclang_rt.fuzzer_no_main) and start LLVMFuzzerRunDriver on a thread
// with that stack; the whole fuzzing loop runs there, with no hand-off per
// input.
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv, int (*callback)(const uint8_t* data, size_t size));

namespace {

struct Args {
  int argc;
  char** argv;
  int status;
};

void* run(void* p) {
  auto* args = static_cast<Args*>(p);
  args->status = LLVMFuzzerRunDriver(&args->argc, &args->argv, LLVMFuzzerTestOneInput);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  Args args{argc, argv, 0};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{512} << 20);
  pthread_t thread;
  if (pthread_create(&thread, &attr, run, &args) != 0) {
    std::perror("fuzz: pthread_create");
    return 1;
  }
  pthread_join(thread, nullptr);
  return args.status;
}
