// The Socket.IO layer's names, for headers that only pass them around.
#pragma once

#include <memory>

namespace beastio::server {

class sio_socket;
class sio_namespace;
class sio_server;
using socket_ptr = std::shared_ptr<sio_socket>;

}  // namespace beastio::server
