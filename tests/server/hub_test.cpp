// connection_set and plain_hub with fake connections: membership, shared
// broadcast buffers, expired members, close_all and the presence callback.
#include "fake_connection.hpp"
#include "server/websocket/plain_endpoint.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

using beastio::server::close_cause;
using beastio::server::connection_set;
using beastio::server::make_frame;
using beastio::server::out_frame;
using beastio::server::plain_hub;
using beastio::test::fake_connection;

TEST_CASE("connection_set: add, remove and size", "[hub]") {
    connection_set set;
    auto a = std::make_shared<fake_connection>();
    auto b = std::make_shared<fake_connection>();
    CHECK(set.size() == 0);
    CHECK(set.add(a) == 1);
    CHECK(set.add(b) == 2);
    CHECK(set.add(a) == 2);  // adding twice keeps one entry
    CHECK(set.size() == 2);
    CHECK(set.remove(a.get()) == 1);
    CHECK(set.remove(a.get()) == 1);  // removing a non-member changes nothing
    CHECK(set.size() == 1);
    CHECK(set.remove(b.get()) == 0);
    CHECK(set.broadcast(out_frame{make_frame("x"), false}) == 0);
}

TEST_CASE("connection_set: a broadcast shares one buffer with every member", "[hub]") {
    connection_set set;
    std::vector<std::shared_ptr<fake_connection>> conns;
    for (int i = 0; i < 5; ++i) {
        conns.push_back(std::make_shared<fake_connection>());
        set.add(conns.back());
    }
    const auto text = make_frame("42[\"integer\",7]");
    const auto bin = make_frame(std::string("\x00\x01", 2));
    CHECK(set.broadcast(out_frame{text, false}) == 5);
    CHECK(set.broadcast(out_frame{bin, true}) == 5);
    for (const auto& c : conns) {
        REQUIRE(c->transcript.size() == 2);
        CHECK(c->transcript[0].data == text);  // the same object, not a copy
        CHECK_FALSE(c->transcript[0].binary);
        CHECK(c->transcript[0].bytes == "42[\"integer\",7]");
        CHECK(c->transcript[1].data == bin);
        CHECK(c->transcript[1].binary);
        CHECK(c->transcript[1].bytes == std::string("\x00\x01", 2));
        CHECK(c->closes.empty());
    }
    CHECK(text.use_count() == 1 + 5);  // ours + one per transcript entry
}

TEST_CASE("connection_set: destroyed members are skipped", "[hub]") {
    connection_set set;
    auto a = std::make_shared<fake_connection>();
    auto b = std::make_shared<fake_connection>();
    auto gone = std::make_shared<fake_connection>();
    set.add(a);
    set.add(gone);
    set.add(b);
    gone.reset();  // the set held only a weak pointer: the connection is destroyed

    const auto f = make_frame("1");
    CHECK(set.broadcast(out_frame{f, false}) == 2);
    CHECK(a->transcript.size() == 1);
    CHECK(b->transcript.size() == 1);
    set.close_all(close_cause::server_shutdown);  // must not touch the dead one either
    CHECK(a->closes.size() == 1);
}

TEST_CASE("connection_set: close_all closes every live member with the cause", "[hub]") {
    connection_set set;
    auto a = std::make_shared<fake_connection>();
    auto b = std::make_shared<fake_connection>();
    set.add(a);
    set.add(b);
    set.close_all(close_cause::server_shutdown);
    REQUIRE(a->closes.size() == 1);
    REQUIRE(b->closes.size() == 1);
    CHECK(a->closes[0] == close_cause::server_shutdown);
    CHECK(b->closes[0] == close_cause::server_shutdown);
    CHECK(a->transcript.empty());
    CHECK(set.size() == 2);  // closing is asynchronous: members leave when their session ends
}

TEST_CASE("plain_hub: join and leave report presence, broadcast is a shared text frame", "[hub]") {
    plain_hub hub;
    std::vector<int> presence;
    hub.on_presence([&](int d) { presence.push_back(d); });

    auto a = std::make_shared<fake_connection>();
    auto b = std::make_shared<fake_connection>();
    hub.join(a);
    hub.join(b);
    CHECK(hub.size() == 2);
    CHECK(presence == std::vector<int>{+1, +1});

    const auto f = make_frame("17");
    CHECK(hub.broadcast(f) == 2);
    REQUIRE(a->transcript.size() == 1);
    REQUIRE(b->transcript.size() == 1);
    CHECK(a->transcript[0].data == f);
    CHECK(b->transcript[0].data == f);
    CHECK_FALSE(a->transcript[0].binary);
    CHECK(a->transcript[0].bytes == "17");

    hub.leave(a.get());
    CHECK(hub.size() == 1);
    CHECK(presence == std::vector<int>{+1, +1, -1});
    CHECK(hub.broadcast(make_frame("18")) == 1);
    CHECK(a->transcript.size() == 1);
    CHECK(b->transcript.size() == 2);
    CHECK(b->text(1) == "18");

    hub.leave(b.get());
    CHECK(hub.size() == 0);
    CHECK(presence == std::vector<int>{+1, +1, -1, -1});
    CHECK(hub.broadcast(make_frame("19")) == 0);
}

TEST_CASE("plain_hub: works without a presence callback", "[hub]") {
    plain_hub hub;
    auto a = std::make_shared<fake_connection>();
    hub.join(a);
    CHECK(hub.broadcast(make_frame("1")) == 1);
    hub.leave(a.get());
    CHECK(hub.size() == 0);
}

TEST_CASE("plain_hub: presence counts members, not calls", "[hub]") {
    // A leave for a connection that never joined (or a second leave) must not
    // report -1: the producer's listener count would go below the truth and it
    // would idle while a client listens.
    plain_hub hub;
    int listeners = 0;
    hub.on_presence([&](int d) { listeners += d; });
    auto a = std::make_shared<fake_connection>();
    auto stranger = std::make_shared<fake_connection>();
    hub.leave(stranger.get());
    CHECK(listeners == 0);
    hub.join(a);
    hub.join(a);
    CHECK(listeners == 1);
    CHECK(hub.size() == 1);
    hub.leave(stranger.get());
    CHECK(listeners == 1);
    hub.leave(a.get());
    hub.leave(a.get());
    CHECK(listeners == 0);
    CHECK(hub.size() == 0);
}
