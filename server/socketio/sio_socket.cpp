#include "server/socketio/sio_socket.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/core/log.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/socketio/sio_namespace.hpp"
#include "server/socketio/sio_server.hpp"

namespace beastio::server {

sio_socket::sio_socket(std::string id, std::shared_ptr<sio_namespace> nsp, std::weak_ptr<connection> conn,
                       json::value auth, handshake_ptr handshake, std::string pid)
    : conn_(std::move(conn)),
      id_(std::move(id)),
      pid_(std::move(pid)),
      nsp_(nsp),
      auth_(std::move(auth)),
      handshake_(std::move(handshake)) {
    if (auto c = conn_.lock()) {
        conn_address_ = c.get();
        home_ = c->home();
    }
}

void sio_socket::prefetch_connection() const noexcept {
    // A connection made by std::make_shared has its reference counts just in
    // front of it (libstdc++: 16 bytes), which deliver()'s lock() touches first.
    const auto at = reinterpret_cast<std::uintptr_t>(conn_address_);
    if (at == 0) return;
    __builtin_prefetch(reinterpret_cast<const void*>(at - 16));
    __builtin_prefetch(reinterpret_cast<const void*>(at + 48));
}

void sio_socket::adopt_session(const session_state& st) {
    id_ = st.sid;
    pid_ = st.pid;
    recovered_ = true;
    std::lock_guard lock(mu_);
    data_ = st.data;
}

void sio_socket::close_connection(close_cause cause) {
    if (auto c = conn_.lock()) c->close(cause);
}

bool sio_socket::run_on_connection(std::function<void()> f) {
    auto c = conn_.lock();
    if (!c) return false;
    c->run_on_strand(std::move(f));
    return true;
}

const sio_handshake& sio_socket::handshake() const {
    static const sio_handshake none;
    return handshake_ ? *handshake_ : none;
}

json::value sio_socket::data() const {
    std::lock_guard lock(mu_);
    return data_;
}

void sio_socket::set_data(json::value v) {
    std::lock_guard lock(mu_);
    data_ = std::move(v);
}

void sio_socket::send_frames(std::vector<out_frame> frames) {
    if (!connected()) return;
    if (auto c = conn_.lock()) c->deliver(frames);
}

void sio_socket::deliver(const std::vector<out_frame>& frames, bool is_volatile) {
    if (!connected()) return;  // finishing (its disconnecting handlers run): nothing more for it
    auto c = conn_.lock();
    if (!c) return;
    if (is_volatile) c->deliver_volatile(frames);
    else c->deliver(frames);
}

bool sio_socket::emit(std::string_view event, const json::array& args, bool is_volatile) {
    if (sio::is_reserved_event(event) || !connected()) return false;
    nsp_->adapter().unicast(*this, event_packet(nsp_->name(), event, args), is_volatile);
    return true;
}

sio_broadcast sio_socket::broadcast() { return sio_broadcast(*nsp_).except(id_); }

std::optional<std::uint64_t> sio_socket::register_ack(std::string_view event, pending_ack entry) {
    std::lock_guard lock(mu_);
    if (acks_closed_) return std::nullopt;
    if (pending_acks_.size() >= nsp_->limits_.max_pending_acks) {
        log::warn("sid={} nsp={} {} acknowledgements outstanding: emit_with_ack('{}') refused", id_, nsp_->name(),
                  pending_acks_.size(), shown(event));
        return std::nullopt;
    }
    const std::uint64_t id = next_ack_id_++;
    if (next_ack_id_ > sio::max_ack_id) next_ack_id_ = 0;
    pending_acks_[id] = std::move(entry);
    return id;
}

bool sio_socket::emit_with_ack(std::string_view event, const json::array& args, ack_callback cb) {
    if (sio::is_reserved_event(event) || !connected()) return false;
    // Without a timeout only an answer runs the callback.
    timed_ack_callback wrapped;
    if (cb) {
        wrapped = [cb = std::move(cb)](const std::optional<ack_error>& err, json::array& a) {
            if (!err) cb(a);
        };
    }
    const auto id = register_ack(event, pending_ack{std::move(wrapped), nullptr});
    if (!id) return false;
    send_frames(to_frames(sio::encode_event_frame(nsp_->name(), event, args, *id)));
    return true;
}

bool sio_socket::emit_with_ack(std::string_view event, const json::array& args, std::chrono::milliseconds timeout,
                               timed_ack_callback cb) {
    if (sio::is_reserved_event(event) || !connected()) return false;
    auto c = conn_.lock();
    if (!c) return false;
    const auto id = register_ack(event, pending_ack{std::move(cb), nullptr});
    if (!id) return false;
    auto cancel = c->run_after(timeout, [weak = weak_from_this(), id = *id] {
        if (auto self = weak.lock()) self->ack_timed_out(id);
    });
    {
        std::lock_guard lock(mu_);
        // The answer may already have come (another thread): then cancel right away.
        if (auto it = pending_acks_.find(*id); it != pending_acks_.end()) it->second.cancel = cancel;
        else cancel();
    }
    send_frames(to_frames(sio::encode_event_frame(nsp_->name(), event, args, *id)));
    return true;
}

void sio_socket::ack_timed_out(std::uint64_t id) {
    timed_ack_callback cb;
    {
        std::lock_guard lock(mu_);
        auto it = pending_acks_.find(id);
        if (it == pending_acks_.end()) return;
        cb = std::move(it->second.cb);
        pending_acks_.erase(it);
    }
    if (!cb) return;
    json::array none;
    try {
        cb(ack_error{"operation has timed out"}, none);
    } catch (const std::exception& e) {
        handler_failed(fmt::format("acknowledgement {} (timed out)", id), e.what());
    } catch (...) {
        handler_failed(fmt::format("acknowledgement {} (timed out)", id), "an exception that is not a std::exception");
    }
}

void sio_socket::send_ack(std::uint64_t id, const json::array& args) {
    send_frames(to_frames(sio::encode_ack_frame(nsp_->name(), id, args)));
}

void sio_socket::dispatch_event(json::array& args, std::optional<std::uint64_t> ack_id) {
    // args[0] is the event name (a string, or a number the client used as a name).
    std::string name;
    if (args.front().is_string()) name = args.front().as_string();
    else name = args.front().as_number().text;
    auto self = shared_from_this();
    args.erase(args.begin());
    try {
        if (!any_handlers_.empty()) {
            // A copy: a handler may disconnect this socket, which clears the handlers.
            const auto any = any_handlers_;
            for (const auto& h : any) {
                h(self, name, args);
                if (!connected()) return;
            }
        }
        auto it = handlers_.find(name);
        if (it == handlers_.end()) {
            log::debug("sid={} nsp={} no handler for event '{}'", id_, shown(nsp_->name()), shown(name));
            return;
        }
        ack_sender ack = ack_id ? ack_sender(weak_from_this(), *ack_id) : ack_sender();
        const event_handler handler = it->second;
        handler(self, args, ack);
    } catch (const std::exception& e) {
        handler_failed(fmt::format("event '{}'", shown(name)), e.what());
    } catch (...) {
        handler_failed(fmt::format("event '{}'", shown(name)), "an exception that is not a std::exception");
    }
}

void sio_socket::handler_failed(std::string_view what, std::string_view error) {
    log::error("sid={} nsp={} the handler for {} threw: {}; closing its connection", id_, shown(nsp_->name()), what,
               shown(error, 300));
    if (auto c = conn_.lock()) c->close(close_cause::handler_error);
}

void sio_socket::dispatch_ack(std::uint64_t id, json::array& args) {
    pending_ack entry;
    {
        std::lock_guard lock(mu_);
        auto it = pending_acks_.find(id);
        if (it == pending_acks_.end()) return;  // unknown (or timed out) ids are ignored, like the reference
        entry = std::move(it->second);
        pending_acks_.erase(it);
    }
    if (entry.cancel) entry.cancel();
    if (!entry.cb) return;
    try {
        entry.cb(std::nullopt, args);
    } catch (const std::exception& e) {
        handler_failed(fmt::format("acknowledgement {}", id), e.what());
    } catch (...) {
        handler_failed(fmt::format("acknowledgement {}", id), "an exception that is not a std::exception");
    }
}

bool sio_socket::join(const std::string& room) {
    const auto& limits = nsp_->limits_;
    if (room.size() > limits.max_room_name_bytes) {
        log::warn("sid={} nsp={} join('{}') refused: a room name of {} bytes (--max-room-name-bytes {})", id_,
                  shown(nsp_->name()), shown(room, 40), room.size(), limits.max_room_name_bytes);
        return false;
    }
    if (left()) return false;
    const auto r = nsp_->adapter().join(id_, room, limits.max_rooms_per_socket);
    // A join that raced the socket's removal (another thread) either landed
    // before it (and was cleaned up by it) or after left_ was set: undo it.
    if (left()) {
        nsp_->adapter().leave(id_, room);
        return false;
    }
    if (r != sio_adapter::join_result::too_many_rooms) return true;
    log::warn("sid={} nsp={} join('{}') refused: already in {} rooms (--max-rooms-per-socket)", id_,
              shown(nsp_->name()), shown(room), limits.max_rooms_per_socket);
    return false;
}

void sio_socket::leave(const std::string& room) {
    // A socket that left is in no room; its id may belong to a resumed session by now.
    if (left()) return;
    nsp_->adapter().leave(id_, room);
}

std::vector<std::string> sio_socket::rooms() const { return nsp_->adapter().socket_rooms(id_); }

void sio_socket::disconnect(bool close) {
    if (!connected()) return;
    auto c = conn_.lock();
    if (!c) return finish("server namespace disconnect");
    if (close) return c->close(close_cause::server_disconnect);
    // Handlers and the namespace table of this socket belong to the connection's strand.
    c->run_on_strand([self = shared_from_this()] {
        if (!self->connected()) return;
        const auto frames = disconnect_frames(self->nsp_->name());
        auto conn = self->conn_.lock();
        // Gone from the namespace before the client can hear it: whatever the
        // client does once told is served by a server that agrees it left.
        // sio_client notices !connected() and forgets the socket.
        self->finish("server namespace disconnect");
        if (conn) conn->deliver(frames);
    });
}

void sio_socket::run_disconnect_handlers(std::vector<disconnect_handler>& handlers, std::string_view reason,
                                         const char* what) {
    auto self = shared_from_this();
    // Moved out first: a handler may register another (which then never runs).
    const auto run = std::move(handlers);
    handlers.clear();
    for (const auto& h : run) {
        try {
            h(self, reason);
        } catch (const std::exception& e) {
            log::error("sid={} nsp={} a {} handler threw: {}", id_, nsp_->name(), what, e.what());
        } catch (...) {
            log::error("sid={} nsp={} a {} handler threw an exception that is not a std::exception", id_,
                       nsp_->name(), what);
        }
    }
}

void sio_socket::finish(std::string_view reason, bool keep_session) {
    if (!connected_.exchange(false)) return;
    // Whatever happens below, a dynamic namespace learns that this socket is gone
    // (it leaves the registry with its last socket).
    struct release_on_exit {
        sio_namespace& nsp;
        ~release_on_exit() {
            if (nsp.server_) nsp.server_->release(nsp);
        }
    } release{*nsp_};
    // A socket whose CONNECT never completed runs no handler, as in socket.io.
    const bool joined = joined_.load();
    // "disconnecting": the rooms are still known (to tell the others, say).
    if (joined) run_disconnect_handlers(disconnecting_handlers_, reason, "disconnecting");
    // A restored socket holds its session in the adapter even before its reply.
    nsp_->remove(*this, keep_session && (joined || recovered_));
    if (joined) run_disconnect_handlers(disconnect_handlers_, reason, "disconnect");
    disconnecting_handlers_.clear();
    disconnect_handlers_.clear();
    handlers_.clear();  // handlers may capture the socket: break the cycle
    any_handlers_.clear();
    // Acknowledgements with a timeout learn that the socket went; the others are
    // dropped. The callbacks run and are destroyed outside the lock (they may emit).
    std::unordered_map<std::uint64_t, pending_ack> acks;
    {
        std::lock_guard lock(mu_);
        acks_closed_ = true;
        acks.swap(pending_acks_);
    }
    for (auto& [id, entry] : acks) {
        if (entry.cancel) entry.cancel();
        if (!entry.cb) continue;
        json::array none;
        try {
            entry.cb(ack_error{"socket has been disconnected"}, none);
        } catch (const std::exception& e) {
            log::error("sid={} nsp={} acknowledgement {} threw: {}", id_, nsp_->name(), id, e.what());
        } catch (...) {
            log::error("sid={} nsp={} acknowledgement {} threw an exception that is not a std::exception", id_,
                       nsp_->name(), id);
        }
    }    // Last: an adapter may now hand this socket's session to a new connection.
    nsp_->adapter().socket_done(*this);
}

}  // namespace beastio::server
