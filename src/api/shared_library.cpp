// The one source file of libclipsearch.so (cmake/ClipsearchInstall.cmake): the library's code
// comes from the layers' archives, linked in whole.
#include "clipsearch/version.h"

namespace clipsearch {

// What `strings libclipsearch.so | grep clipsearch` shows.
extern const char kSharedLibraryIdent[];
const char kSharedLibraryIdent[] = "libclipsearch " CLIPSEARCH_VERSION_STRING;

}  // namespace clipsearch
