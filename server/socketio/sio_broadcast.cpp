#include "server/socketio/sio_broadcast.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/socketio/sio_namespace.hpp"

namespace beastio::server {

std::size_t sio_broadcast::emit(std::string_view event, const json::array& args) {
    if (sio::is_reserved_event(event)) return 0;
    return publish(event_packet(nsp_.name(), event, args)).recipients;
}

std::size_t sio_broadcast::emit_frames(broadcast_packet packet) { return publish(packet).recipients; }

broadcast_result sio_broadcast::publish(const broadcast_packet& packet) { return nsp_.adapter().broadcast(packet, opts_); }

void sio_broadcast::emit_with_ack(std::string_view event, const json::array& args, std::chrono::milliseconds timeout,
                                  broadcast_ack_done done) {
    if (sio::is_reserved_event(event)) return done(ack_error{"reserved event name"}, {});
    auto& a = nsp_.adapter();
    if (opts_.local) return a.sio_adapter::broadcast_with_ack(std::string(event), args, opts_, timeout, std::move(done));
    a.broadcast_with_ack(std::string(event), args, opts_, timeout, std::move(done));
}

std::vector<socket_ptr> sio_broadcast::fetch_sockets() const { return nsp_.adapter().sockets(opts_); }

void sio_broadcast::fetch_sockets(fetch_done done) const {
    if (opts_.local) return nsp_.adapter().sio_adapter::fetch_all_sockets(opts_, std::move(done));
    nsp_.adapter().fetch_all_sockets(opts_, std::move(done));
}

void sio_broadcast::sockets_join(const std::vector<std::string>& rooms) { nsp_.adapter().add_sockets(opts_, rooms); }

void sio_broadcast::sockets_leave(const std::vector<std::string>& rooms) { nsp_.adapter().del_sockets(opts_, rooms); }

void sio_broadcast::disconnect_sockets(bool close) { nsp_.adapter().disconnect_sockets(opts_, close); }

}  // namespace beastio::server
