// The echo service: the Socket.IO API's demo and the test suite's peer.
#include "echo/echo.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <regex>
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

const json::value* arg(const json::array& args, std::size_t i) { return i < args.size() ? &args[i] : nullptr; }

// Sets key in the object d (made an object if it is not), replacing an earlier value.
void set_member(json::value& d, std::string_view key, json::value v) {
    if (!d.is_object()) d = json::value(json::object{});
    for (auto& [k, x] : d.as_object()) {
        if (k == key) {
            x = std::move(v);
            return;
        }
    }
    d.as_object().emplace_back(std::string(key), std::move(v));
}

std::vector<std::string> string_list(const json::value* v) {
    std::vector<std::string> out;
    if (v && v->is_array())
        for (const auto& x : v->as_array())
            if (x.is_string()) out.push_back(x.as_string());
    return out;
}

std::uint64_t uint_arg(const json::array& args, std::size_t i, std::uint64_t fallback, std::uint64_t max) {
    const json::value* v = arg(args, i);
    if (!v || !v->is_number()) return fallback;
    const std::string& t = v->as_number().text;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    return ec == std::errc() && end == t.data() + t.size() && n <= max ? n : fallback;
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

// socket.handshake as JSON, for the tests to compare with what they sent.
json::value handshake_json(const sio_socket& s) { return s.handshake().to_json(s.auth()); }

// A selection from {"rooms": [...], "except": [...]}.
sio_broadcast selection(sio_namespace& nsp, const json::value* spec) {
    sio_broadcast b(nsp);
    if (!spec || !spec->is_object()) return b;
    for (auto& r : string_list(spec->find("rooms"))) b.to(r);
    for (auto& r : string_list(spec->find("except"))) b.except(r);
    return b;
}

// "/api": the rest of the server API, one event per call, for the tests. It
// is a test peer, not a service to expose: any client may close the others
// (select ... "close"), as the API it demonstrates allows the application to.
void install_api(sio_server& io) {
    auto& api = io.of("/api");
    api.on_connection([&io, &api](const socket_ptr& s) {
        // Every incoming event is recorded before its handler runs: the last 16
        // names, each cut to 64 bytes (a client must not grow the server's memory).
        s->on_any([](const socket_ptr& self, std::string_view event, const json::array&) {
            json::value d = self->data();
            const json::value* seen = d.find("seen");
            json::array list = seen && seen->is_array() ? seen->as_array() : json::array{};
            if (list.size() >= 16) list.erase(list.begin());
            list.emplace_back(std::string(event.substr(0, 64)));
            set_member(d, "seen", json::value(std::move(list)));
            self->set_data(std::move(d));
        });
        // whoami -> ack {id, rooms, data, handshake}
        s->on("whoami", [](const socket_ptr& self, json::array&, const ack_sender& ack) {
            ack(json::array{json::value(json::object{{"id", json::value(self->id())},
                                                     {"rooms", json::value(strings(self->rooms()))},
                                                     {"data", self->data()},
                                                     {"handshake", handshake_json(*self)}})});
        });
        // set-name(name): a string of at most 64 bytes, kept in socket.data.
        s->on("set-name", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* name = string_arg(args, 0);
            if (!name || name->size() > 64) return ack(json::array{false});
            json::value d = self->data();
            set_member(d, "name", json::value(*name));
            self->set_data(std::move(d));
            ack(json::array{true});
        });
        s->on("join", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* room = string_arg(args, 0);
            ack(json::array{room != nullptr && self->join(*room)});
        });
        // to-others(room, ...args): room-message to the room but the sender; acks the count.
        s->on("to-others", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* room = string_arg(args, 0);
            if (room == nullptr) return ack(json::array{0});
            const std::string name = *room;
            args.erase(args.begin());
            ack(json::array{self->to(name).emit("room-message", args)});
        });
        // ask(timeout_ms, ...args): the server asks the client with a timeout; the
        // outcome comes back as the event "asked" {error} or {answer}.
        s->on("ask", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const auto ms = uint_arg(args, 0, 1000, 600000);
            json::array question(args.size() > 1 ? args.begin() + 1 : args.end(), args.end());
            const bool sent = self->timeout(std::chrono::milliseconds(ms))
                                  .emit_with_ack("question", question,
                                                 [weak = std::weak_ptr<sio_socket>(self)](
                                                     const std::optional<ack_error>& err, json::array& answer) {
                                                     auto me = weak.lock();
                                                     if (!me) return;
                                                     if (err)
                                                         me->emit("asked", {json::value(json::object{
                                                                               {"error", json::value(err->message)}})});
                                                     else
                                                         me->emit("asked", {json::value(json::object{
                                                                               {"answer", json::value(answer)}})});
                                                 });
            ack(json::array{sent});
        });
        // flood(n, bytes, volatile): n events "flood" of that many bytes to this socket in one go,
        // at most 10 MB in all (the work one event may cause is bounded).
        s->on("flood", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const auto n = uint_arg(args, 0, 1, 10000);
            const auto bytes = uint_arg(args, 1, 1, 1000000);
            if (n * bytes > 10'000'000) return ack(json::array{0});
            const json::value* vol = arg(args, 2);
            const bool is_volatile = vol && vol->is_bool() && vol->as_bool();
            const json::array payload{json::value(std::string(bytes, 'v'))};
            for (std::uint64_t i = 0; i < n; ++i) {
                if (is_volatile) self->volatile_().emit("flood", payload);
                else self->emit("flood", payload);
            }
            ack(json::array{n});
        });
        // select(spec, verb, rooms): fetch (ack: ids and names), join, leave, disconnect, close.
        s->on("select", [&api](const socket_ptr&, json::array& args, const ack_sender& ack) {
            auto b = selection(api, arg(args, 0));
            const std::string* verb = string_arg(args, 1);
            const auto rooms = string_list(arg(args, 2));
            if (!verb) return ack(json::array{"no verb"});
            if (*verb == "fetch") {
                json::array found;
                for (const auto& x : b.fetch_sockets()) {
                    const json::value d = x->data();
                    const json::value* name = d.find("name");
                    found.emplace_back(json::object{{"id", json::value(x->id())},
                                                    {"name", name ? *name : json::value()},
                                                    {"rooms", json::value(strings(x->rooms()))}});
                }
                return ack(json::array{json::value(std::move(found))});
            }
            if (*verb == "join") b.sockets_join(rooms);
            else if (*verb == "leave") b.sockets_leave(rooms);
            else if (*verb == "disconnect") b.disconnect_sockets(false);
            else if (*verb == "close") b.disconnect_sockets(true);
            else return ack(json::array{"unknown verb"});
            ack(json::array{"done"});
        });
        // shout(...args): "shout" to every socket of every namespace.
        s->on("shout", [&io](const socket_ptr&, json::array& args, const ack_sender& ack) {
            ack(json::array{io.emit_all_namespaces("shout", args)});
        });
        // Across the nodes of a cluster (docs/scaling.md), each acking when done:
        // fetch-all(spec): the selected sockets of every node [{id, rooms, local}];
        // all-rooms(): the rooms of every node; server-emit(event, ...args): a
        // server-side event for /api on every other node, which sends it to its
        // own /api clients as "server-side" [event, ...args].
        s->on("fetch-all", [&api](const socket_ptr&, json::array& args, const ack_sender& ack) {
            selection(api, arg(args, 0)).fetch_sockets([ack](std::vector<remote_socket> found) {
                json::array list;
                for (const auto& r : found)
                    list.emplace_back(json::object{{"id", json::value(r.id)},
                                                   {"rooms", json::value(strings(r.rooms))},
                                                   {"local", json::value(r.local != nullptr)}});
                ack(json::array{json::value(std::move(list))});
            });
        });
        s->on("all-rooms", [&api](const socket_ptr&, json::array&, const ack_sender& ack) {
            api.all_rooms([ack](std::vector<std::string> rooms) { ack(json::array{json::value(strings(rooms))}); });
        });
        s->on("server-emit", [&api](const socket_ptr&, json::array& args, const ack_sender& ack) {
            const std::string* event = string_arg(args, 0);
            if (!event) return ack(json::array{false});
            const std::string name = *event;
            args.erase(args.begin());
            api.server_side_emit(name, args);
            ack(json::array{true});
        });
        // server-ask(event, timeout_ms): a server-side event every other node answers (serverSideEmitWithAck);
        // acks {answers} or {error, answers}.
        s->on("server-ask", [&api](const socket_ptr&, json::array& args, const ack_sender& ack) {
            const std::string* event = string_arg(args, 0);
            if (!event) return ack(json::array{json::value(json::object{{"error", json::value("no event")}})});
            const auto ms = uint_arg(args, 1, 3000, 600000);
            api.server_side_emit_with_ack(*event, {}, std::chrono::milliseconds(ms),
                                          [ack](const std::optional<ack_error>& err, json::array answers) {
                                              json::object out;
                                              if (err) out.emplace_back("error", json::value(err->message));
                                              out.emplace_back("answers", json::value(std::move(answers)));
                                              ack(json::array{json::value(std::move(out))});
                                          });
        });
        // Before it leaves: the members of its rooms learn who goes and from where.
        s->on_disconnecting([](const socket_ptr& self, std::string_view reason) {
            for (const auto& room : self->rooms())
                self->to(room).emit("leaving", json::array{self->id(), room, std::string(reason)});
        });
    });
    api.on_server_side_event([&api](const std::string& event, json::array& args) {
        args.insert(args.begin(), json::value(event));
        api.local().emit("server-side", args);
    });
    // "ping?" from another node's server-ask: this node answers.
    api.on_server_side_request([](const std::string& event, json::array&, const server_side_reply& reply) {
        if (event == "ping?") reply(json::value("pong from beastio"));
    });
    // Dynamic namespaces: /dyn-<digits> exist from their first CONNECT.
    auto& dyn = io.of(std::regex("/dyn-[0-9]+"));
    dyn.on_connection([](const socket_ptr& s) { s->emit("welcome", json::array{s->nsp().name()}); });
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
        // ask-all(event, timeout_ms): a broadcast with acks to every socket of "/" on every
        // node; acks {answers: [...]} or {error, answers} (socket.io's io.timeout(t).emitWithAck).
        s->on("ask-all", [](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            const std::string* event = string_arg(args, 0);
            if (event == nullptr) return ack(json::array{json::value(json::object{{"error", json::value("no event")}})});
            const auto ms = uint_arg(args, 1, 3000, 600000);
            sio_broadcast(self->nsp()).emit_with_ack(
                *event, {}, std::chrono::milliseconds(ms),
                [ack](const std::optional<ack_error>& err, json::array answers) {
                    json::object out;
                    if (err) out.emplace_back("error", json::value(err->message));
                    out.emplace_back("answers", json::value(std::move(answers)));
                    ack(json::array{json::value(std::move(out))});
                });
        });
        // A handler that fails: it shows that an exception in application code
        // closes only its own connection (1011) and is logged with its event.
        s->on("fail", [](const socket_ptr&, json::array&, const ack_sender&) {
            throw std::runtime_error("the fail event always throws");
        });
    });
    srv.io().of("/custom").on_connection([](const socket_ptr& s) { greet(s); });
    install_api(srv.io());
    srv.set_name("echo");
}

}  // namespace beastio::examples
