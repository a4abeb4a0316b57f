// Process-wide threading. `--threads N` sets this once; every parallel kernel of clipsearch runs
// on one pool of that size, and OpenBLAS is kept single-threaded per call, so there is never
// more than one busy thread per requested core.
#pragma once

namespace clipsearch {

// Threads the engine uses, the calling thread included. Defaults to the hardware's core count.
int num_threads();
// n <= 0 means one thread per hardware core. Not to be called while a computation is running.
void set_num_threads(int n);

}  // namespace clipsearch
