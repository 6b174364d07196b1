// The socket.io server API beyond emit and rooms, through fake connections:
// the adapter seam, socket.to / broadcast / except by id, volatile emits,
// acknowledgements with a timeout, socket.data and socket.handshake, the
// selections (fetch_sockets, sockets_join, sockets_leave, disconnect_sockets),
// on_any, disconnecting, server-wide emits and dynamic namespaces.
#include "sio_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

using beastio::server::ack_error;
using beastio::server::ack_sender;
using beastio::server::broadcast_options;
using beastio::server::broadcast_result;
using beastio::server::broadcast_packet;
using beastio::server::close_cause;
using beastio::server::connect_error;
using beastio::server::middleware_next;
using beastio::server::sio_adapter;
using beastio::server::sio_handshake;
using beastio::server::sio_memory_adapter;
using beastio::server::sio_namespace;
using beastio::server::sio_server;
using beastio::server::sio_socket;
using beastio::server::socket_ptr;
using beastio::test::crowd;
using beastio::test::js;
using beastio::test::sio_conn;
namespace json = beastio::json;
using namespace std::chrono_literals;

TEST_CASE("api: to(sid) reaches that socket, except(sid) leaves it out, socket.to and broadcast skip the sender",
          "[api]") {
    sio_server io;
    auto& root = io.of("/");
    crowd cr(io, 4);
    const auto& s = cr.sockets;
    REQUIRE(s[1]->join("r"));
    REQUIRE(s[2]->join("r"));
    REQUIRE(s[3]->join("r"));

    struct row {
        const char* what;
        std::function<std::size_t()> send;
        std::string who;
    };
    const std::vector<row> rows{
        {"to(sid)", [&] { return root.to(s[2]->id()).emit("e"); }, "2"},
        {"to(sid) twice and its room", [&] { return root.to(s[2]->id()).to(s[2]->id()).to("r").emit("e"); }, "123"},
        {"except(sid)", [&] { return root.except(s[0]->id()).emit("e"); }, "123"},
        {"socket.to(room) skips the sender", [&] { return s[1]->to("r").emit("e"); }, "23"},
        {"socket.broadcast: everyone but the sender", [&] { return s[3]->broadcast().emit("e"); }, "012"},
        {"socket.except(room)", [&] { return s[0]->except("r").emit("e"); }, ""},
        {"in() is to()", [&] { return root.in("r").except(s[3]->id()).emit("e"); }, "12"},
        {"a room nobody is in", [&] { return root.to("nobody").emit("e"); }, ""},
        {"io.to(room) is the main namespace", [&] { return io.to("r").emit("e"); }, "123"},
    };
    for (const auto& r : rows) {
        INFO(r.what);
        CHECK(cr.recipients(r.send, R"(42["e"])") == r.who);
    }
    // The implicit id rooms are not listed.
    CHECK(root.room_names() == std::vector<std::string>{"r"});
    CHECK(s[0]->rooms().empty());
    CHECK(s[0]->join(s[0]->id()));  // its own room: true, nothing changes
    CHECK(s[0]->rooms().empty());
}

TEST_CASE("api: volatile emits are dropped for a connection whose frames wait, queued otherwise", "[api]") {
    sio_server io;
    auto& root = io.of("/");
    crowd cr(io, 2);
    cr[1].conn->backlogged = true;  // frames wait to be written on the second connection
    const std::size_t before0 = cr[0].frames(), before1 = cr[1].frames();

    CHECK(root.volatile_().emit("tick", json::array{1}) == 2);  // selected: both
    CHECK(cr.sockets[0]->volatile_().emit("mine"));
    CHECK(cr.sockets[1]->volatile_().emit("mine"));
    CHECK(cr[0].frames() == before0 + 2);
    CHECK(cr[0].frame(before0) == R"(42["tick",1])");
    CHECK(cr[0].frame(before0 + 1) == R"(42["mine"])");
    CHECK(cr[1].frames() == before1);
    CHECK(cr[1].conn->dropped == 2);
    // An ordinary emit is never dropped.
    CHECK(root.emit("reliable") == 2);
    CHECK(cr[1].last() == R"(42["reliable"])");
    // socket.volatile.to(room) and .broadcast leave the sender out, as in socket.io.
    REQUIRE(cr.sockets[0]->join("r"));
    REQUIRE(cr.sockets[1]->join("r"));
    cr[1].conn->backlogged = false;
    const std::size_t mine = cr[0].frames();
    CHECK(cr.sockets[0]->volatile_().to("r").emit("room") == 1);
    CHECK(cr.sockets[0]->volatile_().broadcast().emit("all") == 1);
    CHECK(cr[0].frames() == mine);
    CHECK(cr[1].frame(cr[1].frames() - 2) == R"(42["room"])");
    CHECK(cr[1].last() == R"(42["all"])");
}

TEST_CASE("api: timeout(ms).emit_with_ack answers once: the ack, the timeout, or the disconnect", "[api]") {
    sio_server io;
    io.of("/");
    crowd cr(io, 1);
    socket_ptr s = cr.sockets[0];
    sio_conn& c = cr[0];
    std::vector<std::string> got;
    auto cb = [&got](std::string tag) {
        return [&got, tag](const std::optional<ack_error>& err, json::array& args) {
            got.push_back(tag + (err ? " error: " + err->message : " ok: " + js(args)));
        };
    };

    SECTION("the ack in time: no error, the timer is cancelled") {
        REQUIRE(s->timeout(5000ms).emit_with_ack("ask", json::array{1}, cb("a")));
        CHECK(c.last() == R"(420["ask",1])");
        REQUIRE(c.conn->timers.size() == 1);
        CHECK(c.conn->timers[0]->delay == 5000ms);
        REQUIRE_FALSE(c.text(R"(30["yes"])"));
        CHECK(got == std::vector<std::string>{R"(a ok: ["yes"])"});
        CHECK(c.conn->pending_timers() == 0);
    }
    SECTION("no ack in time: the error, and the late ack is ignored") {
        REQUIRE(s->timeout(10ms).emit_with_ack("ask", json::array{}, cb("a")));
        CHECK(c.conn->fire_timers() == 1);
        CHECK(got == std::vector<std::string>{"a error: operation has timed out"});
        REQUIRE_FALSE(c.text(R"(30["late"])"));
        CHECK(got.size() == 1);
    }
    SECTION("the socket goes first: 'socket has been disconnected'; untimed acks just never run") {
        REQUIRE(s->timeout(1000ms).emit_with_ack("ask", json::array{}, cb("timed")));
        REQUIRE(s->emit_with_ack("ask", json::array{}, [&got](json::array&) { got.push_back("untimed"); }));
        c.sio.close_all("transport close");
        CHECK(got == std::vector<std::string>{"timed error: socket has been disconnected"});
        CHECK(c.conn->pending_timers() == 0);
        CHECK_FALSE(s->timeout(10ms).emit_with_ack("ask", json::array{}, cb("after")));
        CHECK(got.size() == 1);
    }
    SECTION("timed acks count against --max-pending-acks") {
        sio_server io2;
        io2.set_limits({.max_pending_acks = 2});
        io2.of("/");
        crowd one(io2, 1);
        CHECK(one.sockets[0]->timeout(100ms).emit_with_ack("a", {}, cb("1")));
        CHECK(one.sockets[0]->emit_with_ack("a", {}, [](json::array&) {}));
        CHECK_FALSE(one.sockets[0]->timeout(100ms).emit_with_ack("a", {}, cb("3")));
        CHECK(one[0].conn->fire_timers() == 1);  // the refused one armed no timer
        CHECK(got == std::vector<std::string>{"1 error: operation has timed out"});
        CHECK(one.sockets[0]->timeout(100ms).emit_with_ack("a", {}, cb("4")));  // room again
    }
}

TEST_CASE("api: socket.data belongs to the application and lives as long as the socket", "[api]") {
    sio_server io;
    io.of("/");
    crowd cr(io, 2);
    CHECK(cr.sockets[0]->data().is_null());
    cr.sockets[0]->set_data(json::value(json::object{{"user", json::value("ada")}}));
    CHECK(js(cr.sockets[0]->data()) == R"({"user":"ada"})");
    CHECK(cr.sockets[1]->data().is_null());
    // Visible through a selection.
    const auto found = io.of("/").fetch_sockets();
    std::vector<std::string> datas;
    for (const auto& s : found) datas.push_back(js(s->data()));
    std::sort(datas.begin(), datas.end());
    CHECK(datas == std::vector<std::string>{"null", R"({"user":"ada"})"});
}

TEST_CASE("api: socket.handshake is the connection's request, shared by its namespaces", "[api]") {
    sio_server io;
    io.of("/");
    io.of("/other");
    auto hs = std::make_shared<sio_handshake>();
    hs->headers = {{"host", "example.test"}, {"user-agent", "ua/1"}, {"x-forwarded-for", "203.0.113.9"}};
    hs->query = beastio::eio::parse_query("EIO=4&transport=websocket&room=a%20b");
    hs->url = "/socket.io/?EIO=4&transport=websocket&room=a%20b";
    hs->address = "127.0.0.1";
    hs->issued_ms = 1796140028123;  // Tue, 01 Dec 2026 15:47:08 GMT
    sio_conn c(io, {}, hs);
    const auto root = io.of("/").find(c.connect("/"));
    const auto other = io.of("/other").find(c.connect("/other"));
    REQUIRE(root);
    REQUIRE(other);
    CHECK(&root->handshake() == &other->handshake());
    CHECK(root->handshake().header("User-Agent") == "ua/1");
    CHECK(root->handshake().header("X-FORWARDED-FOR") == "203.0.113.9");
    CHECK_FALSE(root->handshake().header("cookie").has_value());
    CHECK(root->handshake().query_value("room") == "a b");
    CHECK(root->handshake().query_value("EIO") == "4");
    CHECK(root->handshake().address == "127.0.0.1");
    CHECK(root->handshake().time() == "Tue, 01 Dec 2026 15:47:08 GMT");
    CHECK_FALSE(root->handshake().secure);

    // Without a request (a test, say) the handshake is empty, never a crash.
    crowd bare(io, 1);
    CHECK(bare.sockets[0]->handshake().headers.empty());
    CHECK(bare.sockets[0]->handshake().address.empty());
}

TEST_CASE("api: selections act on the chosen sockets: fetch, join, leave, disconnect", "[api]") {
    sio_server io;
    auto& root = io.of("/");
    crowd cr(io, 4);
    const auto& s = cr.sockets;
    REQUIRE(s[0]->join("a"));
    REQUIRE(s[1]->join("a"));
    REQUIRE(s[2]->join("b"));
    auto ids = [&](const std::vector<socket_ptr>& v) {
        std::string who;
        for (std::size_t i = 0; i < s.size(); ++i)
            for (const auto& x : v)
                if (x == s[i]) who += std::to_string(i);
        return who;
    };

    CHECK(ids(root.fetch_sockets()) == "0123");
    CHECK(ids(root.in("a").fetch_sockets()) == "01");
    CHECK(ids(root.in("a").in("b").except(s[1]->id()).fetch_sockets()) == "02");

    root.in("a").sockets_join({"c", "d"});
    CHECK(s[0]->rooms() == std::vector<std::string>{"a", "c", "d"});
    CHECK(s[2]->rooms() == std::vector<std::string>{"b"});
    root.except("a").sockets_join({"c"});
    CHECK(ids(root.in("c").fetch_sockets()) == "0123");
    root.in("b").sockets_leave({"c"});
    CHECK(ids(root.in("c").fetch_sockets()) == "013");
    root.sockets_leave({"d"});
    CHECK(root.room_names() == std::vector<std::string>{"a", "b", "c"});

    SECTION("disconnect_sockets: DISCONNECT for each chosen socket, the others stay") {
        root.in("a").disconnect_sockets();
        CHECK(cr[0].last() == "41");
        CHECK(cr[1].last() == "41");
        CHECK(cr[2].last() != "41");
        CHECK_FALSE(s[0]->connected());
        CHECK(s[2]->connected());
        CHECK(root.size() == 2);
        CHECK(cr[0].conn->closes.empty());  // only the namespace, not the connection
    }
    SECTION("disconnect_sockets(true) closes their connections") {
        root.in("b").disconnect_sockets(true);
        CHECK(cr[2].conn->closes == std::vector<close_cause>{close_cause::server_disconnect});
        CHECK(cr[0].conn->closes.empty());
    }
}

TEST_CASE("api: disconnect_all sends DISCONNECT on every namespace of the connection", "[api]") {
    sio_server io;
    io.of("/");
    io.of("/chat");
    sio_conn c(io);
    const auto a = io.of("/").find(c.connect("/"));
    const auto b = io.of("/chat").find(c.connect("/chat"));
    std::vector<std::string> reasons;
    a->on_disconnect([&](const socket_ptr&, std::string_view r) { reasons.push_back("/ " + std::string(r)); });
    b->on_disconnect([&](const socket_ptr&, std::string_view r) { reasons.push_back("/chat " + std::string(r)); });
    const std::size_t before = c.frames();
    c.sio.disconnect_all();
    REQUIRE(c.frames() == before + 2);
    CHECK(c.frame(before) == "41");
    CHECK(c.frame(before + 1) == "41/chat,");
    CHECK(reasons == std::vector<std::string>{"/ server namespace disconnect", "/chat server namespace disconnect"});
    CHECK_FALSE(c.sio.joined_any());
}

TEST_CASE("api: on_any sees every incoming event first, handled or not", "[api]") {
    sio_server io;
    std::vector<std::string> seen;
    io.of("/").on_connection([&](const socket_ptr& s) {
        s->on_any([&](const socket_ptr&, std::string_view event, const json::array& args) {
            seen.push_back("any " + std::string(event) + " " + js(args));
        });
        s->on("known", [&](const socket_ptr&, json::array& args, const ack_sender& ack) {
            seen.push_back("known " + js(args));
            ack(json::array{"ok"});
        });
    });
    sio_conn c(io);
    c.connect();
    REQUIRE_FALSE(c.text(R"(27["known",1,"x"])"));
    REQUIRE_FALSE(c.text(R"(2["unknown",{"a":[]}])"));
    CHECK(seen == std::vector<std::string>{R"(any known [1,"x"])", R"(known [1,"x"])", R"(any unknown [{"a":[]}])"});
    CHECK(c.last() == R"(437["ok"])");
}

TEST_CASE("api: disconnecting runs while the rooms are known, disconnect after they are left", "[api]") {
    sio_server io;
    auto& root = io.of("/");
    std::vector<std::string> log;
    root.on_connection([&](const socket_ptr& s) {
        s->join("game");
        s->on_disconnecting([&](const socket_ptr& self, std::string_view reason) {
            const auto rooms = self->rooms();
            log.push_back("disconnecting " + std::string(reason) + " rooms=" + std::to_string(rooms.size()));
            // Tell the others in its rooms; the leaving socket gets nothing more.
            for (const auto& r : rooms) self->to(r).emit("left", json::array{self->id()});
        });
        s->on_disconnect([&](const socket_ptr& self, std::string_view) {
            log.push_back("disconnect rooms=" + std::to_string(self->rooms().size()));
        });
    });
    crowd cr(io, 2);
    const std::size_t before0 = cr[0].frames();
    cr[1].sio.close_all("transport close");
    CHECK(log == std::vector<std::string>{"disconnecting transport close rooms=1", "disconnect rooms=0"});
    REQUIRE(cr[0].frames() == before0 + 1);
    CHECK(cr[0].last() == R"(42["left",")" + cr.sockets[1]->id() + R"("])");
    CHECK(root.to("game").fetch_sockets().size() == 1);
}

TEST_CASE("api: io.emit is the main namespace, emit_all_namespaces every namespace", "[api]") {
    sio_server io;
    io.of("/");
    io.of("/a");
    crowd root(io, 1, "/");
    crowd a(io, 2, "/a");
    CHECK(io.emit("x") == 1);
    CHECK(root[0].last() == R"(42["x"])");
    CHECK(io.emit_all_namespaces("y", json::array{2}) == 3);
    CHECK(root[0].last() == R"(42["y",2])");
    CHECK(a[0].last() == R"(42/a,["y",2])");
    CHECK(a[1].last() == R"(42/a,["y",2])");
    CHECK(io.namespaces().size() == 2);
    sio_server empty;
    CHECK(empty.emit("x") == 0);
}

TEST_CASE("api: dynamic namespaces are created on their first CONNECT, with the parent's handlers", "[api]") {
    sio_server io;
    io.set_limits({.max_dynamic_namespaces = 2, .max_dynamic_name_bytes = 12});
    auto& rooms = io.of(std::regex("/room-[0-9]+"));
    std::vector<std::string> connected;
    rooms.use([](const socket_ptr& s, const middleware_next& next) {
        if (s->auth().find("banned")) return next(connect_error{"banned"});
        next();
    });
    rooms.on_connection([&](const socket_ptr& s) { connected.push_back(s->nsp().name()); });
    auto& vip = io.of([](std::string_view name, const json::value& auth) {
        return name.starts_with("/vip-") && auth.find("vip") != nullptr;
    });
    vip.on_connection([&](const socket_ptr& s) { connected.push_back("vip " + s->nsp().name()); });

    sio_conn c(io);
    struct row {
        std::string packet;
        std::string reply;  // the frame the server answers with ("sid" for a CONNECT reply, "" for none)
        std::vector<std::string> exist;  // the dynamic namespaces that exist afterwards
    };
    const std::vector<row> rows{
        {"0/room-1,", "sid", {"/room-1"}},
        {"0/room-x,", R"(44/room-x,{"message":"Invalid namespace"})", {"/room-1"}},
        // Created for the CONNECT, refused by the middleware, gone again.
        {R"(0/room-22,{"banned":1})", R"(44/room-22,{"message":"banned"})", {"/room-1"}},
        {"0/vip-1,", R"(44/vip-1,{"message":"Invalid namespace"})", {"/room-1"}},  // the predicate wants auth
        {R"(0/vip-1,{"vip":true})", "sid", {"/room-1", "/vip-1"}},
        {"0/room-22,", R"(44/room-22,{"message":"Invalid namespace"})", {"/room-1", "/vip-1"}},  // 2 exist
        {"1/vip-1,", "", {"/room-1"}},  // its last socket left: removed
        {"0/room-22,", "sid", {"/room-1", "/room-22"}},
        {"0/room-1234567,", R"(44/room-1234567,{"message":"Invalid namespace"})", {"/room-1", "/room-22"}},  // 13 bytes
    };
    for (const auto& r : rows) {
        INFO(r.packet);
        const std::size_t before = c.frames();
        REQUIRE_FALSE(c.text(r.packet));
        if (r.reply.empty()) CHECK(c.frames() == before);
        else REQUIRE(c.frames() == before + 1);
        if (r.reply == "sid") CHECK(c.last().find(R"({"sid":")") != std::string::npos);
        else if (!r.reply.empty()) CHECK(c.last() == r.reply);
        std::vector<std::string> exist;
        for (const auto& nsp : io.namespaces()) exist.push_back(nsp->name());
        CHECK(exist == r.exist);
    }
    CHECK(connected == std::vector<std::string>{"/room-1", "vip /vip-1", "/room-22"});
    CHECK(rooms.children().size() == 2);
    CHECK(vip.children().empty());
    CHECK(rooms.emit("all") == 2);
    CHECK(c.last() == R"(42/room-22,["all"])");

    // A namespace the application still holds outlives its removal from the registry.
    const auto held = io.find("/room-22");
    REQUIRE(held);
    REQUIRE_FALSE(c.text("1/room-22,"));
    CHECK(io.find("/room-22") == nullptr);
    CHECK(held->size() == 0);
    CHECK(held->emit("late") == 0);
}

TEST_CASE("api: a dynamic namespace named by of() stays, and no longer counts as dynamic", "[api]") {
    sio_server io;
    io.set_limits({.max_dynamic_namespaces = 1});
    io.of(std::regex("/d[0-9]"));
    sio_conn a(io);
    a.connect("/d1");
    sio_namespace& d1 = io.of("/d1");  // the application takes a reference: it must not dangle
    a.sio.close_all("transport close");
    CHECK(io.find("/d1").get() == &d1);
    sio_conn b(io);
    b.connect("/d2");  // /d1 is not counted against the limit of 1 any more
    CHECK(d1.size() == 0);
}

TEST_CASE("api: a disconnect handler that registers another does not break the loop", "[api]") {
    sio_server io;
    std::vector<std::string> ran;
    io.of("/").on_connection([&](const socket_ptr& s) {
        s->on_disconnecting([&](const socket_ptr& self, std::string_view) {
            ran.push_back("disconnecting");
            for (int i = 0; i < 100; ++i) self->on_disconnecting([&](const socket_ptr&, std::string_view) { ran.push_back("late"); });
        });
        s->on_disconnect([&](const socket_ptr& self, std::string_view) {
            ran.push_back("disconnect");
            self->on_disconnect([&](const socket_ptr&, std::string_view) { ran.push_back("late"); });
        });
    });
    sio_conn c(io);
    c.connect();
    c.sio.close_all("transport close");
    CHECK(ran == std::vector<std::string>{"disconnecting", "disconnect"});  // late ones never run
}

TEST_CASE("api: a dynamic namespace goes with the connection that held it", "[api]") {
    sio_server io;
    io.set_limits({.max_dynamic_namespaces = 1});
    io.of(std::regex("/d[0-9]"));
    {
        sio_conn a(io);
        a.connect("/d1");
        CHECK(io.find("/d1") != nullptr);
        sio_conn b(io);
        REQUIRE_FALSE(b.text("0/d2,"));
        CHECK(b.last() == R"(44/d2,{"message":"Invalid namespace"})");
        b.connect("/d1");  // the same one: no limit
    }  // both connections end
    CHECK(io.namespaces().empty());
    sio_conn c(io);
    c.connect("/d2");
}

namespace {

// An adapter that records each call and delegates to the in-memory one.
class recording_adapter final : public sio_adapter {
public:
    recording_adapter(sio_namespace& nsp, std::vector<std::string>& log) : sio_adapter(nsp), inner_(nsp), log_(log) {}
    void add_socket(const socket_ptr& s) override { log_.push_back("add"); inner_.add_socket(s); }
    void remove_socket(sio_socket& s, bool keep) override {
        log_.push_back("remove");
        inner_.remove_socket(s, keep);
    }
    join_result join(const std::string& sid, const std::string& room, std::size_t max) override {
        log_.push_back("join " + room);
        return inner_.join(sid, room, max);
    }
    void leave(const std::string& sid, const std::string& room) override {
        log_.push_back("leave " + room);
        inner_.leave(sid, room);
    }
    std::vector<std::string> socket_rooms(const std::string& sid) const override { return inner_.socket_rooms(sid); }
    broadcast_result broadcast(const broadcast_packet& p, const broadcast_options& o) override {
        std::string rooms;
        for (const auto& r : o.rooms) rooms += r.size() == 20 ? "<sid>" : r;
        log_.push_back("broadcast rooms=" + rooms + " except=" + std::to_string(o.except.size()) +
                       (o.is_volatile ? " volatile" : "") + (o.local ? " local" : "") + " " + *p.frames().front().data);
        return inner_.broadcast(p, o);
    }
    void unicast(sio_socket& s, const broadcast_packet& p, bool is_volatile) override {
        log_.push_back(std::string("unicast ") + (is_volatile ? "volatile " : "") + *p.frames().front().data);
        inner_.unicast(s, p, is_volatile);
    }
    std::vector<socket_ptr> sockets(const broadcast_options& o) const override { return inner_.sockets(o); }
    std::size_t size() const override { return inner_.size(); }
    socket_ptr find(const std::string& sid) const override { return inner_.find(sid); }
    std::vector<std::string> rooms() const override { return inner_.rooms(); }

private:
    sio_memory_adapter inner_;
    std::vector<std::string>& log_;
};

}  // namespace

TEST_CASE("api: every emit path goes through the namespace's adapter", "[api]") {
    std::vector<std::string> log;
    sio_server io;
    io.set_adapter_factory([&log](sio_namespace& nsp) { return std::make_unique<recording_adapter>(nsp, log); });
    auto& root = io.of("/");
    crowd cr(io, 2);
    REQUIRE(cr.sockets[0]->join("r"));
    log.clear();

    cr.sockets[0]->emit("private");
    root.emit("all");
    root.to("r").local().emit("room");
    cr.sockets[1]->to("r").emit("from-1");
    cr.sockets[0]->volatile_().emit("v");
    io.emit("server");
    root.broadcast_frame(beastio::server::make_frame("42[\"integer\",1]"));
    root.in("r").sockets_join({"s"});
    cr[1].sio.close_all("transport close");
    CHECK(log == std::vector<std::string>{
                     R"(unicast 42["private"])",
                     R"(broadcast rooms= except=0 42["all"])",
                     R"(broadcast rooms=r except=0 local 42["room"])",
                     R"(broadcast rooms=r except=1 42["from-1"])",
                     R"(unicast volatile 42["v"])",
                     R"(broadcast rooms= except=0 42["server"])",
                     R"(broadcast rooms= except=0 42["integer",1])",
                     "join s",
                     "remove",
                 });
    CHECK(cr[0].last() == R"(42["integer",1])");
}
