// sio_client, the Socket.IO side of one connection, driven packet by packet
// with a fake connection: CONNECT replies and errors, the state rules that
// close the connection, decode errors, events, acks and binary reassembly.
// Every expected frame is written out byte for byte.
#include "sio_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using beastio::server::ack_sender;
using beastio::server::close_cause;
using beastio::server::sio_server;
using beastio::server::socket_ptr;
using beastio::test::cause_name;
using beastio::test::is_id_char;
using beastio::test::js;
using beastio::test::sid_of_reply;
using beastio::test::sio_conn;
namespace json = beastio::json;

TEST_CASE("sio_client: CONNECT to / is answered 40{sid} with a fresh 20-char id", "[sio_client]") {
    sio_server io;
    auto& root = io.of("/");
    sio_conn c(io);
    CHECK_FALSE(c.sio.joined_any());

    REQUIRE_FALSE(c.text("0"));
    REQUIRE(c.frames() == 1);
    CHECK_FALSE(c.conn->transcript[0].binary);
    const std::string sid = sid_of_reply(c.frame(0), "/");
    INFO("reply " << c.frame(0));
    REQUIRE(sid.size() == 20);
    for (char ch : sid) CHECK(is_id_char(ch));
    CHECK(c.frame(0) == "40{\"sid\":\"" + sid + "\"}");

    CHECK(c.sio.joined_any());
    CHECK(root.size() == 1);
    REQUIRE(root.find(sid) != nullptr);
    CHECK(root.find(sid)->id() == sid);
    CHECK(js(root.find(sid)->auth()) == "{}");
    CHECK(c.conn->closes.empty());

    // Another connection gets another id.
    sio_conn d(io);
    CHECK(d.connect() != sid);
    CHECK(root.size() == 2);
}

TEST_CASE("sio_client: CONNECT with auth and to a custom namespace", "[sio_client]") {
    sio_server io;
    io.of("/");
    io.of("/custom");
    std::vector<std::string> auths;
    io.of("/").on_connection([&](const socket_ptr& s) { auths.push_back(js(s->auth())); });
    io.of("/custom").on_connection([&](const socket_ptr& s) { auths.push_back(js(s->auth())); });

    sio_conn c(io);
    REQUIRE_FALSE(c.text("0{\"token\":\"123\"}"));
    REQUIRE_FALSE(c.text("0/custom,{\"token\":\"abc\",\"n\":1.50}"));
    REQUIRE(c.frames() == 2);
    CHECK(sid_of_reply(c.frame(0), "/").size() == 20);
    CHECK(sid_of_reply(c.frame(1), "/custom").size() == 20);
    CHECK(sid_of_reply(c.frame(0), "/") != sid_of_reply(c.frame(1), "/custom"));
    CHECK(auths == std::vector<std::string>{"{\"token\":\"123\"}", "{\"token\":\"abc\",\"n\":1.50}"});
    CHECK(io.of("/custom").size() == 1);

    // The namespace may also be written without the trailing comma.
    sio_conn d(io);
    REQUIRE_FALSE(d.text("0/custom"));
    REQUIRE(d.frames() == 1);
    CHECK(sid_of_reply(d.frame(0), "/custom").size() == 20);
}

TEST_CASE("sio_client: CONNECT to an unknown namespace gets CONNECT_ERROR and the connection stays", "[sio_client]") {
    sio_server io;
    io.of("/");
    sio_conn c(io);

    REQUIRE_FALSE(c.text("0/random,"));
    REQUIRE(c.frames() == 1);
    CHECK(c.frame(0) == R"(44/random,{"message":"Invalid namespace"})");
    REQUIRE_FALSE(c.text("0/random"));
    CHECK(c.frame(1) == R"(44/random,{"message":"Invalid namespace"})");
    CHECK(c.conn->closes.empty());
    CHECK_FALSE(c.sio.joined_any());
    CHECK(io.find("/random") == nullptr);  // a refused CONNECT creates nothing

    // The client may try again, on a namespace that exists.
    c.connect("/");
    CHECK(c.sio.joined_any());
}

TEST_CASE("sio_client: with no namespace at all even / is unknown", "[sio_client]") {
    sio_server io;
    sio_conn c(io);
    REQUIRE_FALSE(c.text("0"));
    REQUIRE(c.frames() == 1);
    CHECK(c.frame(0) == R"(44{"message":"Invalid namespace"})");
}

TEST_CASE("sio_client: packets not allowed in the current state close with invalid_state", "[sio_client]") {
    struct row {
        std::vector<std::string> before;  // accepted first
        std::string packet;
    };
    const auto r = GENERATE(values<row>({
        // a second CONNECT to a joined namespace
        {{"0"}, "0"},
        {{"0"}, "0{\"token\":1}"},
        {{"0/custom,"}, "0/custom,"},
        {{"0/custom,"}, "0/custom"},
        // anything but CONNECT before joining
        {{}, "2[\"x\"]"},
        {{}, "1"},
        {{}, "30[]"},
        {{}, "2/custom,[\"x\"]"},
        {{"0"}, "2/custom,[\"x\"]"},
        {{"0"}, "1/custom,"},
        {{"0"}, "3/custom,1[]"},
        {{"0/custom,"}, "2[\"x\"]"},
        // CONNECT_ERROR is for servers only
        {{}, "4{\"message\":\"x\"}"},
        {{"0"}, "4{\"message\":\"x\"}"},
        {{"0"}, "4\"nope\""},
        // DISCONNECT, then anything but CONNECT on that namespace
        {{"0", "1"}, "2[\"x\"]"},
        {{"0", "1"}, "1"},
        {{"0", "1"}, "31[]"},
        {{"0/custom,", "1/custom,"}, "2/custom,[\"x\"]"},
        // a binary event for a namespace not joined closes once it is complete
        {{"51-[\"x\",{\"_placeholder\":true,\"num\":0}]"}, ""},
    }));
    std::string trail;
    for (const auto& b : r.before) trail += b + " | ";
    INFO("after " << trail << "packet '" << r.packet << "'");

    sio_server io;
    io.of("/");
    io.of("/custom");
    sio_conn c(io);
    for (const auto& b : r.before) REQUIRE_FALSE(c.text(b));
    const std::size_t frames_before = c.frames();
    const auto verdict = r.packet.empty() ? c.binary("\x01") : c.text(r.packet);
    CHECK(std::string(cause_name(verdict)) == "invalid_state");
    CHECK_FALSE(c.sio.last_error().empty());
    CHECK(c.frames() == frames_before);  // nothing is written in answer
}

TEST_CASE("sio_client: malformed packets close with decode_error", "[sio_client]") {
    struct row {
        std::string packet;
        bool binary = false;  // sent as a binary message instead of text
    };
    const auto r = GENERATE(values<row>({
        {""},                                    // empty
        {"7"},                                   // unknown type
        {"abc"},
        {"2"},                                   // EVENT without payload
        {"2{}"},                                 // payload not an array
        {"2abc[\"x\"]"},
        {"2[]"},
        {"2[\"x\""},                             // broken JSON
        {"2[null]"},                             // name neither string nor number
        {"2[\"disconnect\"]"},                   // reserved names
        {"2[\"connect\",1]"},
        {"2[\"newListener\"]"},
        {"0\"str\""},                            // CONNECT payload not an object
        {"0[1]"},
        {"0/custom,\"x\""},
        {"1{}"},                                 // DISCONNECT with payload
        {"3"},                                   // ACK without payload
        {"31{}"},
        {"4"},                                   // CONNECT_ERROR without payload
        {"5[\"x\"]"},                            // binary type without "<n>-"
        {"511-[\"x\"]"},                         // more than 10 attachments
        {"29007199254740992[\"x\"]"},            // ack id above 2^53-1
        {"\x01\x02", true},                      // binary with nothing expected
        {"51-[\"x\",{\"_placeholder\":true,\"num\":1}]"},  // the placeholder index is checked once complete
    }));
    INFO("packet '" << r.packet << "'" << (r.binary ? " (binary)" : ""));
    sio_server io;
    io.of("/");
    io.of("/custom");
    sio_conn c(io);
    c.connect("/");
    auto verdict = r.binary ? c.binary(r.packet) : c.text(r.packet);
    if (!verdict && !r.binary && r.packet.rfind("51-", 0) == 0) verdict = c.binary("\x01");
    CHECK(std::string(cause_name(verdict)) == "decode_error");
    CHECK_FALSE(c.sio.last_error().empty());
    CHECK(c.frames() == 1);
}

TEST_CASE("sio_client: a text packet while attachments are pending is a decode error", "[sio_client]") {
    sio_server io;
    io.of("/");
    sio_conn c(io);
    c.connect();
    REQUIRE_FALSE(c.text("52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"));
    REQUIRE_FALSE(c.binary("a"));
    CHECK(std::string(cause_name(c.text("2[\"y\"]"))) == "decode_error");
}

TEST_CASE("sio_client: DISCONNECT leaves the namespace quietly and runs the disconnect handlers", "[sio_client]") {
    sio_server io;
    auto& root = io.of("/");
    std::vector<std::string> reasons;
    root.on_connection([&](const socket_ptr& s) {
        s->on_disconnect([&](const socket_ptr&, std::string_view reason) { reasons.emplace_back(reason); });
    });
    sio_conn c(io);
    const std::string sid = c.connect();
    REQUIRE(root.size() == 1);

    REQUIRE_FALSE(c.text("1"));
    CHECK(c.frames() == 1);  // no reply
    CHECK(reasons == std::vector<std::string>{"client namespace disconnect"});
    CHECK(root.size() == 0);
    CHECK(root.find(sid) == nullptr);
    CHECK_FALSE(c.sio.joined_any());
    CHECK(c.conn->closes.empty());

    // Joining again gives a new socket.
    const std::string again = c.connect();
    CHECK(again != sid);
    CHECK(root.size() == 1);
}

TEST_CASE("sio_client: the CONNECT reply precedes what the connection handler emits", "[sio_client]") {
    sio_server io;
    io.of("/").on_connection([](const socket_ptr& s) {
        s->emit("auth", json::array{s->auth()});
        s->emit("hello");
    });
    io.of("/custom").on_connection([](const socket_ptr& s) { s->emit("auth", json::array{s->auth()}); });
    sio_conn c(io);

    const std::string sid = c.connect("/");
    REQUIRE(c.frames() == 3);
    CHECK(c.frame(0) == "40{\"sid\":\"" + sid + "\"}");
    CHECK(c.frame(1) == R"(42["auth",{}])");
    CHECK(c.frame(2) == R"(42["hello"])");

    REQUIRE_FALSE(c.text(R"(0/custom,{"token":"abc"})"));
    REQUIRE(c.frames() == 5);
    CHECK(sid_of_reply(c.frame(3), "/custom").size() == 20);
    CHECK(c.frame(4) == R"(42/custom,["auth",{"token":"abc"}])");
}

TEST_CASE("sio_client: a connection handler that disconnects stops the later handlers", "[sio_client]") {
    sio_server io;
    int later = 0;
    io.of("/").on_connection([](const socket_ptr& s) { s->disconnect(); });
    io.of("/").on_connection([&](const socket_ptr&) { ++later; });
    sio_conn c(io);
    c.connect();
    REQUIRE(c.frames() == 2);
    CHECK(c.frame(1) == "41");
    CHECK(later == 0);
    CHECK(io.of("/").size() == 0);
    CHECK_FALSE(c.sio.joined_any());
}

TEST_CASE("sio_client: event handlers get the arguments without the name and ack once", "[sio_client]") {
    sio_server io;
    std::vector<std::string> seen;     // "<name>: <args> wanted=<bool>"
    ack_sender kept;
    io.of("/").on_connection([&](const socket_ptr& s) {
        s->on("message", [&](const socket_ptr& self, json::array& args, const ack_sender& ack) {
            seen.push_back("message: " + js(args) + " wanted=" + (ack.wanted() ? "1" : "0"));
            ack(args);  // no ack was asked: sends nothing
            self->emit("message-back", args);
        });
        s->on("message-with-ack", [&](const socket_ptr&, json::array& args, const ack_sender& ack) {
            seen.push_back("message-with-ack: " + js(args) + " wanted=" + (ack.wanted() ? "1" : "0"));
            ack(args);
            ack(json::array{"second"});  // ignored
        });
        s->on("empty-ack", [](const socket_ptr&, json::array&, const ack_sender& ack) { ack(); });
        s->on("later", [&](const socket_ptr&, json::array&, const ack_sender& ack) { kept = ack; });
        s->on("1", [&](const socket_ptr&, json::array& args, const ack_sender&) {
            seen.push_back("1: " + js(args));
        });
    });
    sio_conn c(io);
    c.connect();

    REQUIRE_FALSE(c.text(R"(2["message",1,"2",{"3":[true]}])"));
    REQUIRE(c.frames() == 2);
    CHECK(c.frame(1) == R"(42["message-back",1,"2",{"3":[true]}])");

    REQUIRE_FALSE(c.text(R"(2456["message-with-ack",1,"2",{"3":[false]}])"));
    REQUIRE(c.frames() == 3);
    CHECK(c.frame(2) == R"(43456[1,"2",{"3":[false]}])");

    REQUIRE_FALSE(c.text(R"(20["empty-ack"])"));
    REQUIRE(c.frames() == 4);
    CHECK(c.frame(3) == "430[]");

    // An ack kept and answered after the handler returned.
    REQUIRE_FALSE(c.text(R"(27["later",true])"));
    CHECK(c.frames() == 4);
    kept(json::array{"done", nullptr});
    kept(json::array{"twice"});
    REQUIRE(c.frames() == 5);
    CHECK(c.frame(4) == R"(437["done",null])");

    // A numeric event name, and an event nobody listens to.
    REQUIRE_FALSE(c.text("2[1,2]"));
    REQUIRE_FALSE(c.text(R"(2["nobody-listens",1])"));
    REQUIRE_FALSE(c.text(R"(29["nobody-listens"])"));
    CHECK(c.frames() == 5);

    CHECK(seen == std::vector<std::string>{
                      R"(message: [1,"2",{"3":[true]}] wanted=0)",
                      R"(message-with-ack: [1,"2",{"3":[false]}] wanted=1)",
                      "1: [2]",
                  });
    CHECK(c.conn->closes.empty());
}

TEST_CASE("sio_client: acks in a custom namespace carry it", "[sio_client]") {
    sio_server io;
    io.of("/admin").on_connection([](const socket_ptr& s) {
        s->on("foo", [](const socket_ptr&, json::array&, const ack_sender& ack) { ack(json::array{"bar"}); });
    });
    sio_conn c(io);
    c.connect("/admin");
    REQUIRE_FALSE(c.text(R"(2/admin,13["foo"])"));
    REQUIRE(c.frames() == 2);
    CHECK(c.frame(1) == R"(43/admin,13["bar"])");
}

TEST_CASE("sio_client: a handler may disconnect its own socket (its captures stay alive while it runs)", "[sio_client]") {
    // The handler below holds the only reference to `token`. If the socket
    // destroyed its handler table while the handler was running, the token
    // would be released before the handler returned.
    static std::weak_ptr<int> probe;
    static bool alive_after_disconnect = false;
    alive_after_disconnect = false;
    sio_server io;
    io.of("/").on_connection([](const socket_ptr& s) {
        auto token = std::make_shared<int>(42);
        probe = token;
        s->on("bye", [token](const socket_ptr& self, json::array&, const ack_sender&) {
            self->disconnect();
            alive_after_disconnect = !probe.expired();
        });
    });
    sio_conn c(io);
    c.connect();
    REQUIRE_FALSE(c.text(R"(2["bye"])"));
    REQUIRE(c.frames() == 2);
    CHECK(c.frame(1) == "41");
    CHECK(alive_after_disconnect);
    CHECK(probe.expired());  // released once the handler is done
    CHECK(std::string(cause_name(c.text(R"(2["bye"])"))) == "invalid_state");
}

TEST_CASE("sio_client: binary events are reassembled and binary replies are one unit of frames", "[sio_client]") {
    sio_server io;
    int calls = 0;
    std::vector<std::string> received;
    const auto setup = [&](const socket_ptr& s) {
        s->on("bin", [&](const socket_ptr& self, json::array& args, const ack_sender&) {
            ++calls;
            for (const auto& a : args)
                received.push_back(a.is_binary() ? "bin:" + a.as_binary().bytes() : js(a));
            self->emit("bin-back", args);
        });
        s->on("bin-ack", [&](const socket_ptr&, json::array& args, const ack_sender& ack) { ack(args); });
    };
    io.of("/").on_connection(setup);
    io.of("/custom").on_connection(setup);
    sio_conn c(io);
    c.connect();

    SECTION("one attachment") {
        REQUIRE_FALSE(c.text(R"(51-["bin",{"_placeholder":true,"num":0}])"));
        CHECK(calls == 0);  // waiting for the attachment
        CHECK(c.frames() == 1);
        REQUIRE_FALSE(c.binary(std::string("\x01\x02\x03", 3)));
        CHECK(calls == 1);
        CHECK(received == std::vector<std::string>{"bin:\x01\x02\x03"});
        REQUIRE(c.frames() == 3);
        CHECK(c.frame(1) == R"(451-["bin-back",{"_placeholder":true,"num":0}])");
        CHECK_FALSE(c.conn->transcript[1].binary);
        CHECK(c.conn->transcript[2].binary);
        CHECK(c.conn->transcript[2].bytes == std::string("\x01\x02\x03", 3));
        // header and attachment were queued together, as one unit
        CHECK(c.conn->transcript[1].unit == c.conn->transcript[2].unit);
    }
    SECTION("two attachments, with a NUL byte, mixed with JSON") {
        REQUIRE_FALSE(c.text(R"(52-["bin",{"_placeholder":true,"num":1},"x",{"_placeholder":true,"num":0}])"));
        REQUIRE_FALSE(c.binary(std::string("\x00\x01", 2)));
        CHECK(calls == 0);
        REQUIRE_FALSE(c.binary("B"));
        CHECK(received == std::vector<std::string>{"bin:B", "\"x\"", std::string("bin:\x00\x01", 6)});
        REQUIRE(c.frames() == 4);
        CHECK(c.frame(1) ==
              R"(452-["bin-back",{"_placeholder":true,"num":0},"x",{"_placeholder":true,"num":1}])");
        CHECK(c.conn->transcript[2].bytes == "B");
        CHECK(c.conn->transcript[3].bytes == std::string("\x00\x01", 2));
        CHECK(c.conn->transcript[1].unit == c.conn->transcript[3].unit);
    }
    SECTION("zero attachments announced: dispatched at once") {
        REQUIRE_FALSE(c.text(R"(50-["bin","plain"])"));
        CHECK(calls == 1);
        REQUIRE(c.frames() == 2);
        CHECK(c.frame(1) == R"(42["bin-back","plain"])");
    }
    SECTION("binary ack") {
        REQUIRE_FALSE(c.text(R"(51-9["bin-ack",{"_placeholder":true,"num":0}])"));
        REQUIRE_FALSE(c.binary("\xff"));
        REQUIRE(c.frames() == 3);
        CHECK(c.frame(1) == R"(461-9[{"_placeholder":true,"num":0}])");
        CHECK(c.conn->transcript[2].binary);
        CHECK(c.conn->transcript[2].bytes == "\xff");
    }
    SECTION("in a custom namespace") {
        c.connect("/custom");
        REQUIRE_FALSE(c.text(R"(51-/custom,["bin",{"_placeholder":true,"num":0}])"));
        REQUIRE_FALSE(c.binary("z"));
        REQUIRE(c.frames() == 4);
        CHECK(c.frame(2) == R"(451-/custom,["bin-back",{"_placeholder":true,"num":0}])");
        CHECK(c.frame(3) == "<bin:z>");
    }
    CHECK(c.conn->closes.empty());
}
