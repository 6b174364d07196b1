// ws_session over TLS (wss://).
#include "server/websocket/ws_session_impl.hpp"

namespace beastio::server {

template class ws_session<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace beastio::server
