// Process-wide threading. `--threads N` sets this once; every parallel kernel of clipsearch runs
// on one pool of that size, and OpenBLAS is kept single-threaded per call, so there is never
// more than one busy thread per requested core.
#pragma once

#include "clipsearch/export.h"

namespace clipsearch {

// Threads the engine uses, the calling thread included. Defaults to the hardware's core count.
CLIPSEARCH_EXPORT int num_threads();
// n <= 0 means one thread per hardware core. Not to be called while a computation is running.
CLIPSEARCH_EXPORT void set_num_threads(int n);

}  // namespace clipsearch
