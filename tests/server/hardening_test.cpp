// The Socket.IO layer under hostile or failing input, through the fake
// connection: middleware (pass, refuse with data, asynchronous, twice, after
// the connection is gone), the namespace and room limits, handlers that
// throw, a join that races a disconnect, and binary packets over the limit.
#include "sio_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

using beastio::server::close_cause;
using beastio::server::connect_error;
using beastio::server::sio_limits;
using beastio::server::sio_server;
using beastio::server::middleware_next;
using beastio::server::socket_ptr;
using beastio::test::cause_name;
using beastio::test::sid_of_reply;
using beastio::test::sio_conn;
namespace json = beastio::json;

TEST_CASE("middleware: runs in order, server-wide first, and all passing gives the CONNECT reply", "[middleware]") {
    sio_server io;
    std::vector<std::string> order;
    io.use([&](const socket_ptr&, const middleware_next& next) { order.push_back("io"); next(); });
    auto& root = io.of("/");
    root.use([&](const socket_ptr&, const middleware_next& next) { order.push_back("nsp1"); next(); });
    root.use([&](const socket_ptr&, const middleware_next& next) { order.push_back("nsp2"); next(); });
    root.on_connection([&](const socket_ptr&) { order.push_back("connection"); });
    sio_conn c(io);
    c.connect("/");
    CHECK(order == std::vector<std::string>{"io", "nsp1", "nsp2", "connection"});
    CHECK(root.size() == 1);
}

TEST_CASE("middleware: refusing sends CONNECT_ERROR with message and data and the connection stays", "[middleware]") {
    sio_server io;
    auto& root = io.of("/");
    io.of("/admin").use([](const socket_ptr& s, const middleware_next& next) {
        const json::value* role = s->auth().find("role");
        if (role && role->is_string() && role->as_string() == "admin") return next();
        next(connect_error{"forbidden", json::value(json::object{{"need", "admin"}})});
    });
    root.use([](const socket_ptr&, const middleware_next& next) { next(connect_error{"closed today"}); });
    bool connected = false;
    io.of("/admin").on_connection([&](const socket_ptr&) { connected = true; });

    sio_conn c(io);
    REQUIRE_FALSE(c.text("0/admin,{\"role\":\"guest\"}"));
    CHECK(c.last() == R"(44/admin,{"message":"forbidden","data":{"need":"admin"}})");
    REQUIRE_FALSE(c.text("0"));
    CHECK(c.last() == R"(44{"message":"closed today"})");
    CHECK(c.conn->closes.empty());
    CHECK_FALSE(connected);
    CHECK(io.of("/admin").size() == 0);
    CHECK_FALSE(c.sio.joined_any());
    // The client may try again with better credentials.
    REQUIRE_FALSE(c.text("0/admin,{\"role\":\"admin\"}"));
    CHECK(sid_of_reply(c.last(), "/admin").size() == 20);
    CHECK(connected);
}

TEST_CASE("middleware: next() may come later, and meanwhile the namespace is not joined", "[middleware]") {
    sio_server io;
    std::vector<middleware_next> held;
    io.of("/").use([&](const socket_ptr&, const middleware_next& next) { held.push_back(next); });
    sio_conn c(io);

    REQUIRE_FALSE(c.text("0"));
    CHECK(c.frames() == 0);  // no reply yet
    CHECK_FALSE(c.sio.joined_any());
    REQUIRE(held.size() == 1);

    SECTION("an event before the reply is an invalid state, as in socket.io") {
        CHECK(c.text("2[\"early\"]") == close_cause::invalid_state);
    }
    SECTION("a second CONNECT while the first waits is an invalid state") {
        CHECK(c.text("0") == close_cause::invalid_state);
    }
    SECTION("passing later completes the CONNECT; calling next again does nothing") {
        held[0]();
        REQUIRE(c.frames() == 1);
        CHECK(sid_of_reply(c.frame(0), "/").size() == 20);
        CHECK(c.sio.joined_any());
        held[0]();
        held[0](connect_error{"too late"});
        CHECK(c.frames() == 1);
        CHECK(io.of("/").size() == 1);
    }
    SECTION("refusing later sends CONNECT_ERROR") {
        held[0](connect_error{"no"});
        REQUIRE(c.frames() == 1);
        CHECK(c.frame(0) == R"(44{"message":"no"})");
        CHECK(io.of("/").size() == 0);
    }
    SECTION("a connection that ended first makes a late next() harmless") {
        c.sio.close_all("transport close");
        held[0]();
        CHECK(c.frames() == 0);
        CHECK(io.of("/").size() == 0);
    }
}

TEST_CASE("middleware: a socket may join rooms in middleware, and a refusal leaves them", "[middleware]") {
    sio_server io;
    auto& root = io.of("/");
    bool refuse = true;
    root.use([&](const socket_ptr& s, const middleware_next& next) {
        s->join("early");
        if (refuse) next(connect_error{"no"});
        else next();
    });
    sio_conn a(io);
    REQUIRE_FALSE(a.text("0"));
    CHECK(root.to("early").emit("x") == 0);
    refuse = false;
    sio_conn b(io);
    b.connect("/");
    CHECK(root.to("early").emit("x") == 1);
    CHECK(b.last() == R"(42["x"])");
}

TEST_CASE("middleware: one that throws closes the connection with handler_error", "[middleware]") {
    sio_server io;
    io.of("/").use([](const socket_ptr&, const middleware_next&) { throw std::runtime_error("database down"); });
    sio_conn c(io);
    REQUIRE_FALSE(c.text("0"));
    REQUIRE(c.conn->closes.size() == 1);
    CHECK(c.conn->closes[0] == close_cause::handler_error);
    CHECK(c.frames() == 0);
}

TEST_CASE("limits: namespaces per connection (--max-namespaces)", "[limits]") {
    sio_server io;
    sio_limits l;
    l.max_namespaces = 2;
    io.set_limits(l);
    io.of("/");
    io.of("/a");
    io.of("/b");
    sio_conn c(io);
    c.connect("/");
    c.connect("/a");
    REQUIRE_FALSE(c.text("0/b,"));
    CHECK(c.last() == R"x(44/b,{"message":"too many namespaces on one connection (at most 2)"})x");
    CHECK(c.conn->closes.empty());
    CHECK(io.of("/b").size() == 0);
    // Leaving one frees a place.
    REQUIRE_FALSE(c.text("1/a,"));
    c.connect("/b");
    CHECK(io.of("/b").size() == 1);
}

TEST_CASE("limits: rooms per socket (--max-rooms-per-socket)", "[limits]") {
    sio_server io;
    sio_limits l;
    l.max_rooms_per_socket = 3;
    io.set_limits(l);
    auto& root = io.of("/");
    sio_conn c(io);
    const auto s = root.find(c.connect("/"));
    REQUIRE(s);
    CHECK(s->join("a"));
    CHECK(s->join("b"));
    CHECK(s->join("c"));
    CHECK(s->join("a"));  // already in it: fine, nothing added
    CHECK_FALSE(s->join("d"));
    CHECK(s->rooms() == std::vector<std::string>{"a", "b", "c"});
    CHECK(root.to("d").emit("x") == 0);
    s->leave("b");
    CHECK(s->join("d"));
    CHECK(s->rooms() == std::vector<std::string>{"a", "c", "d"});
}

TEST_CASE("rooms: a join after the socket left its namespace changes nothing (join racing a disconnect)", "[limits]") {
    // The race: a thread checks the socket is connected, the connection ends
    // and the socket leaves every room, then the join lands. Before the fix
    // that left a room entry behind for a socket that no longer exists.
    sio_server io;
    auto& root = io.of("/");
    socket_ptr s;
    {
        sio_conn c(io);
        s = root.find(c.connect("/"));
        REQUIRE(s);
        REQUIRE(s->join("r"));
    }  // the connection ends: close_all
    CHECK_FALSE(s->connected());
    CHECK_FALSE(s->join("r"));
    CHECK_FALSE(s->join("late"));
    CHECK(s->rooms().empty());
    CHECK(root.to("late").emit("x") == 0);
    CHECK(root.to("r").emit("x") == 0);
    CHECK(root.room_names().empty());
}

TEST_CASE("rooms: joins from another thread racing the disconnect leave no room behind", "[limits]") {
    sio_server io;
    auto& root = io.of("/");
    for (int round = 0; round < 3000; ++round) {
        auto c = std::make_unique<sio_conn>(io);
        const auto s = root.find(c->connect("/"));
        REQUIRE(s);
        std::atomic<bool> go{false};
        std::thread joiner([&] {
            while (!go.load()) {
            }
            for (int i = 0; s->join("r" + std::to_string(i % 8)); ++i) {
            }
        });
        go = true;
        c.reset();  // the connection ends while the other thread joins
        joiner.join();
        INFO("round " << round);
        REQUIRE(root.room_names().empty());
        REQUIRE(root.size() == 0);
    }
}

TEST_CASE("handlers that throw close only their own connection with handler_error", "[limits]") {
    sio_server io;
    auto& root = io.of("/");
    root.on_connection([](const socket_ptr& s) {
        s->on("boom", [](const socket_ptr&, json::array&, const beastio::server::ack_sender&) {
            throw std::runtime_error("handler bug");
        });
        s->on("odd", [](const socket_ptr&, json::array&, const beastio::server::ack_sender&) { throw 42; });
        s->on("fine", [](const socket_ptr& self, json::array& args, const beastio::server::ack_sender&) {
            self->emit("ok", args);
        });
    });
    sio_conn bad(io);
    sio_conn good(io);
    bad.connect("/");
    good.connect("/");

    SECTION("std::exception") { CHECK_FALSE(bad.text("2[\"boom\"]")); }
    SECTION("anything else") { CHECK_FALSE(bad.text("2[\"odd\"]")); }
    REQUIRE(bad.conn->closes.size() == 1);
    CHECK(bad.conn->closes[0] == close_cause::handler_error);
    CHECK(good.conn->closes.empty());
    CHECK_FALSE(good.text("2[\"fine\",1]"));
    CHECK(good.last() == R"(42["ok",1])");
}

TEST_CASE("a connection handler or an ack callback that throws closes its connection", "[limits]") {
    sio_server io;
    SECTION("connection handler") {
        io.of("/").on_connection([](const socket_ptr&) { throw std::logic_error("bad setup"); });
        sio_conn c(io);
        c.connect("/");
        REQUIRE(c.conn->closes.size() == 1);
        CHECK(c.conn->closes[0] == close_cause::handler_error);
    }
    SECTION("ack callback") {
        auto& root = io.of("/");
        sio_conn c(io);
        const auto s = root.find(c.connect("/"));
        REQUIRE(s->emit_with_ack("q", {}, [](json::array&) { throw std::runtime_error("ack bug"); }));
        CHECK_FALSE(c.text("30[]"));
        REQUIRE(c.conn->closes.size() == 1);
        CHECK(c.conn->closes[0] == close_cause::handler_error);
    }
    SECTION("a disconnect handler that throws is logged; the other handlers still run") {
        int ran = 0;
        io.of("/").on_connection([&](const socket_ptr& s) {
            s->on_disconnect([](const socket_ptr&, std::string_view) { throw std::runtime_error("x"); });
            s->on_disconnect([&](const socket_ptr&, std::string_view) { ++ran; });
        });
        {
            sio_conn c(io);
            c.connect("/");
        }
        CHECK(ran == 1);
        CHECK(io.of("/").size() == 0);
    }
}

TEST_CASE("a binary packet whose attachments exceed the limit closes as too big", "[limits]") {
    sio_server io;
    io.of("/");
    beastio::sio::decode_options o;
    o.max_packet_bytes = 100;
    sio_conn c(io, o);
    c.connect("/");
    REQUIRE_FALSE(c.text(R"(52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"));
    CHECK(c.sio.binary_pending());
    REQUIRE_FALSE(c.binary(std::string(60, 'a')));
    const auto r = c.binary(std::string(41, 'b'));
    INFO(cause_name(r));
    CHECK(r == close_cause::too_big);
    CHECK_FALSE(c.sio.binary_pending());
}

TEST_CASE("the amplification packet closes only its own connection, with decode_error", "[limits]") {
    sio_server io;
    io.of("/").on_connection([](const socket_ptr& s) {
        s->on("message", [](const socket_ptr& self, json::array& args, const beastio::server::ack_sender&) {
            self->emit("message-back", args);
        });
    });
    sio_conn c(io);
    c.connect("/");
    std::string header = R"(51-["message")";
    for (int i = 0; i < 20000; ++i) header += R"(,{"_placeholder":true,"num":0})";
    header += "]";
    REQUIRE_FALSE(c.text(header));
    const auto r = c.binary(std::string(900 * 1024, 'A'));
    INFO(cause_name(r));
    CHECK(r == close_cause::decode_error);
    CHECK(c.sio.last_error().find("placeholders") != std::string::npos);
}

TEST_CASE("limits: room names longer than --max-room-name-bytes are refused", "[limits]") {
    sio_server io;
    sio_limits l;
    l.max_room_name_bytes = 8;
    io.set_limits(l);
    auto& root = io.of("/");
    sio_conn c(io);
    const auto s = root.find(c.connect("/"));
    CHECK(s->join(std::string(8, 'r')));
    CHECK_FALSE(s->join(std::string(9, 'r')));
    CHECK(root.room_names() == std::vector<std::string>{std::string(8, 'r')});
}

namespace {

// A connection whose queue is "full": the first delivery closes the
// connection, as ws_session does on overflow (start_close -> close_all).
class full_connection final : public beastio::server::connection {
public:
    void deliver(beastio::server::out_frame) override { overflow(); }
    void deliver(std::span<const beastio::server::out_frame>) override { overflow(); }
    void deliver_volatile(std::span<const beastio::server::out_frame>) override {}  // dropped: the queue is full
    void close(close_cause) override {}
    void run_on_strand(std::function<void()> f) override { f(); }
    cancel_fn run_after(std::chrono::milliseconds, std::function<void()>) override { return [] {}; }
    beastio::server::sio_client* client = nullptr;
    int deliveries = 0;

private:
    void overflow() {
        ++deliveries;
        if (client) client->close_all("forced close");
    }
};

}  // namespace

TEST_CASE("a CONNECT whose reply closes the connection does not leave a socket in the namespace", "[limits]") {
    // Found in review: a client that filled its send queue and then sent a
    // CONNECT left a finished socket in the namespace forever.
    sio_server io;
    auto& root = io.of("/");
    bool handler_ran = false;
    root.on_connection([&](const socket_ptr&) { handler_ran = true; });
    auto conn = std::make_shared<full_connection>();
    beastio::server::sio_client client(io, conn, {});
    conn->client = &client;
    CHECK_FALSE(client.on_text("0"));
    CHECK(conn->deliveries == 1);
    CHECK(root.size() == 0);
    CHECK_FALSE(handler_ran);
    CHECK(root.emit("x") == 0);
}
