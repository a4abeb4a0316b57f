// A Response turned into libmicrohttpd's form, and the one answer written on a socket directly.
// Used by http_server.cpp only (the only file that sees libmicrohttpd besides this one).
#pragma once

#include <microhttpd.h>

#include <memory>

#include "server/file_stream.h"
#include "server/http_types.h"

namespace clipsearch::server {

// A new MHD_Response carrying `response`'s body (copied) or, when `file` is given, the file
// opened for it on the handler pool (file_stream.h: read there, sent from memory by the event
// thread of `connection`), or nullptr when libmicrohttpd cannot allocate one.
MHD_Response* make_mhd_response(const Response& response, std::shared_ptr<FileStream> file,
                                MHD_Connection* connection);

// Writes `response` (status line, headers, body) on `socket_fd` without blocking, then shuts the
// socket down for writing. For the one case libmicrohttpd cannot queue an answer: a body that
// goes over its limit while it arrives. The socket's send buffer is empty at that point (nothing
// has been sent on this request), so the few hundred bytes fit; if they do not, the client sees
// the connection closed, which is the answer that matters.
void write_raw_response(int socket_fd, const Response& response);

}  // namespace clipsearch::server
