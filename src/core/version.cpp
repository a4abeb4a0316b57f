#include "clipsearch/version.h"

namespace clipsearch {

const char* version() { return CLIPSEARCH_VERSION_STRING; }

}  // namespace clipsearch
