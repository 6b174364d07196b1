#include "server/socketio/sio_ack.hpp"
#include "server/socketio/sio_socket.hpp"

namespace beastio::server {

void ack_sender::operator()(json::array args) const {
    if (!state_) return;
    if (state_->sent.exchange(true)) return;  // one ACK per request
    if (auto s = state_->target.lock()) s->send_ack(state_->id, args);
}

}  // namespace beastio::server
