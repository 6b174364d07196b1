#include "server/engineio/eio_session.hpp"

#include <fmt/format.h>

namespace beastio::server {
namespace {

// The ping every session sends, allocated once for the process.
const frame_ptr& ping_frame() {
    static const frame_ptr f = make_frame(eio::encode_text(eio::packet_type::ping));
    return f;
}

std::chrono::milliseconds ms(std::uint64_t v) { return std::chrono::milliseconds(v); }

}  // namespace

eio_session::eio_session(eio_transport& transport, const config& cfg, std::string sid, sio_server& io,
                         std::weak_ptr<connection> conn, handshake_ptr handshake)
    : transport_(transport), cfg_(cfg), sid_(std::move(sid)), sio_(io, std::move(conn), [&] {
          sio::decode_options o;
          o.max_attachments = cfg.max_attachments;
          o.json.max_depth = cfg.max_json_depth;
          // A packet's attachments together: at most what one message may carry.
          o.max_packet_bytes = cfg.max_payload;
          return o;
      }(), std::move(handshake)) {}

void eio_session::open() {
    eio::open_params p;
    p.sid = sid_;
    p.ping_interval_ms = cfg_.ping_interval_ms;
    p.ping_timeout_ms = cfg_.ping_timeout_ms;
    p.max_payload = cfg_.max_payload;
    transport_.send(out_frame{make_frame(eio::encode_open(p)), false});
    transport_.set_heartbeat_timer(ms(cfg_.ping_interval_ms));
}

void eio_session::on_heartbeat_timer() {
    if (awaiting_pong_) {
        transport_.close(close_cause::ping_timeout, {});
        return;
    }
    awaiting_pong_ = true;
    transport_.send(out_frame{ping_frame(), false});
    transport_.set_heartbeat_timer(ms(cfg_.ping_timeout_ms));
}

void eio_session::on_connect_timer() {
    if (!sio_.joined_any()) transport_.close(close_cause::connect_timeout, {});
}

void eio_session::on_binary_timer() {
    if (sio_.binary_pending())
        transport_.close(close_cause::binary_timeout,
                         fmt::format("attachments still missing after {} ms", cfg_.binary_timeout_ms));
}

void eio_session::on_text(std::string_view frame) {
    auto r = eio::decode_text(frame);
    if (!r) {
        transport_.close(close_cause::parse_error, r.error().message);
        return;
    }
    eio::packet& p = *r;
    switch (p.type) {
        case eio::packet_type::pong:
            // Any pong restarts the interval, like the reference server.
            awaiting_pong_ = false;
            transport_.set_heartbeat_timer(ms(cfg_.ping_interval_ms));
            return;
        case eio::packet_type::ping:
            transport_.close(close_cause::heartbeat_direction, {});
            return;
        case eio::packet_type::close:
            transport_.close(close_cause::client_close, {});
            return;
        case eio::packet_type::message:
            if (p.binary) on_message({}, true, std::move(p.data));
            else on_message(frame.substr(1), false, {});
            return;
        case eio::packet_type::open:
        case eio::packet_type::upgrade:
        case eio::packet_type::noop:
            return;  // meaningless on a websocket-only session; ignored like the reference
    }
}

void eio_session::on_binary(std::string bytes) { on_message({}, true, std::move(bytes)); }

void eio_session::on_message(std::string_view text, bool binary, std::string bytes) {
    auto verdict = binary ? sio_.on_binary(std::move(bytes)) : sio_.on_text(text);
    if (verdict) {
        transport_.close(*verdict, sio_.last_error());
        return;
    }
    if (sio_.joined_any()) transport_.cancel_connect_timer();
    // One deadline per binary packet, from its header to its last attachment.
    const bool pending = sio_.binary_pending();
    if (pending != binary_pending_) {
        binary_pending_ = pending;
        transport_.set_binary_timer(pending ? ms(cfg_.binary_timeout_ms) : ms(0));
    }
}

}  // namespace beastio::server
