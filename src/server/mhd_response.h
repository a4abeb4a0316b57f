// A Response turned into libmicrohttpd's form, and the one answer written on a socket directly.
// Used by http_server.cpp only (the only file that sees libmicrohttpd besides this one).
#pragma once

#include <microhttpd.h>

#include "server/http_types.h"

namespace clipsearch::server {

// A new MHD_Response carrying `response` (its body copied, or its file opened and streamed), or
// nullptr when libmicrohttpd cannot allocate one. A file that cannot be opened as a regular file
// becomes, in `*response`, a 404 JSON error (the caller adds its common headers again).
MHD_Response* make_mhd_response(Response* response, bool* replaced_by_404);

// Writes `response` (status line, headers, body) on `socket_fd` without blocking, then shuts the
// socket down for writing. For the one case libmicrohttpd cannot queue an answer: a body that
// goes over its limit while it arrives. The socket's send buffer is empty at that point (nothing
// has been sent on this request), so the few hundred bytes fit; if they do not, the client sees
// the connection closed, which is the answer that matters.
void write_raw_response(int socket_fd, const Response& response);

}  // namespace clipsearch::server
