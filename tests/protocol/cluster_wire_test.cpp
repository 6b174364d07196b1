// The Redis adapters' broadcast message and the JSON/msgpack bridge. The
// bytes are what notepack.io 3 (the encoder of @socket.io/redis-adapter and
// the emitter) writes for the same JavaScript values (generated with Node).
#include "protocol/cluster/wire.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace beastio;

namespace {

std::string unhex(std::string_view h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

json::value parse(std::string_view text) {
    auto r = json::parse(text);
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("a broadcast is encoded as notepack encodes the adapter's [uid, packet, opts]") {
    struct row {
        const char* name;
        cluster_wire::broadcast_message m;
        const char* hex;
    };
    cluster_wire::broadcast_message plain;
    plain.uid = "abc123";
    plain.data = parse(R"(["integer",17])");
    cluster_wire::broadcast_message rooms;
    rooms.uid = "Zx9yQ1";
    rooms.nsp = "/chat";
    rooms.data = parse(R"(["chat","hi"])");
    rooms.rooms = {"r1"};
    rooms.except = {"sid1", "sid2"};
    rooms.flags.is_volatile = true;
    const row rows[] = {
        {"the whole namespace", plain,
         "93a661626331323383a47479706502a46461746192a7696e746567657211a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380"},
        {"a room, except two sockets, volatile", rooms,
         "93a65a783979513183a47479706502a46461746192a463686174a26869a36e7370a52f6368617483a5726f6f6d7391a27231a665786365707492a473696431a473696432a5666c61677381a8766f6c6174696c65c3"},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        CHECK(cluster_wire::encode_broadcast(r.m) == unhex(r.hex));
        auto back = cluster_wire::decode_broadcast(unhex(r.hex));
        REQUIRE(back);
        CHECK(back->uid == r.m.uid);
        CHECK(back->nsp == r.m.nsp);
        CHECK(back->data == r.m.data);
        CHECK(back->rooms == r.m.rooms);
        CHECK(back->except == r.m.except);
        CHECK(back->flags.is_volatile == r.m.flags.is_volatile);
    }
}

TEST_CASE("values from a Node node become the JSON a socket.io client would get") {
    // ["m", 1.5, -3, 4294967296, null, true, {a:[1,"x"]}, Buffer [1,2,255], 0.1, 1e19, 1e-7]
    const auto bytes = unhex(
        "93a661626331323383a47479706502a4646174619ba16dcb3ff8000000000000fdcf0000000100000000c0c381a1619201a178c4030102ffcb3fb999999999999acf8ac7230489e80000cb3e7ad7f29abcaf48a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380");
    auto m = cluster_wire::decode_broadcast(bytes);
    REQUIRE(m);
    std::vector<json::shared_bytes> attachments;
    std::string text;
    json::serialize(m->data, text, &attachments);
    // 1e19 arrives as the integer notepack wrote (uint64): its exact digits.
    CHECK(text == R"(["m",1.5,-3,4294967296,null,true,{"a":[1,"x"]},{"_placeholder":true,"num":0},0.1,10000000000000000000,1e-7])");
    REQUIRE(attachments.size() == 1);
    CHECK(*attachments[0] == std::string("\x01\x02\xff", 3));
    // And the same tree encodes to notepack's bytes again.
    CHECK(cluster_wire::encode_broadcast(*m) == bytes);
}

TEST_CASE("a room named by a number (socket.join(42) in Node) is its decimal name") {
    auto m = cluster_wire::decode_broadcast(
        unhex("93a661626331323383a47479706502a46461746191a16ea36e7370a12f83a5726f6f6d73912aa665786365707490a5666c61677380"));
    REQUIRE(m);
    CHECK(m->rooms == std::vector<std::string>{"42"});
}

TEST_CASE("a map key that is no string becomes the property name notepack gives it") {
    struct row {
        const char* hex;   // a one-entry map
        const char* name;  // Object.keys(notepack.decode(bytes))[0] in Node
    };
    const row rows[] = {
        {"812a01", "42"},
        {"81c301", "true"},
        {"8192019202030a", "1,2,3"},
        {"8181a16101a178", "[object Object]"},
        {"81cb3ff8000000000000a178", "1.5"},
        {"8191c0a178", ""},
        {"81d0fba178", "-5"},
    };
    for (const auto& r : rows) {
        INFO(r.hex);
        auto v = msgpack::decode(unhex(r.hex));
        REQUIRE(v);
        const json::value j = cluster_wire::to_json(*v);
        REQUIRE(j.is_object());
        REQUIRE(j.as_object().size() == 1);
        CHECK(j.as_object().front().first == r.name);
    }
    // Maps as keys of maps as keys, 60 deep (a fuzzer's find: the text once grew twice per level).
    std::string deep;
    for (int i = 0; i < 60; ++i) deep += "\x81";
    deep += "\x01\x02";
    for (int i = 0; i < 59; ++i) deep += "\x03";
    auto v = msgpack::decode(deep);
    REQUIRE(v);
    const json::value j = cluster_wire::to_json(*v);
    REQUIRE(j.is_object());
    CHECK(j.as_object().front().first == "[object Object]");
}

TEST_CASE("JSON numbers become what notepack makes of JSON.parse's double") {
    struct row {
        const char* json;
        const char* hex;  // notepack.encode(JSON.parse(json))
    };
    const row rows[] = {
        {"0", "00"},          {"127", "7f"},         {"128", "cc80"},
        {"-1", "ff"},         {"-33", "d0df"},       {"1.0", "01"},
        {"1.5", "cb3ff8000000000000"},               {"4294967296", "cf0000000100000000"},
        {"-0", "00"},         {"1e2", "64"},         {"0.1", "cb3fb999999999999a"},
        {"-2147483649", "d3ffffffff7fffffff"},
        // notepack writes an integral double at or above 2^64 as a uint64 that wrapped (1e21 -> cf35c9adc5dea00000,
        // 2^64 -> 0); beastio writes the double, which every msgpack decoder reads as the same number.
        {"1e21", "cb444b1ae4d6e2ef50"},
    };
    for (const auto& r : rows) {
        INFO(r.json);
        CHECK(msgpack::encode(cluster_wire::to_msgpack(parse(r.json))) == unhex(r.hex));
    }
}

TEST_CASE("doubles are written as JavaScript's Number.prototype.toString writes them") {
    struct row {
        double d;
        const char* js;  // String(d) in Node
    };
    const row rows[] = {
        {0.1, "0.1"},
        {1e21, "1e+21"},
        {1e-7, "1e-7"},
        {123.456, "123.456"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {5e-324, "5e-324"},
        {100, "100"},
        {1e20, "100000000000000000000"},
        {0.000001, "0.000001"},
        {-2.5e-10, "-2.5e-10"},
        {123456789012345680000.0, "123456789012345680000"},
        {-0.0, "0"},
    };
    for (const auto& r : rows) {
        INFO(r.js);
        CHECK(cluster_wire::js_number(r.d) == r.js);
    }
}

TEST_CASE("messages that are no broadcast are refused with a reason") {
    struct row {
        const char* name;
        msgpack::value v;
        const char* reason;
    };
    using msgpack::array;
    using msgpack::map;
    const map packet_ok{{"type", 2}, {"data", array{"e"}}, {"nsp", "/"}};
    const row rows[] = {
        {"not an array", msgpack::value("x"), "not [uid, packet, opts]"},
        {"two items", array{"u", packet_ok}, "not [uid, packet, opts]"},
        {"packet not a map", array{"u", 1, map{}}, "the packet is not a map"},
        {"an ACK", array{"u", map{{"type", 3}, {"data", array{"e"}}}, map{}}, "the packet is not an EVENT"},
        {"no event name", array{"u", map{{"type", 2}, {"data", array{1}}}, map{}}, "the packet's data is not [event, ...]"},
        {"rooms not names", array{"u", packet_ok, map{{"rooms", array{map{}}}}}, "rooms is not a list of names"},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        auto m = cluster_wire::decode_broadcast(msgpack::encode(r.v));
        REQUIRE_FALSE(m);
        CHECK(m.error().message == r.reason);
    }
    auto truncated = cluster_wire::decode_broadcast("\x93\xa6" "abc");
    REQUIRE_FALSE(truncated);
    CHECK(truncated.error().message.starts_with("not msgpack"));
}
