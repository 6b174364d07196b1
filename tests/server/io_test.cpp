// The application API (sio_server, sio_namespace, socket, sio_broadcast) seen
// through fake connections: server acks, rooms, shared broadcast buffers,
// reserved names, server-side disconnect and the end of a connection.
#include "sio_fixture.hpp"

#include "protocol/socketio/broadcast.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

using beastio::server::ack_sender;
using beastio::server::sio_server;
using beastio::server::make_frame;
using beastio::server::sio_namespace;
using beastio::server::socket_ptr;
using beastio::test::cause_name;
using beastio::test::js;
using beastio::test::sio_conn;
namespace json = beastio::json;
namespace sio = beastio::sio;

using beastio::test::crowd;

TEST_CASE("sio_server: of() creates once, find() never creates", "[io]") {
    sio_server io;
    CHECK(io.find("/") == nullptr);
    sio_namespace& a = io.of("/chat");
    CHECK(&io.of("/chat") == &a);
    CHECK(io.find("/chat").get() == &a);
    CHECK(a.name() == "/chat");
    CHECK(a.size() == 0);
    CHECK(io.find("/chat/") == nullptr);
}

TEST_CASE("sio_socket::emit_with_ack: ids from 0 per socket, the client's ACK runs the callback once", "[io]") {
    sio_server io;
    io.of("/");
    io.of("/custom");
    crowd root(io, 1, "/");
    socket_ptr s = root.sockets[0];
    sio_conn& c = root[0];

    std::vector<std::string> acks;  // "<tag>: <args>"
    auto cb = [&acks](std::string tag) {
        return [&acks, tag](json::array& args) {
            std::string shown;
            for (const auto& a : args) shown += (shown.empty() ? "" : ",") + (a.is_binary() ? "bin:" + a.as_binary().bytes() : js(a));
            acks.push_back(tag + ": " + shown);
        };
    };

    REQUIRE(s->emit_with_ack("ask", json::array{1}, cb("first")));
    REQUIRE(s->emit_with_ack("ask", json::array{2, "two"}, cb("second")));
    REQUIRE(s->emit_with_ack("ask-bin", json::array{json::binary{"\x07"}}, cb("third")));
    REQUIRE(c.frames() == 5);
    CHECK(c.frame(1) == R"(420["ask",1])");
    CHECK(c.frame(2) == R"(421["ask",2,"two"])");
    CHECK(c.frame(3) == R"(451-2["ask-bin",{"_placeholder":true,"num":0}])");
    CHECK(c.frame(4) == "<bin:\x07>");

    REQUIRE_FALSE(c.text(R"(31["b"])"));
    REQUIRE_FALSE(c.text(R"(30["a",{"x":1}])"));
    REQUIRE_FALSE(c.text(R"(30["again"])"));  // already answered: ignored
    REQUIRE_FALSE(c.text(R"(399[1])"));       // never asked: ignored
    REQUIRE_FALSE(c.text(R"(61-2[{"_placeholder":true,"num":0}])"));
    REQUIRE_FALSE(c.binary("\x08"));
    CHECK(acks == std::vector<std::string>{"second: \"b\"", "first: \"a\",{\"x\":1}", "third: bin:\x08"});
    CHECK(c.frames() == 5);  // acks are not answered

    SECTION("a custom namespace has its own prefix and counter") {
        c.connect("/custom");
        socket_ptr t = io.of("/custom").find(c.frame(5).substr(std::string("40/custom,{\"sid\":\"").size(), 20));
        REQUIRE(t != nullptr);
        REQUIRE(t->emit_with_ack("ask", json::array{}, cb("custom")));
        CHECK(c.last() == R"(42/custom,0["ask"])");
        REQUIRE_FALSE(c.text(R"(3/custom,0[])"));
        CHECK(acks.back() == "custom: ");
        // The root socket's counter went on independently.
        REQUIRE(s->emit_with_ack("ask", json::array{}, cb("fourth")));
        CHECK(c.last() == R"(423["ask"])");
    }
    SECTION("a reserved name is refused and uses no id") {
        CHECK_FALSE(s->emit_with_ack("connect", json::array{}, cb("never")));
        CHECK(c.frames() == 5);
        REQUIRE(s->emit_with_ack("ask", json::array{}, cb("fourth")));
        CHECK(c.last() == R"(423["ask"])");
    }
}

TEST_CASE("rooms: to, except, join and leave choose the recipients, sharing one buffer", "[io]") {
    sio_server io;
    auto& root = io.of("/");
    crowd cr(io, 3);
    const auto& s = cr.sockets;
    s[0]->join("r1");
    s[1]->join("r1");
    s[1]->join("r2");
    s[2]->join("r2");
    s[1]->join("r2");  // joining twice changes nothing

    const std::string news = R"(42["news","x"])";
    CHECK(cr.recipients([&] { return root.emit("news", json::array{"x"}); }, news) == "012");
    CHECK(cr.recipients([&] { return root.to("r1").emit("news", json::array{"x"}); }, news) == "01");
    CHECK(cr.recipients([&] { return root.to("r2").emit("news", json::array{"x"}); }, news) == "12");
    CHECK(cr.recipients([&] { return root.to("r1").to("r2").emit("news", json::array{"x"}); }, news) == "012");
    CHECK(cr.recipients([&] { return root.to("r2").except("r1").emit("news", json::array{"x"}); }, news) == "2");
    CHECK(cr.recipients([&] { return root.except("r1").emit("news", json::array{"x"}); }, news) == "2");
    CHECK(cr.recipients([&] { return root.except("r1").except("r2").emit("news", json::array{"x"}); }, news) == "");
    CHECK(cr.recipients([&] { return root.to("nobody").emit("news", json::array{"x"}); }, news) == "");
    CHECK(cr.recipients([&] { return root.except("nobody").emit("news", json::array{"x"}); }, news) == "012");

    CHECK(s[1]->rooms() == std::vector<std::string>{"r1", "r2"});
    s[1]->leave("r1");
    s[1]->leave("never-joined");
    CHECK(s[1]->rooms() == std::vector<std::string>{"r2"});
    CHECK(cr.recipients([&] { return root.to("r1").emit("news", json::array{"x"}); }, news) == "0");

    s[0]->join("z");
    s[0]->join("a");
    CHECK(s[0]->rooms() == std::vector<std::string>{"a", "r1", "z"});  // sorted
    CHECK(s[2]->rooms() == std::vector<std::string>{"r2"});
}

TEST_CASE("rooms: a disconnected socket receives nothing and leaves its rooms", "[io]") {
    sio_server io;
    auto& root = io.of("/");
    crowd cr(io, 3);
    for (const auto& s : cr.sockets) s->join("room");
    const std::string news = R"(42["news"])";

    REQUIRE_FALSE(cr[1].text("1"));  // the client leaves the namespace
    CHECK(root.size() == 2);
    CHECK(cr.recipients([&] { return root.emit("news"); }, news) == "02");
    CHECK(cr.recipients([&] { return root.to("room").emit("news"); }, news) == "02");
    CHECK(cr.sockets[1]->rooms().empty());
    CHECK_FALSE(cr.sockets[1]->connected());

    // Calls on the stale socket do nothing.
    cr.sockets[1]->join("room");
    CHECK(cr.sockets[1]->rooms().empty());
    CHECK_FALSE(cr.sockets[1]->emit("news"));
    CHECK(cr.recipients([&] { return root.to("room").emit("news"); }, news) == "02");

    cr.sockets[0]->disconnect();  // the server kicks one
    CHECK(cr[0].last() == "41");
    CHECK(cr.recipients([&] { return root.to("room").emit("news"); }, news) == "2");
}

TEST_CASE("broadcasts: a binary emit shares the header and the attachment buffers", "[io]") {
    sio_server io;
    auto& root = io.of("/chat");
    crowd cr(io, 2, "/chat");
    CHECK(root.emit("blob", json::array{json::binary{std::string("\x00\xff", 2)}, "t"}) == 2);
    auto& t0 = cr[0].conn->transcript;
    auto& t1 = cr[1].conn->transcript;
    REQUIRE(t0.size() == 3);
    REQUIRE(t1.size() == 3);
    CHECK(t0[1].bytes == R"(451-/chat,["blob",{"_placeholder":true,"num":0},"t"])");
    CHECK(t0[2].binary);
    CHECK(t0[2].bytes == std::string("\x00\xff", 2));
    CHECK(t0[1].unit == t0[2].unit);
    CHECK(t0[1].data == t1[1].data);
    CHECK(t0[2].data == t1[2].data);
}

TEST_CASE("sio_namespace::broadcast_frame queues the given buffer itself for every socket", "[io]") {
    sio_server io;
    auto& root = io.of("/");
    io.of("/other");
    crowd cr(io, 3);
    crowd others(io, 1, "/other");
    const auto f = make_frame(sio::encode_int_event_frame("/", "integer", 7));
    REQUIRE(*f == R"(42["integer",7])");
    CHECK(root.broadcast_frame(f) == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        INFO("member " << i);
        CHECK(cr[i].conn->last().data == f);
        CHECK_FALSE(cr[i].conn->last().binary);
    }
    CHECK(others[0].frames() == 1);  // another namespace hears nothing
    CHECK(cr.recipients([&] { return root.broadcast_frame(make_frame("42[\"integer\",8]")); },
                        R"(42["integer",8])") == "012");
}

TEST_CASE("reserved event names are refused by every emit", "[io]") {
    sio_server io;
    auto& root = io.of("/");
    crowd cr(io, 1);
    const auto& s = cr.sockets[0];
    const std::string name = GENERATE(as<std::string>{}, "connect", "connect_error", "disconnect", "disconnecting",
                                      "newListener", "removeListener");
    INFO("event " << name);
    CHECK_FALSE(s->emit(name, json::array{1}));
    CHECK_FALSE(s->emit_with_ack(name, json::array{}, [](json::array&) {}));
    CHECK(root.emit(name) == 0);
    CHECK(root.to("x").emit(name) == 0);
    CHECK(cr[0].frames() == 1);
    // Names only resemble them.
    CHECK(s->emit("Connect"));
    CHECK(cr[0].last() == R"(42["Connect"])");
}

TEST_CASE("close_all: every socket of the connection disconnects with the reason and leaves", "[io]") {
    sio_server io;
    auto& root = io.of("/");
    auto& custom = io.of("/custom");
    std::vector<std::string> log;
    const auto track = [&](const socket_ptr& s) {
        s->join("room");
        s->on_disconnect([&](const socket_ptr& self, std::string_view reason) {
            log.push_back(self->nsp().name() + " " + std::string(reason));
        });
    };
    root.on_connection(track);
    custom.on_connection(track);

    crowd bystander(io, 1);
    sio_conn c(io);
    const std::string sid = c.connect("/");
    c.connect("/custom");
    socket_ptr s = root.find(sid);
    REQUIRE(s != nullptr);
    CHECK(root.size() == 2);
    CHECK(custom.size() == 1);
    const std::size_t frames = c.frames();

    c.sio.close_all("ping timeout");
    CHECK(log == std::vector<std::string>{"/ ping timeout", "/custom ping timeout"});
    CHECK(root.size() == 1);
    CHECK(custom.size() == 0);
    CHECK(root.find(sid) == nullptr);
    CHECK_FALSE(s->connected());
    CHECK_FALSE(s->emit("late"));
    CHECK_FALSE(c.sio.joined_any());
    CHECK(root.to("room").emit("news") == 1);  // only the bystander
    CHECK(c.frames() == frames);               // nothing is sent on the way out

    c.sio.close_all("transport close");  // again: nothing more happens
    CHECK(log.size() == 2);
}

TEST_CASE("socket::disconnect: sends DISCONNECT, runs the handlers, and the client may rejoin", "[io]") {
    sio_server io;
    auto& custom = io.of("/custom");
    std::vector<std::string> reasons;
    custom.on_connection([&](const socket_ptr& s) {
        s->on_disconnect([&](const socket_ptr&, std::string_view r) { reasons.emplace_back(r); });
    });
    sio_conn c(io);
    const std::string sid = c.connect("/custom");
    socket_ptr s = custom.find(sid);
    REQUIRE(s != nullptr);

    s->disconnect();
    CHECK(c.last() == "41/custom,");
    CHECK(reasons == std::vector<std::string>{"server namespace disconnect"});
    CHECK(custom.size() == 0);
    s->disconnect();  // once only
    CHECK(c.frames() == 2);
    CHECK(reasons.size() == 1);

    CHECK(std::string(cause_name(c.text(R"(2/custom,["x"])"))) == "invalid_state");
    const std::string again = c.connect("/custom");
    CHECK(again != sid);
    CHECK(custom.size() == 1);
}

TEST_CASE("acks and emits to a socket whose connection is gone are dropped", "[io]") {
    sio_server io;
    ack_sender kept;
    io.of("/").on_connection([&](const socket_ptr& s) {
        s->on("later", [&](const socket_ptr&, json::array&, const ack_sender& ack) { kept = ack; });
    });
    auto c = std::make_unique<sio_conn>(io);
    const std::string sid = c->connect();
    socket_ptr s = io.of("/").find(sid);
    REQUIRE_FALSE(c->text(R"(21["later"])"));
    REQUIRE(kept.wanted());
    c.reset();  // the session ended: close_all, connection destroyed
    kept(json::array{1});
    CHECK_FALSE(s->emit("x"));
    CHECK(io.of("/").size() == 0);
}

TEST_CASE("sio_socket::emit_with_ack: outstanding acknowledgements are bounded", "[io]") {
    const std::size_t limit = GENERATE(as<std::size_t>{}, 1, 3, 1024);
    INFO("--max-pending-acks " << limit);
    sio_server io;
    beastio::server::sio_limits limits;
    limits.max_pending_acks = limit;
    io.set_limits(limits);
    io.of("/");
    crowd root(io, 1, "/");
    socket_ptr s = root.sockets[0];
    sio_conn& c = root[0];
    int called = 0;
    for (std::size_t i = 0; i < limit; ++i)
        REQUIRE(s->emit_with_ack("ask", json::array{}, [&called](json::array&) { ++called; }));
    const std::size_t frames = c.frames();
    CHECK_FALSE(s->emit_with_ack("ask", json::array{}, [&called](json::array&) { ++called; }));
    CHECK(c.frames() == frames);  // nothing sent for the refused one

    // An answer frees a slot.
    CHECK_FALSE(c.text("30[]").has_value());
    CHECK(called == 1);
    CHECK(s->emit_with_ack("ask", json::array{}, [&called](json::array&) { ++called; }));
}
