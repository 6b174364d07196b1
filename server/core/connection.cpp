#include "server/core/connection.hpp"

namespace beastio::server {

close_info describe(close_cause c) {
    switch (c) {
        case close_cause::transport_close: return {1000, "transport close", "transport close"};
        case close_cause::ping_timeout: return {1000, "ping timeout", "ping timeout"};
        case close_cause::client_close: return {1000, "client close packet", "transport close"};
        case close_cause::parse_error: return {1002, "engine.io parse error", "parse error"};
        case close_cause::decode_error: return {1002, "socket.io decode error", "forced close"};
        case close_cause::invalid_state: return {1008, "socket.io invalid state", "forced close"};
        case close_cause::heartbeat_direction: return {1002, "invalid heartbeat direction (client ping)", "transport error"};
        case close_cause::connect_timeout: return {1008, "no namespace joined within connect timeout", "forced close"};
        case close_cause::too_big: return {1009, "message over max payload", "transport error"};
        case close_cause::send_queue_overflow: return {1013, "send queue overflow (client too slow)", "forced close"};
        case close_cause::server_shutdown: return {1001, "server shutting down", "server shutting down"};
        case close_cause::transport_error: return {1011, "transport error", "transport error"};
        case close_cause::rate_limited: return {1008, "message rate limit exceeded", "forced close"};
        case close_cause::binary_timeout: return {1008, "binary packet incomplete within binary timeout", "forced close"};
        case close_cause::handler_error: return {1011, "server handler error", "forced close"};
        case close_cause::internal_error: return {1011, "internal server error", "forced close"};
        case close_cause::server_disconnect: return {1000, "server disconnect", "server namespace disconnect"};
        case close_cause::session_resumed: return {1008, "session resumed on another connection", "forced close"};
        case close_cause::invalid_request: return {1008, "invalid request", "forced close"};
    }
    return {1011, "transport error", "transport error"};
}

bool keeps_session(close_cause c) {
    switch (c) {
        case close_cause::transport_close:
        case close_cause::ping_timeout:
        case close_cause::client_close:  // an Engine.IO close without a namespace DISCONNECT first
        case close_cause::send_queue_overflow:
        case close_cause::server_shutdown:
        case close_cause::transport_error:
        case close_cause::internal_error:
        case close_cause::session_resumed:  // its other namespaces may be resumed too
            return true;
        default:
            return false;
    }
}

}  // namespace beastio::server
