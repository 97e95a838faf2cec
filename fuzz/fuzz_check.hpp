// What a fuzz target asserts with: a broken property aborts, which libFuzzer reports as a crash
// (with the input saved) and the corpus replay reports as a failed test. Active in every build
// type, unlike assert().
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                             \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, \
                         #condition);                                                     \
            std::abort();                                                                 \
        }                                                                                 \
    } while (false)
