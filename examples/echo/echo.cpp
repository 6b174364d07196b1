// The echo service: the Socket.IO API's demo and the test suite's peer.
#include "echo/echo.hpp"

#include <stdexcept>

namespace beastio::examples {

using namespace beastio::server;
namespace {

void greet(const socket_ptr& s) {
    // The handshake's auth object ({} when the client sent none).
    s->emit("auth", json::array{s->auth()});
}

const std::string* string_arg(const json::array& args, std::size_t i) {
    return i < args.size() && args[i].is_string() ? &args[i].as_string() : nullptr;
}

}  // namespace

void install_echo(server::server_process& srv) {
    auto& root = srv.io().of("/");
    root.on_connection([&root](const socket_ptr& s) {
        greet(s);
        s->on("message", [](const socket_ptr& self, json::array& args, const ack_sender&) {
            self->emit("message-back", args);
        });
        s->on("message-with-ack", [](const socket_ptr&, json::array& args, const ack_sender& ack) {
            ack(std::move(args));
        });
        // Rooms: join(room) acks true or false (--max-rooms-per-socket), leave(room),
        // to-room(room, ...args) sends room-message(...args) to the room's members
        // and acks how many there were.
        s->on("join", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* room = string_arg(args, 0);
            ack(json::array{room != nullptr && self->join(*room)});
        });
        s->on("leave", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            if (const std::string* room = string_arg(args, 0)) self->leave(*room);
            ack();
        });
        s->on("to-room", [&root](const socket_ptr&, json::array& args, const ack_sender& ack) {
            const std::string* room = string_arg(args, 0);
            if (room == nullptr) return ack(json::array{0});
            const std::string name = *room;
            args.erase(args.begin());
            ack(json::array{root.to(name).emit("room-message", args)});
        });
        // A handler that fails: it shows that an exception in application code
        // closes only its own connection (1011) and is logged with its event.
        s->on("fail", [](const socket_ptr&, json::array&, const ack_sender&) {
            throw std::runtime_error("the fail event always throws");
        });
    });
    srv.io().of("/custom").on_connection([](const socket_ptr& s) { greet(s); });
    srv.set_name("echo");
}

}  // namespace beastio::examples
