#include "server/socketio/sio_socket.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/core/log.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/socketio/sio_namespace.hpp"

#include <algorithm>

namespace beastio::server {

sio_socket::sio_socket(std::string id, sio_namespace& nsp, std::weak_ptr<connection> conn, json::value auth)
    : id_(std::move(id)), nsp_(nsp), conn_(std::move(conn)), auth_(std::move(auth)) {}

void sio_socket::send_frames(std::vector<out_frame> frames) {
    if (!connected()) return;
    if (auto c = conn_.lock()) deliver_frames(*c, frames);
}

bool sio_socket::emit(std::string_view event, const json::array& args) {
    if (sio::is_reserved_event(event) || !connected()) return false;
    send_frames(to_frames(sio::encode_event_frame(nsp_.name(), event, args)));
    return true;
}

bool sio_socket::emit_with_ack(std::string_view event, const json::array& args, ack_callback cb) {
    if (sio::is_reserved_event(event) || !connected()) return false;
    std::uint64_t id = 0;
    {
        std::lock_guard lock(ack_mu_);
        if (acks_closed_) return false;
        if (pending_acks_.size() >= nsp_.limits_.max_pending_acks) {
            log::warn("sid={} nsp={} {} acknowledgements outstanding: emit_with_ack('{}') refused", id_,
                      nsp_.name(), pending_acks_.size(), event);
            return false;
        }
        id = next_ack_id_++;
        if (next_ack_id_ > sio::max_ack_id) next_ack_id_ = 0;
        pending_acks_[id] = std::move(cb);
    }
    send_frames(to_frames(sio::encode_event_frame(nsp_.name(), event, args, id)));
    return true;
}

void sio_socket::send_ack(std::uint64_t id, const json::array& args) {
    send_frames(to_frames(sio::encode_ack_frame(nsp_.name(), id, args)));
}

void sio_socket::dispatch_event(json::array& args, std::optional<std::uint64_t> ack_id) {
    // args[0] is the event name (a string, or a number the client used as a name).
    std::string name;
    if (args.front().is_string()) name = args.front().as_string();
    else name = args.front().as_number().text;
    auto it = handlers_.find(name);
    if (it == handlers_.end()) {
        log::debug("sid={} nsp={} no handler for event '{}'", id_, shown(nsp_.name()), shown(name));
        return;
    }
    args.erase(args.begin());
    ack_sender ack = ack_id ? ack_sender(weak_from_this(), *ack_id) : ack_sender();
    auto self = shared_from_this();
    // A copy: the handler may disconnect this socket, which clears handlers_.
    const event_handler handler = it->second;
    try {
        handler(self, args, ack);
    } catch (const std::exception& e) {
        handler_failed(fmt::format("event '{}'", shown(name)), e.what());
    } catch (...) {
        handler_failed(fmt::format("event '{}'", shown(name)), "an exception that is not a std::exception");
    }
}

void sio_socket::handler_failed(std::string_view what, std::string_view error) {
    log::error("sid={} nsp={} the handler for {} threw: {}; closing its connection", id_, shown(nsp_.name()), what,
               shown(error, 300));
    if (auto c = conn_.lock()) c->close(close_cause::handler_error);
}

void sio_socket::dispatch_ack(std::uint64_t id, json::array& args) {
    ack_callback cb;
    {
        std::lock_guard lock(ack_mu_);
        auto it = pending_acks_.find(id);
        if (it == pending_acks_.end()) return;  // unknown ids are ignored, like the reference
        cb = std::move(it->second);
        pending_acks_.erase(it);
    }
    if (!cb) return;
    try {
        cb(args);
    } catch (const std::exception& e) {
        handler_failed(fmt::format("acknowledgement {}", id), e.what());
    } catch (...) {
        handler_failed(fmt::format("acknowledgement {}", id), "an exception that is not a std::exception");
    }
}

bool sio_socket::join(const std::string& room) {
    if (room.size() > nsp_.limits_.max_room_name_bytes) {
        log::warn("sid={} nsp={} join('{}') refused: a room name of {} bytes (--max-room-name-bytes {})", id_,
                  shown(nsp_.name()), shown(room, 40), room.size(), nsp_.limits_.max_room_name_bytes);
        return false;
    }
    std::size_t joined = 0;
    {
        // Checked under the namespace's lock, which remove() takes too: a join
        // that races the socket's disconnect either lands before the removal
        // (and is cleaned up by it) or sees removed_ and changes nothing.
        std::lock_guard lock(nsp_.mu_);
        if (removed_) return false;
        auto& mine = nsp_.socket_rooms_[id_];
        if (mine.count(room)) return true;
        joined = mine.size();
        if (joined < nsp_.limits_.max_rooms_per_socket) {
            mine.insert(room);
            nsp_.rooms_[room].insert(id_);
            return true;
        }
    }
    log::warn("sid={} nsp={} join('{}') refused: already in {} rooms (--max-rooms-per-socket)", id_,
              shown(nsp_.name()), shown(room), joined);
    return false;
}

void sio_socket::leave(const std::string& room) {
    std::lock_guard lock(nsp_.mu_);
    if (auto it = nsp_.rooms_.find(room); it != nsp_.rooms_.end()) {
        it->second.erase(id_);
        if (it->second.empty()) nsp_.rooms_.erase(it);
    }
    if (auto it = nsp_.socket_rooms_.find(id_); it != nsp_.socket_rooms_.end()) it->second.erase(room);
}

std::vector<std::string> sio_socket::rooms() const {
    std::lock_guard lock(nsp_.mu_);
    std::vector<std::string> out;
    if (auto it = nsp_.socket_rooms_.find(id_); it != nsp_.socket_rooms_.end())
        out.assign(it->second.begin(), it->second.end());
    std::sort(out.begin(), out.end());
    return out;
}

void sio_socket::disconnect() {
    if (!connected()) return;
    auto c = conn_.lock();
    if (!c) return finish("server namespace disconnect");
    // Handlers and the namespace table of this socket belong to the connection's strand.
    c->run_on_strand([self = shared_from_this()] {
        if (!self->connected()) return;
        sio::packet p;
        p.type = sio::packet_type::disconnect;
        p.nsp = self->nsp_.name();
        self->send_frames(to_frames(sio::encode_frame(p)));
        // sio_client notices !connected() and forgets the socket.
        self->finish("server namespace disconnect");
    });
}

void sio_socket::finish(std::string_view reason) {
    if (!connected_.exchange(false)) return;
    nsp_.remove(*this);
    auto self = shared_from_this();
    for (auto& h : disconnect_handlers_) {
        try {
            h(self, reason);
        } catch (const std::exception& e) {
            log::error("sid={} nsp={} a disconnect handler threw: {}", id_, nsp_.name(), e.what());
        } catch (...) {
            log::error("sid={} nsp={} a disconnect handler threw an exception that is not a std::exception", id_,
                       nsp_.name());
        }
    }
    disconnect_handlers_.clear();
    handlers_.clear();  // handlers may capture the socket: break the cycle
    // The callbacks are destroyed outside the lock (their captures may emit).
    std::unordered_map<std::uint64_t, ack_callback> acks;
    {
        std::lock_guard lock(ack_mu_);
        acks_closed_ = true;
        acks.swap(pending_acks_);
    }
}

}  // namespace beastio::server
