#include "chat/chat.hpp"

#include "server/core/log.hpp"
#include "server/http/admission.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace beastio::examples {

using namespace beastio::server;
namespace {

constexpr std::string_view lobby = "lobby";

// Names: 1 to 32 of [A-Za-z0-9_-].
bool valid_name(std::string_view n) {
    if (n.empty() || n.size() > 32) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// Room names the clients choose: 1 to 64 bytes, not a socket id (those are private rooms).
bool valid_room(const sio_namespace& nsp, const std::string& r) {
    return !r.empty() && r.size() <= 64 && nsp.find(r) == nullptr;
}

const std::string* string_at(const json::array& args, std::size_t i) {
    return i < args.size() && args[i].is_string() ? &args[i].as_string() : nullptr;
}

std::string name_of(const sio_socket& s) {
    const json::value d = s.data();
    const json::value* n = d.find("name");
    return n && n->is_string() ? n->as_string() : std::string();
}

bool member_of(const sio_socket& s, const std::string& room) {
    const auto rooms = s.rooms();
    return std::binary_search(rooms.begin(), rooms.end(), room);
}

json::value error(std::string_view why) { return json::value(json::object{{"error", json::value(why)}}); }

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

void install_chat(server::server_process& srv, chat_options opts) {
    auto& chat = srv.io().of("/chat");
    auto options = std::make_shared<const chat_options>(std::move(opts));

    // Who may come in: the token, then a valid name (kept in socket.data).
    chat.use([options](const socket_ptr& s, const middleware_next& next) {
        const json::value* token = s->auth().find("token");
        if (!token || !token->is_string() || !token_equal(options->token, token->as_string()))
            return next(connect_error{"not authorized", json::value(json::object{{"reason", json::value("bad token")}})});
        const json::value* name = s->auth().find("name");
        if (!name || !name->is_string() || !valid_name(name->as_string()))
            return next(connect_error{"invalid name", json::value(json::object{
                                                          {"rule", json::value("1 to 32 of A-Z a-z 0-9 _ -")}})});
        s->set_data(json::value(json::object{{"name", *name}}));
        next();
    });

    chat.on_connection([&chat, options](const socket_ptr& s) {
        const std::string name = name_of(*s);
        s->join(std::string(lobby));
        s->emit("welcome", {json::value(json::object{{"id", json::value(s->id())},
                                                      {"name", json::value(name)},
                                                      {"rooms", json::value(json::array{json::value(lobby)})}})});
        s->to(std::string(lobby)).emit("joined", {json::value(json::object{{"room", json::value(lobby)},
                                                                           {"name", json::value(name)}})});

        s->on("join", [&chat](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* room = string_at(args, 0);
            if (!room || !valid_room(chat, *room)) return ack({error("invalid room")});
            if (!self->join(*room)) return ack({error("too many rooms")});
            self->to(*room).emit("joined", {json::value(json::object{{"room", json::value(*room)},
                                                                     {"name", json::value(name_of(*self))}})});
            ack({json::value(json::object{{"ok", json::value(true)},
                                          {"members", json::value(chat.in(*room).fetch_sockets().size())}})});
        });
        s->on("leave", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* room = string_at(args, 0);
            if (!room || !member_of(*self, *room)) return ack({error("not in room")});
            self->leave(*room);
            self->to(*room).emit("left", {json::value(json::object{{"room", json::value(*room)},
                                                                   {"name", json::value(name_of(*self))}})});
            ack({json::value(json::object{{"ok", json::value(true)}})});
        });
        s->on("say", [options](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* room = string_at(args, 0);
            const std::string* text = string_at(args, 1);
            if (!room || !text) return ack({error("say(room, text)")});
            if (!member_of(*self, *room)) return ack({error("not in room")});
            if (text->empty() || text->size() > options->max_text_bytes) return ack({error("text too long or empty")});
            const std::size_t n = self->to(*room).emit(
                "message", {json::value(json::object{{"room", json::value(*room)},
                                                     {"from", json::value(name_of(*self))},
                                                     {"text", json::value(*text)},
                                                     {"at", json::value(static_cast<long long>(now_ms()))}})});
            ack({json::value(json::object{{"delivered", json::value(n)}})});
        });
        // Typing notices are worth nothing late: volatile, dropped for readers that lag.
        s->on("typing", [](const socket_ptr& self, json::array& args, const ack_sender&) {
            const std::string* room = string_at(args, 0);
            if (!room || !member_of(*self, *room)) return;
            self->to(*room).volatile_().emit("typing", {json::value(json::object{
                                                           {"room", json::value(*room)},
                                                           {"from", json::value(name_of(*self))}})});
        });
        s->on("who", [&chat](const socket_ptr&, json::array& args, const ack_sender& ack) {
            const std::string* room = string_at(args, 0);
            if (!room) return ack({error("who(room)")});
            std::vector<std::string> names;
            for (const auto& m : chat.in(*room).fetch_sockets()) names.push_back(name_of(*m));
            std::sort(names.begin(), names.end());
            json::array out;
            for (auto& n : names) out.emplace_back(std::move(n));
            ack({json::value(std::move(out))});
        });
        // The rooms are read while the socket is still in them ("disconnecting"),
        // and announced once it has left them ("disconnect"): whoever hears
        // "left" and then asks who is there no longer finds it (other I/O
        // threads serve them meanwhile).
        auto rooms_left = std::make_shared<std::vector<std::string>>();
        s->on_disconnecting([rooms_left](const socket_ptr& self, std::string_view) { *rooms_left = self->rooms(); });
        s->on_disconnect([&chat, rooms_left](const socket_ptr& self, std::string_view) {
            const std::string who = name_of(*self);
            for (const auto& room : *rooms_left)
                chat.to(room).emit("left", {json::value(json::object{{"room", json::value(room)},
                                                                    {"name", json::value(who)}})});
        });
    });
    srv.set_name("chat");
}

}  // namespace beastio::examples
