#include "server/socketio/sio_client.hpp"
#include "server/socketio/sio_frames.hpp"

#include "server/core/ids.hpp"
#include "server/core/log.hpp"

namespace beastio::server {

sio_client::sio_client(sio_server& io, std::weak_ptr<connection> conn, sio::decode_options options,
                       handshake_ptr handshake)
    : io_(io), conn_(std::move(conn)), handshake_(std::move(handshake)), reassembler_(std::move(options)) {}

std::optional<close_cause> sio_client::decode_failed(const error_info<sio::errc>& e) {
    // A binary packet bigger than maxPayload in total is "too big", like one message would be.
    if (e.code == sio::errc::packet_too_large) return refuse(close_cause::too_big, e.message);
    return refuse(close_cause::decode_error, e.message);
}

std::optional<close_cause> sio_client::on_text(std::string_view text) {
    auto r = reassembler_.on_text(text);
    if (!r) return decode_failed(r.error());
    if (!*r) return std::nullopt;  // waiting for attachments
    return handle(**r);
}

std::optional<close_cause> sio_client::on_binary(std::string bytes) {
    auto r = reassembler_.on_binary(std::move(bytes));
    if (!r) return decode_failed(r.error());
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
    if (auto c = conn_.lock()) c->deliver(to_frames(sio::encode_frame(p)));
}

void sio_client::send_connect_error(const std::string& nsp, const connect_error& err) {
    sio::packet p;
    p.type = sio::packet_type::connect_error;
    p.nsp = nsp;
    json::object body{{"message", json::value(err.message)}};
    if (err.data) body.emplace_back("data", *err.data);
    p.data = json::value(std::move(body));
    send(p);
}

std::optional<close_cause> sio_client::on_connect(sio::packet& p) {
    if (joined(p.nsp)) {
        return refuse(close_cause::invalid_state, fmt::format("CONNECT for namespace {} already joined", p.nsp));
    }
    if (pending_.count(p.nsp)) {
        return refuse(close_cause::invalid_state,
                      fmt::format("CONNECT for namespace {} while its previous CONNECT is still in middleware", p.nsp));
    }
    json::value auth = p.data ? std::move(*p.data) : json::value(json::object{});
    // A namespace registered with of(), or one a dynamic namespace creates now.
    std::shared_ptr<sio_namespace> nsp = io_.resolve(p.nsp, auth);
    if (!nsp) {
        send_connect_error(p.nsp, {"Invalid namespace"});
        return std::nullopt;  // the connection stays open; the client may try again
    }
    const std::size_t max = io_.limits().max_namespaces;
    joined_any();  // forget sockets the server side disconnected
    if (sockets_.size() + pending_.size() >= max) {
        log::info("CONNECT to {} refused: the connection has joined {} namespaces (--max-namespaces)", shown(p.nsp),
                  sockets_.size() + pending_.size());
        send_connect_error(p.nsp, {fmt::format("too many namespaces on one connection (at most {})", max)});
        io_.release(*nsp);  // no socket holds it: a dynamic one may go again
        return std::nullopt;
    }
    const bool recovers = nsp->adapter().recovers();
    auto s = std::make_shared<sio_socket>(random_id(), nsp, conn_, std::move(auth), handshake_,
                                          recovers ? random_id() : std::string());
    pending_[p.nsp] = s;
    // A client that brings back its session resumes it, by default without
    // the middlewares (socket.io's skipMiddlewares): they ran when it began.
    if (recovers && nsp->adapter().restore_skips_middlewares() && restore_request_of(*s))
        return try_restore(s, *nsp, after_failed_restore::run_middlewares), std::nullopt;
    run_middlewares(s, *nsp, 0);
    return std::nullopt;
}

std::optional<sio_client::restore_request> sio_client::restore_request_of(const sio_socket& s) {
    // socket.io-client sends {pid, offset} merged with the application's auth;
    // offset is missing until the first event came (beastio still recovers then).
    const json::value& auth = s.auth();
    if (!auth.is_object()) return std::nullopt;
    const json::value* pid = auth.find("pid");
    if (!pid || !pid->is_string()) return std::nullopt;
    restore_request r{pid->as_string(), std::nullopt};
    if (const json::value* offset = auth.find("offset")) {
        if (!offset->is_string()) return std::nullopt;
        r.offset = offset->as_string();
    }
    return r;
}

void sio_client::try_restore(const socket_ptr& s, sio_namespace& nsp, after_failed_restore then) {
    auto request = restore_request_of(*s);
    // The adapter may answer later and from any thread: resume on this
    // connection's strand, and only if this CONNECT is still the pending one.
    nsp.adapter().restore_session(
        s, request->pid, request->offset,
        [this, weak_conn = conn_, weak_socket = std::weak_ptr<sio_socket>(s), nsp_ptr = &nsp,
         then](restore_outcome out) {
            auto c = weak_conn.lock();
            if (!c) return;
            c->run_on_strand([this, weak_socket, nsp_ptr, then, out = std::move(out)] {
                auto sock = weak_socket.lock();
                if (!sock) return;
                if (!is_pending(sock, *nsp_ptr)) {
                    // The connection ended meanwhile: the session goes back to the store.
                    if (out.recovered) sock->finish("connect abandoned", true);
                    return;
                }
                restored(sock, *nsp_ptr, out, then);
            });
        });
}

void sio_client::restored(const socket_ptr& s, sio_namespace& nsp, const restore_outcome& out,
                          after_failed_restore then) {
    if (!out.recovered) {
        const auto [ok, failed] = io_.count_restore(false);
        log::info("nsp={} session not restored ({}): a fresh session (restores: {} done, {} failed)",
                  shown(nsp.name()), out.failure, ok, failed);
        if (then == after_failed_restore::run_middlewares) return run_middlewares(s, nsp, 0);
        return accept(s, nsp);
    }
    const auto [ok, failed] = io_.count_restore(true);
    log::info("sid={} nsp={} session restored, {} packets replayed (restores: {} done, {} failed)", s->id(),
              shown(nsp.name()), out.replayed, ok, failed);
    pending_.erase(nsp.name());
    sockets_[nsp.name()] = s;
    s->joined_.store(true);
    send_connect_reply(*s, nsp);  // after the replay, which the client buffers until it is connected
    if (closed_ || !s->connected()) return;
    nsp.run_connection_handlers(s);
}

void sio_client::send_connect_reply(const sio_socket& s, const sio_namespace& nsp) {
    sio::packet reply;
    reply.type = sio::packet_type::connect;
    reply.nsp = nsp.name();
    json::object body{{"sid", json::value(s.id())}};
    if (!s.pid().empty()) body.emplace_back("pid", json::value(s.pid()));
    reply.data = json::value(std::move(body));
    send(reply);
}

bool sio_client::is_pending(const socket_ptr& s, const sio_namespace& nsp) const {
    auto it = pending_.find(nsp.name());
    return !closed_ && it != pending_.end() && it->second == s;
}

void sio_client::run_middlewares(const socket_ptr& s, sio_namespace& nsp, std::size_t index) {
    const auto& global = io_.middlewares();
    const std::size_t total = global.size() + nsp.middlewares_.size();
    if (index >= total) return complete_connect(s, nsp);
    const middleware& m = index < global.size() ? global[index] : nsp.middlewares_[index - global.size()];

    // next() may come later and from any thread: it resumes on this connection's
    // strand, and only if this CONNECT is still the pending one.
    middleware_next next([this, weak_conn = conn_, weak_socket = std::weak_ptr<sio_socket>(s), nsp_ptr = &nsp,
                          index](std::optional<connect_error> err) {
        auto c = weak_conn.lock();
        if (!c) return;
        c->run_on_strand([this, weak_socket, nsp_ptr, index, err = std::move(err)] {
            auto sock = weak_socket.lock();
            if (!sock || !is_pending(sock, *nsp_ptr)) return;
            if (err) refuse_connect(sock, *nsp_ptr, *err);
            else run_middlewares(sock, *nsp_ptr, index + 1);
        });
    });
    try {
        m(s, next);
    } catch (const std::exception& e) {
        s->handler_failed("middleware", e.what());
    } catch (...) {
        s->handler_failed("middleware", "an exception that is not a std::exception");
    }
}

void sio_client::complete_connect(const socket_ptr& s, sio_namespace& nsp) {
    // Restores that run the middlewares first (skip_middlewares off) happen now.
    if (nsp.adapter().recovers() && !nsp.adapter().restore_skips_middlewares() && restore_request_of(*s))
        return try_restore(s, nsp, after_failed_restore::accept);
    accept(s, nsp);
}

void sio_client::accept(const socket_ptr& s, sio_namespace& nsp) {
    pending_.erase(nsp.name());
    sockets_[nsp.name()] = s;
    // The socket joins before its reply is queued: a client that has its reply
    // receives every broadcast from then on (one delivered from another thread
    // meanwhile is posted to this strand, so it follows the reply). Then the
    // application's handlers run (their emits follow the reply).
    if (!nsp.add(s)) return;  // it left already
    send_connect_reply(*s, nsp);
    // Queuing the reply may have closed the connection (its send queue was
    // full): then the socket has already left its namespace.
    if (closed_ || !s->connected()) return;
    nsp.run_connection_handlers(s);
}

void sio_client::refuse_connect(const socket_ptr& s, sio_namespace& nsp, const connect_error& err) {
    pending_.erase(nsp.name());
    log::info("CONNECT to {} refused by middleware: {}", shown(nsp.name()), shown(err.message));
    send_connect_error(nsp.name(), err);
    s->finish("connect refused");
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

void sio_client::disconnect_all() {
    auto sockets = std::move(sockets_);
    sockets_.clear();
    // Every socket leaves before any DISCONNECT is sent: a client that has
    // heard one finds none of them left on the server.
    std::vector<std::string> told;
    for (auto& [name, s] : sockets) {
        if (!s->connected()) continue;
        s->finish("server namespace disconnect");
        told.push_back(name);
    }
    if (auto c = conn_.lock())
        for (const auto& name : told) c->deliver(disconnect_frames(name));
}

void sio_client::close_all(std::string_view reason, bool keep_sessions) {
    closed_ = true;
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [nsp, s] : pending) s->finish("connect abandoned", keep_sessions);
    auto sockets = std::move(sockets_);
    sockets_.clear();
    for (auto& [nsp, s] : sockets) s->finish(reason, keep_sessions);
    reassembler_.reset();
}

}  // namespace beastio::server
