// @socket.io/redis-streams-adapter's formats: stream entries, pub/sub
// payloads, sessions, entry ids and the replay filter. The bytes are what
// @msgpack/msgpack 2.8 (the Node adapter's encoder) writes for the same
// JavaScript values, and the JSON what JSON.stringify writes (generated with Node).
#include "protocol/cluster/streams.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace beastio;
using namespace beastio::cluster_wire;

namespace {

std::string unhex(std::string_view h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

json::value parse(std::string_view text) {
    auto r = json::parse(text);
    REQUIRE(r);
    return *r;
}

std::string field(const entry_fields& f, std::string_view k) {
    for (const auto& [key, v] : f)
        if (key == k) return v;
    return "<absent>";
}

}  // namespace

TEST_CASE("a stream entry carries uid and nsp and type and the data as JSON or as base64 msgpack when it holds binary") {
    cluster_message plain;
    plain.uid = "n1";
    plain.nsp = "/chat";
    plain.type = 3;
    plain.data = parse(R"({"packet":{"type":2,"data":["integer",17]},"opts":{"rooms":["a"],"except":["b"],"flags":{"volatile":true}}})");
    const auto f = encode_entry(plain);
    REQUIRE(f.size() == 4);
    CHECK(f[0].first == "uid");
    CHECK(f[1].first == "nsp");
    CHECK(f[2].first == "type");
    CHECK(f[3].first == "data");
    CHECK(field(f, "type") == "3");
    // JSON.stringify of the same object.
    CHECK(field(f, "data") ==
          R"({"packet":{"type":2,"data":["integer",17]},"opts":{"rooms":["a"],"except":["b"],"flags":{"volatile":true}}})");

    cluster_message bin = plain;
    json::object packet{{"type", json::value(2LL)},
                        {"data", json::value(json::array{json::value("bin"), json::value(json::binary(std::string("\x01\x02\x03")))})}};
    bin.data = json::object{{"packet", json::value(std::move(packet))},
                            {"opts", parse(R"({"rooms":[],"except":[],"flags":{}})")}};
    // Buffer.from(encode(data)).toString("base64") in Node.
    CHECK(field(encode_entry(bin), "data") == "gqZwYWNrZXSCpHR5cGUCpGRhdGGSo2JpbsQDAQIDpG9wdHODpXJvb21zkKZleGNlcHSQpWZsYWdzgA==");

    cluster_message none;
    none.uid = "n1";
    none.type = 1;
    CHECK(encode_entry(none).size() == 3);  // a heartbeat has no data
}

TEST_CASE("stream entries are read back and what a streams node never writes is refused") {
    const entry_fields node_bin{{"uid", "x"}, {"nsp", "/"}, {"type", "3"},
                                {"data", "gqZwYWNrZXSCpHR5cGUCpGRhdGGSo2JpbsQDAQIDpG9wdHODpXJvb21zkKZleGNlcHSQpWZsYWdzgA=="}};
    auto m = decode_entry(node_bin);
    REQUIRE(m);
    CHECK(m->type == 3);
    auto b = read_broadcast_data(m->data);
    REQUIRE(b);
    REQUIRE(b->data.as_array().size() == 2);
    CHECK(b->data.as_array()[1].is_binary());
    CHECK(b->data.as_array()[1].as_binary().bytes() == std::string("\x01\x02\x03"));

    struct row {
        const char* name;
        entry_fields fields;
        bool ok;
    };
    const row rows[] = {
        {"json data", {{"uid", "a"}, {"nsp", "/"}, {"type", "4"}, {"data", R"({"opts":{},"rooms":["r"]})"}}, true},
        {"no data (a heartbeat)", {{"uid", "a"}, {"nsp", "/"}, {"type", "2"}}, true},
        {"no uid", {{"nsp", "/"}, {"type", "3"}}, false},
        {"no nsp", {{"uid", "a"}, {"type", "3"}}, false},
        {"type not a number", {{"uid", "a"}, {"nsp", "/"}, {"type", "3x"}}, false},
        {"data neither JSON nor base64", {{"uid", "a"}, {"nsp", "/"}, {"type", "3"}, {"data", "%%%"}}, false},
        {"broken JSON", {{"uid", "a"}, {"nsp", "/"}, {"type", "3"}, {"data", "{\"a\":"}}, false},
        {"base64 of no msgpack", {{"uid", "a"}, {"nsp", "/"}, {"type", "3"}, {"data", "wQ=="}}, false},
        {"data not an object", {{"uid", "a"}, {"nsp", "/"}, {"type", "3"}, {"data", "kQE="}}, false},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        CHECK(static_cast<bool>(decode_entry(r.fields)) == r.ok);
    }
}

TEST_CASE("a pub/sub payload is the msgpack of the whole message as a Node node publishes it") {
    // encode({type: 7, data: {opts: {...}, requestId: "req1"}, uid: "n1", nsp: "/"}) with @msgpack/msgpack.
    const auto bytes = unhex(
        "84a47479706507a46461746182a46f70747383a5726f6f6d7391a172a665786365707490a5666c61677380a972657175657374"
        "4964a472657131a3756964a26e31a36e7370a12f");
    auto m = decode_pubsub(bytes);
    REQUIRE(m);
    CHECK(m->uid == "n1");
    CHECK(m->nsp == "/");
    CHECK(m->type == 7);
    CHECK(json::serialize(m->data) == R"({"opts":{"rooms":["r"],"except":[],"flags":{}},"requestId":"req1"})");

    auto again = decode_pubsub(encode_pubsub(*m));
    REQUIRE(again);
    CHECK(again->uid == "n1");
    CHECK(again->type == 7);
    CHECK(again->data == m->data);

    CHECK_FALSE(decode_pubsub(unhex("c1")));        // no msgpack
    CHECK_FALSE(decode_pubsub(unhex("93010203")));  // an array, not a map
    CHECK_FALSE(decode_pubsub(unhex("81a3756964a26e31")));  // {uid} only
}

TEST_CASE("a session is the base64 of its msgpack as the Node adapter stores it") {
    session_record s;
    s.sid = "abc";
    s.pid = "p1";
    s.rooms = {"abc", "room1"};
    s.data = parse(R"({"user":7})");
    // Buffer.from(encode({sid, pid, rooms, data})).toString("base64") in Node.
    const std::string node = "hKNzaWSjYWJjo3BpZKJwMaVyb29tc5KjYWJjpXJvb20xpGRhdGGBpHVzZXIH";
    CHECK(encode_session(s) == node);
    auto back = decode_session(node);
    REQUIRE(back);
    CHECK(back->sid == "abc");
    CHECK(back->pid == "p1");
    CHECK(back->rooms == std::vector<std::string>{"abc", "room1"});
    CHECK(json::serialize(back->data) == R"({"user":7})");
    CHECK_FALSE(back->offset);

    s.offset = "1700000000000-3";
    auto with = decode_session(encode_session(s));
    REQUIRE(with);
    CHECK(with->offset == std::optional<std::string>("1700000000000-3"));

    CHECK_FALSE(decode_session("not base64!"));
    CHECK_FALSE(decode_session("wQ=="));          // 0xc1
    CHECK_FALSE(decode_session("gaNwaWSicDE="));  // {pid} without sid
}

TEST_CASE("stream ids are digits and a dash and digits and are ordered by time then sequence") {
    struct row {
        const char* text;
        bool ok;
    };
    const row rows[] = {
        {"0-0", true},    {"1700000000000-12", true}, {"18446744073709551615-0", true},
        {"", false},      {"-", false},               {"1-", false},
        {"-1", false},    {"1-2-3", false},           {"a-1", false},
        {"1-+2", false},  {"+1-2", false},            {" 1-2", false},
        {"18446744073709551616-0", false},            {"$", false},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        CHECK(parse_stream_id(r.text).has_value() == r.ok);
    }
    CHECK(parse_stream_id("5-1")->str() == "5-1");
    CHECK(*parse_stream_id("5-9") < *parse_stream_id("5-10"));
    CHECK(*parse_stream_id("5-10") < *parse_stream_id("6-0"));
    CHECK(stream_id{} < *parse_stream_id("0-1"));
}

TEST_CASE("a broadcast data object is written as a ClusterAdapter writes it and read with its flags") {
    broadcast_body b;
    b.data = parse(R"(["chat","hi"])");
    b.rooms = {"r1"};
    b.except = {"r2"};
    CHECK(json::serialize(make_broadcast_data(b, "/chat")) ==
          R"({"packet":{"type":2,"data":["chat","hi"],"nsp":"/chat"},"opts":{"rooms":["r1"],"except":["r2"],"flags":{}}})");
    b.is_volatile = true;
    b.request_id = "q";
    b.timeout = 1500;
    auto back = read_broadcast_data(make_broadcast_data(b, "/"));
    REQUIRE(back);
    CHECK(back->is_volatile);
    CHECK(back->request_id == std::optional<std::string>("q"));
    CHECK(back->timeout == std::optional<long long>(1500));
    CHECK(back->rooms == std::vector<std::string>{"r1"});

    struct row {
        const char* name;
        const char* json;
        bool ok;
        bool ack_id;
    };
    const row rows[] = {
        {"a Node broadcast (no nsp in the packet)", R"({"packet":{"type":2,"data":["e"]},"opts":{"rooms":[],"except":[],"flags":{}}})", true, false},
        {"a binary event", R"({"packet":{"type":5,"data":["e"]}})", true, false},
        {"with an ack id", R"({"packet":{"type":2,"data":["e"],"id":4}})", true, true},
        {"numeric rooms", R"({"packet":{"type":2,"data":["e"]},"opts":{"rooms":[42]}})", true, false},
        {"not an event", R"({"packet":{"type":0,"data":["e"]}})", false, false},
        {"no packet", R"({"opts":{}})", false, false},
        {"data not a list", R"({"packet":{"type":2,"data":"e"}})", false, false},
        {"event not a string", R"({"packet":{"type":2,"data":[1]}})", false, false},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        auto got = read_broadcast_data(parse(r.json));
        REQUIRE(static_cast<bool>(got) == r.ok);
        if (got) CHECK(got->has_ack_id == r.ack_id);
    }
    CHECK(read_broadcast_data(parse(R"({"packet":{"type":2,"data":["e"]},"opts":{"rooms":[42]}})"))->rooms ==
          std::vector<std::string>{"42"});
}

TEST_CASE("the replay filter takes the whole namespace or a room of the session and none left out") {
    const std::vector<std::string> session{"sid1", "a", "b"};
    struct row {
        std::vector<std::string> rooms, except;
        bool included;
    };
    const row rows[] = {
        {{}, {}, true},
        {{"a"}, {}, true},
        {{"x", "b"}, {}, true},
        {{"sid1"}, {}, true},  // a private emit to the socket
        {{"x"}, {}, false},
        {{}, {"a"}, false},
        {{"a"}, {"b"}, false},
        {{}, {"x"}, true},
    };
    for (const auto& r : rows) {
        INFO(r.rooms.size() << " rooms, " << r.except.size() << " left out");
        CHECK(replay_includes(session, r.rooms, r.except) == r.included);
    }
}
