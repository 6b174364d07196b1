#include "server/sio_client.hpp"

#include "server/ids.hpp"
#include "server/log.hpp"

namespace beastio::server {

sio_client::sio_client(io_server& io, std::weak_ptr<connection> conn, std::size_t max_attachments)
    : io_(io), conn_(std::move(conn)), reassembler_([&] {
          sio::decode_options o;
          o.max_attachments = max_attachments;
          return o;
      }()) {}

std::optional<close_cause> sio_client::on_text(std::string_view text) {
    auto r = reassembler_.on_text(text);
    if (!r) {
        return refuse(close_cause::decode_error, r.error().message);
    }
    if (!*r) return std::nullopt;  // waiting for attachments
    return handle(**r);
}

std::optional<close_cause> sio_client::on_binary(std::string bytes) {
    auto r = reassembler_.on_binary(std::move(bytes));
    if (!r) {
        return refuse(close_cause::decode_error, r.error().message);
    }
    if (!*r) return std::nullopt;
    return handle(**r);
}

socket_ptr sio_client::joined(const std::string& nsp) {
    auto it = sockets_.find(nsp);
    if (it == sockets_.end()) return nullptr;
    if (!it->second->connected()) {  // disconnected by the server side meanwhile
        sockets_.erase(it);
        return nullptr;
    }
    return it->second;
}

bool sio_client::joined_any() {
    for (auto it = sockets_.begin(); it != sockets_.end();) {
        if (it->second->connected()) return true;
        it = sockets_.erase(it);
    }
    return false;
}

void sio_client::send(const sio::packet& p) {
    if (auto c = conn_.lock()) deliver_frames(*c, to_frames(sio::encode_frame(p)));
}

std::optional<close_cause> sio_client::on_connect(sio::packet& p) {
    if (joined(p.nsp)) {
        return refuse(close_cause::invalid_state, fmt::format("CONNECT for namespace {} already joined", p.nsp));
    }
    namespace_* nsp = io_.find(p.nsp);
    if (!nsp) {
        sio::packet err;
        err.type = sio::packet_type::connect_error;
        err.nsp = p.nsp;
        err.data = json::value(json::object{{"message", json::value("Invalid namespace")}});
        send(err);
        return std::nullopt;  // the connection stays open; the client may try again
    }
    json::value auth = p.data ? std::move(*p.data) : json::value(json::object{});
    auto s = std::make_shared<socket>(random_id(), *nsp, conn_, std::move(auth));
    sockets_[p.nsp] = s;

    // The reply goes first, then the socket becomes visible to broadcasts,
    // then the application's handlers run (their emits follow the reply).
    sio::packet reply;
    reply.type = sio::packet_type::connect;
    reply.nsp = p.nsp;
    reply.data = json::value(json::object{{"sid", json::value(s->id())}});
    send(reply);
    nsp->add(s);
    nsp->run_connection_handlers(s);
    return std::nullopt;
}

std::optional<close_cause> sio_client::handle(sio::packet& p) {
    using sio::packet_type;
    switch (p.type) {
        case packet_type::connect:
            return on_connect(p);
        case packet_type::disconnect: {
            auto s = joined(p.nsp);
            if (!s) return refuse(close_cause::invalid_state, fmt::format("DISCONNECT for namespace {} not joined", p.nsp));
            sockets_.erase(p.nsp);
            s->finish("client namespace disconnect");
            return std::nullopt;
        }
        case packet_type::event:
        case packet_type::binary_event: {
            auto s = joined(p.nsp);
            if (!s) return refuse(close_cause::invalid_state, fmt::format("EVENT for namespace {} not joined", p.nsp));
            s->dispatch_event(p.data->as_array(), p.id);
            return std::nullopt;
        }
        case packet_type::ack:
        case packet_type::binary_ack: {
            auto s = joined(p.nsp);
            if (!s) return refuse(close_cause::invalid_state, fmt::format("ACK for namespace {} not joined", p.nsp));
            if (p.id) s->dispatch_ack(*p.id, p.data->as_array());
            return std::nullopt;
        }
        case packet_type::connect_error:
            return refuse(close_cause::invalid_state, "CONNECT_ERROR sent by a client");
    }
    return refuse(close_cause::decode_error, "unknown packet type");
}

std::optional<close_cause> sio_client::refuse(close_cause c, std::string why) {
    last_error_ = std::move(why);
    return c;
}

void sio_client::close_all(std::string_view reason) {
    auto sockets = std::move(sockets_);
    sockets_.clear();
    for (auto& [nsp, s] : sockets) s->finish(reason);
    reassembler_.reset();
}

}  // namespace beastio::server
