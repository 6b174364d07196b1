// The code of docs/library.md. Every ```cpp block of that page is a piece of
// this file (the ctest docs.snippets checks it), and this file is compiled
// with the examples, so the page cannot show code that does not build.
#include "server/server_process.hpp"
#include "protocol/socketio/broadcast.hpp"
#include "server/socketio/sio_server.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>
#include <regex>
#include <string>

namespace snippets {

using namespace beastio::server;
namespace json = beastio::json;
using namespace std::chrono_literals;

// [main]
int main_of_a_service(int argc, char** argv) {
    return run_main(argc, argv, "my-service", "1.0", [](server_process& srv) {
        auto& root = srv.io().of("/");
        root.on_connection([](const socket_ptr& s) { s->emit("hello", {"world"}); });
    });
}
// [main]

void handlers(sio_server& io) {
    // [events]
    io.of("/").on_connection([](const socket_ptr& s) {
        // An event with an acknowledgement: ack() answers the client's callback.
        s->on("add", [](const socket_ptr&, json::array& args, const ack_sender& ack) {
            long long sum = 0;
            for (const auto& a : args)
                if (a.is_number()) sum += std::stoll(a.as_number().text);
            ack({sum});
        });
        // The server asks, the client answers (or not, within 5 s).
        s->timeout(5000ms).emit_with_ack("ready?", {}, [](const std::optional<ack_error>& err, json::array& answer) {
            if (err) return;  // "operation has timed out" or "socket has been disconnected"
            (void)answer;
        });
        s->on_disconnect([](const socket_ptr&, std::string_view reason) { (void)reason; });
    });
    // [events]
}

void rooms(sio_server& io) {
    auto& root = io.of("/");
    // [rooms]
    root.on_connection([](const socket_ptr& s) {
        s->join("news");
        s->to("news").emit("arrived", {s->id()});   // the room, but not s
        s->broadcast().emit("someone-came");        // everyone but s
    });
    root.to("news").emit("headline", {"…"});            // a room
    root.to("news").to("sports").except("muted").emit("both");
    root.to("3SJ8x3_cx0f7Hq4bAAAB").emit("private");    // a socket id is a room
    root.volatile_().emit("position", {1, 2});           // dropped for lagging clients
    io.emit("everyone-on-main");                         // io.emit is "/" only, as in socket.io
    io.emit_all_namespaces("maintenance", {"in 5 min"});
    // [rooms]
}

void middleware_example(sio_server& io) {
    // [middleware]
    io.of("/admin").use([](const socket_ptr& s, const middleware_next& next) {
        const json::value* token = s->auth().find("token");
        if (!token || !token->is_string() || token->as_string() != "let-me-in")
            return next(connect_error{"not authorized", json::value(json::object{{"retry", json::value(false)}})});
        s->set_data(json::value(json::object{{"role", json::value("admin")}}));
        next();  // or later, from any thread, after an asynchronous check
    });
    // [middleware]
}

void data_and_handshake(sio_server& io) {
    // [handshake]
    io.of("/").on_connection([](const socket_ptr& s) {
        const sio_handshake& h = s->handshake();
        const auto agent = h.header("user-agent").value_or("?");
        const auto room = h.query_value("room").value_or("lobby");
        s->join(std::string(room));
        s->set_data(json::value(json::object{{"agent", json::value(agent)}, {"from", json::value(h.address)}}));
    });
    // [handshake]
}

void selections(sio_server& io) {
    auto& root = io.of("/");
    // [selections]
    for (const socket_ptr& s : root.in("game-7").fetch_sockets()) (void)s->data();
    root.in("game-7").sockets_join({"finished"});
    root.in("game-7").sockets_leave({"game-7"});
    root.in("finished").disconnect_sockets();        // DISCONNECT each (no reconnect)
    root.except("staff").disconnect_sockets(true);   // close their connections
    // [selections]
    // [broadcast-acks]
    auto ready = std::make_shared<std::size_t>(0);
    sio_broadcast(root).to("game-7").emit_with_ack("ready?", {}, 3000ms,
        [ready](const std::optional<ack_error>& err, json::array answers) {
            // answers: each recipient's first ack argument; err: some did not answer within 3 s
            *ready = err ? 0 : answers.size();
        });
    // [broadcast-acks]
}

void any_and_disconnecting(sio_server& io) {
    // [lifecycle]
    io.of("/").on_connection([](const socket_ptr& s) {
        s->on_any([](const socket_ptr&, std::string_view event, const json::array&) { (void)event; });
        s->on_disconnecting([](const socket_ptr& self, std::string_view) {
            for (const auto& room : self->rooms()) self->to(room).emit("left", {self->id()});
        });
    });
    // [lifecycle]
}

void dynamic(sio_server& io) {
    // [dynamic]
    auto& workspaces = io.of(std::regex("/workspace-[0-9]+"));
    workspaces.use([](const socket_ptr&, const middleware_next& next) { next(); });
    workspaces.on_connection([](const socket_ptr& s) { s->emit("welcome", {s->nsp().name()}); });
    // [dynamic]
}

void recovery(sio_server& io) {
    // [recovery]
    io.of("/").on_connection([](const socket_ptr& s) {
        // Handlers belong to the socket object: register them on every socket, resumed or not.
        s->on("say", [](const socket_ptr& from, json::array& args, const ack_sender&) { from->to("lobby").emit("said", args); });
        // A resumed session came back with its rooms and data; a new one starts from scratch.
        if (!s->recovered()) s->join("lobby");
    });
    // A prebuilt event that recovery may log: an encoder, called once per broadcast with or without the offset.
    const std::int64_t n = 17;
    io.of("/").publish(broadcast_packet::event([n](std::optional<std::string_view> offset) {
        const std::string text = offset ? beastio::sio::encode_int_event_frame("/", "integer", n, *offset)
                                        : beastio::sio::encode_int_event_frame("/", "integer", n);
        return std::vector<out_frame>{{make_frame(text), false}};
    }));
    // [recovery]
}

// [adapter]
// Counts what a namespace broadcasts, then lets the in-memory adapter deliver it.
class counting_adapter final : public sio_adapter {
public:
    explicit counting_adapter(sio_namespace& nsp) : sio_adapter(nsp), inner_(nsp) {}
    broadcast_result broadcast(const broadcast_packet& p, const broadcast_options& o) override {
        ++broadcasts;
        return inner_.broadcast(p, o);
    }
    void add_socket(const socket_ptr& s) override { inner_.add_socket(s); }
    void remove_socket(sio_socket& s, bool keep_session) override { inner_.remove_socket(s, keep_session); }
    join_result join(const std::string& sid, const std::string& room, std::size_t max) override {
        return inner_.join(sid, room, max);
    }
    void leave(const std::string& sid, const std::string& room) override { inner_.leave(sid, room); }
    std::vector<std::string> socket_rooms(const std::string& sid) const override { return inner_.socket_rooms(sid); }
    std::vector<socket_ptr> sockets(const broadcast_options& o) const override { return inner_.sockets(o); }
    std::size_t size() const override { return inner_.size(); }
    socket_ptr find(const std::string& sid) const override { return inner_.find(sid); }
    std::vector<std::string> rooms() const override { return inner_.rooms(); }
    void unicast(sio_socket& s, const broadcast_packet& p, bool is_volatile) override { inner_.unicast(s, p, is_volatile); }
    // Connection state recovery, when the server has it on.
    bool recovers() const override { return inner_.recovers(); }
    void socket_done(sio_socket& s) override { inner_.socket_done(s); }
    void restore_session(const socket_ptr& s, const std::string& pid, const std::optional<std::string>& offset,
                         restore_done done) override {
        inner_.restore_session(s, pid, offset, std::move(done));
    }

    std::atomic<std::size_t> broadcasts{0};

private:
    sio_memory_adapter inner_;
};

void install_adapter(sio_server& io) {
    // Before the first of()
    io.set_adapter_factory([](sio_namespace& nsp) { return std::make_unique<counting_adapter>(nsp); });
}
// [adapter]

}  // namespace snippets
