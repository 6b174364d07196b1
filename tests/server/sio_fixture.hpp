// One simulated Engine.IO connection for the Socket.IO tests: a fake
// connection (the transcript of frames the server wrote) and the sio_client
// that the WebSocket session would drive. Feed it Engine.IO message payloads,
// i.e. what follows the leading '4' of a text frame ("0", "2[\"x\"]").
#pragma once

#include "fake_connection.hpp"
#include "protocol/json.hpp"
#include "protocol/socketio/packet.hpp"
#include "server/socketio/sio_server.hpp"
#include "server/socketio/sio_client.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace beastio::test {

inline const char* cause_name(std::optional<server::close_cause> c) {
    using server::close_cause;
    if (!c) return "(stays open)";
    switch (*c) {
        case close_cause::transport_close: return "transport_close";
        case close_cause::ping_timeout: return "ping_timeout";
        case close_cause::client_close: return "client_close";
        case close_cause::parse_error: return "parse_error";
        case close_cause::decode_error: return "decode_error";
        case close_cause::invalid_state: return "invalid_state";
        case close_cause::heartbeat_direction: return "heartbeat_direction";
        case close_cause::connect_timeout: return "connect_timeout";
        case close_cause::too_big: return "too_big";
        case close_cause::send_queue_overflow: return "send_queue_overflow";
        case close_cause::server_shutdown: return "server_shutdown";
        case close_cause::transport_error: return "transport_error";
        case close_cause::rate_limited: return "rate_limited";
        case close_cause::binary_timeout: return "binary_timeout";
        case close_cause::handler_error: return "handler_error";
        case close_cause::internal_error: return "internal_error";
        case close_cause::server_disconnect: return "server_disconnect";
        case close_cause::session_resumed: return "session_resumed";
        case close_cause::invalid_request: return "invalid_request";
    }
    return "?";
}

// The sid of a CONNECT reply `40[<nsp>,]{"sid":"<20 chars>"}`, or "" when the
// frame is not exactly that shape.
inline std::string sid_of_reply(std::string_view frame, std::string_view nsp) {
    std::string prefix = "40";
    if (nsp != "/") prefix += std::string(nsp) + ",";
    prefix += "{\"sid\":\"";
    constexpr std::string_view suffix = "\"}";
    if (frame.size() != prefix.size() + 20 + suffix.size()) return {};
    if (frame.substr(0, prefix.size()) != prefix || frame.substr(frame.size() - suffix.size()) != suffix) return {};
    return std::string(frame.substr(prefix.size(), 20));
}

inline bool is_id_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

class sio_conn {
public:
    explicit sio_conn(server::sio_server& io, sio::decode_options options = {}, server::handshake_ptr hs = nullptr)
        : conn(std::make_shared<fake_connection>()), sio(io, conn, std::move(options), std::move(hs)) {}
    ~sio_conn() { sio.close_all("transport close"); }  // as the session does when it ends
    sio_conn(const sio_conn&) = delete;
    sio_conn& operator=(const sio_conn&) = delete;

    std::optional<server::close_cause> text(std::string_view payload) { return sio.on_text(payload); }
    std::optional<server::close_cause> binary(std::string bytes) { return sio.on_binary(std::move(bytes)); }

    // Joins nsp and returns the sid from the reply (REQUIREs success).
    std::string connect(std::string_view nsp = "/") {
        const std::size_t before = conn->transcript.size();
        const auto r = text(nsp == "/" ? std::string("0") : "0" + std::string(nsp) + ",");
        INFO("CONNECT " << nsp << " -> " << cause_name(r));
        REQUIRE_FALSE(r.has_value());
        REQUIRE(conn->transcript.size() > before);
        const std::string sid = sid_of_reply(conn->text(before), nsp);
        INFO("reply " << conn->text(before));
        REQUIRE(sid.size() == 20);
        return sid;
    }

    std::size_t frames() const { return conn->transcript.size(); }
    std::string frame(std::size_t i) const { return conn->text(i); }
    std::string last() const { return conn->text(conn->transcript.size() - 1); }

    std::shared_ptr<fake_connection> conn;
    server::sio_client sio;
};

// Connects n clients to nsp and returns their sockets, in connection order.
struct crowd {
    server::sio_server& io;
    std::vector<std::unique_ptr<sio_conn>> conns;
    std::vector<server::socket_ptr> sockets;

    crowd(server::sio_server& server, std::size_t n, const std::string& nsp = "/") : io(server) {
        for (std::size_t i = 0; i < n; ++i) {
            conns.push_back(std::make_unique<sio_conn>(io));
            const std::string sid = conns.back()->connect(nsp);
            sockets.push_back(io.of(nsp).find(sid));
            REQUIRE(sockets.back() != nullptr);
        }
    }
    sio_conn& operator[](std::size_t i) { return *conns.at(i); }

    // Runs send(), then names the members that received one new frame ("02"
    // = the first and the third). Every recipient must have got exactly one
    // frame, with the expected bytes, and all of them the very same buffer.
    std::string recipients(const std::function<std::size_t()>& send, const std::string& expected) {
        std::vector<std::size_t> before;
        for (const auto& c : conns) before.push_back(c->frames());
        const std::size_t reported = send();
        std::string who;
        server::frame_ptr shared;
        for (std::size_t i = 0; i < conns.size(); ++i) {
            const auto& t = conns[i]->conn->transcript;
            if (t.size() == before[i]) continue;
            INFO("member " << i);
            CHECK(t.size() == before[i] + 1);
            CHECK_FALSE(t.back().binary);
            CHECK(t.back().bytes == expected);
            if (!shared) shared = t.back().data;
            CHECK(t.back().data == shared);
            who += std::to_string(i);
        }
        CHECK(reported == who.size());
        return who;
    }
};


inline std::string js(const json::value& v) { return json::serialize(v); }
inline std::string js(const json::array& a) { return json::serialize(json::value(a)); }

}  // namespace beastio::test
