// CLIPSEARCH_EXPORT: what libclipsearch.so exports. The library is compiled with hidden
// visibility (-fvisibility=hidden -fvisibility-inlines-hidden, cmake/ClipsearchOptions.cmake), so
// only the classes and functions of these public headers that carry this mark are in its dynamic
// symbol table; everything under src/ stays inside. A class marked exports its out-of-line
// members and, when it has virtual functions, its vtable and typeinfo; its nested classes too,
// unless marked CLIPSEARCH_NO_EXPORT (the Impl of Library, Model, Tokenizer). Inline functions and
// templates (Status, Result<T>) need no mark: a program compiles its own copy.
//
// Programs that link the static layers (the clipsearch executable, the tests) see the same
// marks; they change nothing there.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define CLIPSEARCH_EXPORT __attribute__((visibility("default")))
#define CLIPSEARCH_NO_EXPORT __attribute__((visibility("hidden")))
#else
#define CLIPSEARCH_EXPORT
#define CLIPSEARCH_NO_EXPORT
#endif
