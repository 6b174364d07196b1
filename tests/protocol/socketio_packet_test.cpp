// Socket.IO v5 packet codec: every example of protocol-reference.md §3 as a
// row {wire text, decoded packet}, checked in both directions.
// Text here is the Socket.IO packet, i.e. the Engine.IO message without its
// leading '4' (the reference shows `42[...]`, decode() sees `2[...]`).
#include "sio_test_support.hpp"

#include <string>
#include <vector>

using namespace beastio;
using beastio::test::num;
using beastio::test::placeholder;
using beastio::test::printable;
using sio::packet;
using sio::packet_type;

namespace {

struct decode_row {
    std::string wire;
    packet expected;
    std::string reencoded = {};  // encode(expected) when it differs from wire
};

const json::value message_args = json::array{"message", 1, "2", json::object{{"3", json::array{true}}}};

const std::vector<decode_row>& decode_rows() {
    static const std::vector<decode_row> rows = {
        // §3.2 namespace connection
        {"0", {.type = packet_type::connect}},
        {R"(0{"token":"123"})", {.type = packet_type::connect, .data = json::object{{"token", "123"}}}},
        {"0/custom,", {.type = packet_type::connect, .nsp = "/custom"}},
        {"0/custom", {.type = packet_type::connect, .nsp = "/custom"}, "0/custom,"},
        {R"(0/custom,{"token":"abc"})",
         {.type = packet_type::connect, .nsp = "/custom", .data = json::object{{"token", "abc"}}}},
        {R"(0{"sid":"Do9IKOQAMpvdWcXyAAAO"})",
         {.type = packet_type::connect, .data = json::object{{"sid", "Do9IKOQAMpvdWcXyAAAO"}}}},
        {R"(0/custom,{"sid":"dcsnF1QoUAEmgec-AAAQ"})",
         {.type = packet_type::connect, .nsp = "/custom", .data = json::object{{"sid", "dcsnF1QoUAEmgec-AAAQ"}}}},
        {R"(0{"sid":"7hkTU4iBmSKMuwwlAAAA","pid":"BI7NBqXRPiUcUC6GAAAB"})",
         {.type = packet_type::connect,
          .data = json::object{{"sid", "7hkTU4iBmSKMuwwlAAAA"}, {"pid", "BI7NBqXRPiUcUC6GAAAB"}}}},
        {R"(0{"pid":"BI7N","offset":"Q817cCe","token":"t"})",
         {.type = packet_type::connect,
          .data = json::object{{"pid", "BI7N"}, {"offset", "Q817cCe"}, {"token", "t"}}}},
        {R"(4/random,{"message":"Invalid namespace"})",
         {.type = packet_type::connect_error, .nsp = "/random",
          .data = json::object{{"message", "Invalid namespace"}}}},
        {R"(4{"message":"not authorized","data":{"reason":"bad token"}})",
         {.type = packet_type::connect_error,
          .data = json::object{{"message", "not authorized"}, {"data", json::object{{"reason", "bad token"}}}}}},
        {R"(4"legacy error")", {.type = packet_type::connect_error, .data = "legacy error"}},
        // §3.3 EVENT / ACK
        {R"(2["message",1,"2",{"3":[true]}])", {.type = packet_type::event, .data = message_args}},
        {R"(2["message-back",1,"2",{"3":[true]}])",
         {.type = packet_type::event,
          .data = json::array{"message-back", 1, "2", json::object{{"3", json::array{true}}}}}},
        {R"(2456["message-with-ack",1,"2",{"3":[false]}])",
         {.type = packet_type::event, .id = 456,
          .data = json::array{"message-with-ack", 1, "2", json::object{{"3", json::array{false}}}}}},
        {R"(3456[1,"2",{"3":[false]}])",
         {.type = packet_type::ack, .id = 456, .data = json::array{1, "2", json::object{{"3", json::array{false}}}}}},
        {"3456[]", {.type = packet_type::ack, .id = 456, .data = json::array{}}},
        {R"(2/admin,13["foo"])", {.type = packet_type::event, .nsp = "/admin", .id = 13, .data = json::array{"foo"}}},
        {R"(3/admin,13["bar"])", {.type = packet_type::ack, .nsp = "/admin", .id = 13, .data = json::array{"bar"}}},
        {R"(20["hello"])", {.type = packet_type::event, .id = 0, .data = json::array{"hello"}}},
        {"2[1,2]", {.type = packet_type::event, .data = json::array{1, 2}}},
        {"399[1]", {.type = packet_type::ack, .id = 99, .data = json::array{1}}},
        {R"(2["auth",{},"Q817c9R"])", {.type = packet_type::event, .data = json::array{"auth", json::object{}, "Q817c9R"}}},
        {R"(2/chat,["a"])", {.type = packet_type::event, .nsp = "/chat", .data = json::array{"a"}}},
        {R"(2["connected"])", {.type = packet_type::event, .data = json::array{"connected"}}},
        {R"(2["Connect"])", {.type = packet_type::event, .data = json::array{"Connect"}}},
        {R"(29007199254740991["a"])", {.type = packet_type::event, .id = sio::max_ack_id, .data = json::array{"a"}}},
        // §3.4 binary headers (placeholders are kept until reassembly)
        {R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
         {.type = packet_type::binary_event, .data = json::array{"message", placeholder(0), placeholder(1)},
          .attachments = 2}},
        {R"(52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
         {.type = packet_type::binary_event, .id = 789,
          .data = json::array{"message-with-ack", placeholder(0), placeholder(1)}, .attachments = 2}},
        {R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
         {.type = packet_type::binary_ack, .id = 789, .data = json::array{placeholder(0), placeholder(1)},
          .attachments = 2}},
        {R"(51-/admin,["baz",{"_placeholder":true,"num":0}])",
         {.type = packet_type::binary_event, .nsp = "/admin", .data = json::array{"baz", placeholder(0)},
          .attachments = 1}},
        {R"(61-15["bar",{"_placeholder":true,"num":0}])",
         {.type = packet_type::binary_ack, .id = 15, .data = json::array{"bar", placeholder(0)}, .attachments = 1}},
        {R"(50-["x"])", {.type = packet_type::binary_event, .data = json::array{"x"}, .attachments = 0}},
        {R"(510-["x"])", {.type = packet_type::binary_event, .data = json::array{"x"}, .attachments = 10}},
        // §3.5 DISCONNECT
        {"1", {.type = packet_type::disconnect}},
        {"1/custom,", {.type = packet_type::disconnect, .nsp = "/custom"}},
        {"1/admin,", {.type = packet_type::disconnect, .nsp = "/admin"}},
        {"1/custom", {.type = packet_type::disconnect, .nsp = "/custom"}, "1/custom,"},
        // non-canonical input, re-encoded compactly
        {"2[ \"a\" , 1 ,\n{ \"k\" : [ ] } ]", {.type = packet_type::event, .data = json::array{"a", 1, json::object{{"k", json::array{}}}}},
         R"(2["a",1,{"k":[]}])"},
        {R"(201["x"])", {.type = packet_type::event, .id = 1, .data = json::array{"x"}}, R"(21["x"])"},
        {R"(2 ["x"])", {.type = packet_type::event, .data = json::array{"x"}}, R"(2["x"])"},
        {"01", {.type = packet_type::connect, .id = 1}},  // socket.io-parser accepts (and ignores) it too
        {R"(2/,["x"])", {.type = packet_type::event, .data = json::array{"x"}}, R"(2["x"])"},
        {R"(2["\u00e9\ud83d\ude00",1.50,-0,1e21,1E+2,12345678901234567890])",
         {.type = packet_type::event,
          .data = json::array{"\xc3\xa9\xf0\x9f\x98\x80", num("1.50"), num("-0"), num("1e21"), num("1E+2"),
                              num("12345678901234567890")}},
         "2[\"\xc3\xa9\xf0\x9f\x98\x80\",1.50,-0,1e21,1E+2,12345678901234567890]"},
        {"2[\"\xe4\xb8\xad\xe6\x96\x87\",\"\\u0001\"]",
         {.type = packet_type::event, .data = json::array{"\xe4\xb8\xad\xe6\x96\x87", "\x01"}}},
        {R"(2["dup",{"a":1,"a":2}])",
         {.type = packet_type::event, .data = json::array{"dup", json::object{{"a", 1}, {"a", 2}}}}},
    };
    return rows;
}

struct error_row {
    std::string wire;
    sio::errc code;
};

const std::vector<error_row>& error_rows() {
    using sio::errc;
    static const std::vector<error_row> rows = {
        {"", errc::empty},
        // unknown type
        {"abc", errc::unknown_type},
        {"7[\"a\"]", errc::unknown_type},
        {"9", errc::unknown_type},
        {"-1", errc::unknown_type},
        {" 2[\"a\"]", errc::unknown_type},
        {"\xff", errc::unknown_type},
        // attachment header
        {R"(5["x"])", errc::illegal_attachments},
        {R"(5-["x"])", errc::illegal_attachments},
        {R"(52["x"])", errc::illegal_attachments},
        {R"(5a-["x"])", errc::illegal_attachments},
        {"5", errc::illegal_attachments},
        {"51", errc::illegal_attachments},
        {R"(6/admin,["x"])", errc::illegal_attachments},
        {R"(511-["x"])", errc::too_many_attachments},
        {R"(6100-[])", errc::too_many_attachments},
        {R"(599999999999999999999999999-["x"])", errc::too_many_attachments},
        // ack id
        {R"(29007199254740992["a"])", errc::invalid_ack_id},
        {R"(2/chat,99999999999999999999999999["a"])", errc::invalid_ack_id},
        {"318446744073709551616[]", errc::invalid_ack_id},
        // JSON syntax
        {R"(2abc["x"])", errc::invalid_json},
        {R"(2["a"]x)", errc::invalid_json},
        {R"(2["a"]["b"])", errc::invalid_json},
        {R"(2["a")", errc::invalid_json},
        {R"(2["a)", errc::invalid_json},
        {"2[\"\xff\"]", errc::invalid_json},
        {"2[\"\xed\xa0\x80\"]", errc::invalid_json},
        {R"(2["\udc00"])", errc::invalid_json},
        {R"(0{"a":1}garbage)", errc::invalid_json},
        {R"(2/a,b,["x"])", errc::invalid_json},
        {std::string("2[\"a\"]\0", 7), errc::invalid_json},
        {"2[\"a\"," + std::string(200, '[') + std::string(200, ']') + "]", errc::invalid_json},
        // payload shape
        {"2{}", errc::invalid_payload},
        {"2[]", errc::invalid_payload},
        {"2", errc::invalid_payload},
        {"2/admin,", errc::invalid_payload},
        {R"(2/admin["x"])", errc::invalid_payload},  // no comma: all of it is the namespace
        {R"(2"message")", errc::invalid_payload},
        {"2[null]", errc::invalid_payload},
        {"2[true]", errc::invalid_payload},
        {"2[{}]", errc::invalid_payload},
        {R"(2[["a"]])", errc::invalid_payload},
        {R"(51-{"_placeholder":true,"num":0})", errc::invalid_payload},
        {"3{}", errc::invalid_payload},
        {R"(3"x")", errc::invalid_payload},
        {"31", errc::invalid_payload},
        {"3", errc::invalid_payload},
        {"60-", errc::invalid_payload},
        {R"(0"str")", errc::invalid_payload},
        {"0[1]", errc::invalid_payload},
        {"0null", errc::invalid_payload},
        {R"(1{"a":1})", errc::invalid_payload},
        {"1null", errc::invalid_payload},
        {"1/custom,{}", errc::invalid_payload},
        {"1[]", errc::invalid_payload},
        {"4", errc::invalid_payload},
        {"4[1]", errc::invalid_payload},
        {"4null", errc::invalid_payload},
        // reserved event names
        {R"(2["connect"])", errc::reserved_event},
        {R"(2["connect_error"])", errc::reserved_event},
        {R"(2["disconnect"])", errc::reserved_event},
        {R"(2["disconnecting"])", errc::reserved_event},
        {R"(2["newListener"])", errc::reserved_event},
        {R"(2["removeListener"])", errc::reserved_event},
        {R"(2/admin,7["disconnect",1])", errc::reserved_event},
        {R"(51-["connect",{"_placeholder":true,"num":0}])", errc::reserved_event},
    };
    return rows;
}

}  // namespace

TEST_CASE("sio decode reference examples", "[sio][decode]") {
    for (const auto& row : decode_rows()) {
        INFO("wire: " << printable(row.wire));
        auto decoded = sio::decode(row.wire);
        if (!decoded) {
            FAIL_CHECK("decode failed: " << decoded.error().message);
            continue;
        }
        CHECK(*decoded == row.expected);
    }
}

// A decoded binary header holds placeholder objects, not binary values, so
// encoding it again announces 0 attachments; those rows are checked in
// socketio_encode_test.cpp and socketio_reassembler_test.cpp instead.
namespace {
bool is_binary_header(const packet& p) { return p.attachments > 0; }
}  // namespace

TEST_CASE("sio encode reference examples", "[sio][encode]") {
    for (const auto& row : decode_rows()) {
        if (is_binary_header(row.expected)) {
            continue;
        }
        const std::string& expected = row.reencoded.empty() ? row.wire : row.reencoded;
        INFO("packet: " << test::describe(row.expected));
        const auto e = sio::encode(row.expected);
        CHECK(e.text == expected);
        CHECK(e.attachments.empty());
        const auto frame = sio::encode_frame(row.expected);
        CHECK(frame.text == "4" + expected);
        CHECK(frame.attachments.empty());
    }
}

TEST_CASE("sio decode of encode gives the packet back", "[sio][roundtrip]") {
    for (const auto& row : decode_rows()) {
        if (is_binary_header(row.expected)) {
            continue;
        }
        INFO("packet: " << test::describe(row.expected));
        auto back = sio::decode(sio::encode(row.expected).text);
        REQUIRE(back.has_value());
        CHECK(*back == row.expected);
    }
}

TEST_CASE("sio decode refuses malformed packets with the right error", "[sio][decode]") {
    for (const auto& row : error_rows()) {
        INFO("wire: " << printable(row.wire) << " expected " << sio::to_string(row.code));
        auto decoded = sio::decode(row.wire);
        if (decoded) {
            FAIL_CHECK("decoded as " << test::describe(*decoded));
            continue;
        }
        CHECK(decoded.error().code == row.code);
        CHECK_FALSE(decoded.error().message.empty());
    }
}

TEST_CASE("sio decode limits follow the options", "[sio][decode]") {
    SECTION("max_attachments") {
        sio::decode_options two;
        two.max_attachments = 2;
        CHECK(sio::decode(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", two).has_value());
        auto three = sio::decode(R"(53-["a"])", two);
        REQUIRE_FALSE(three.has_value());
        CHECK(three.error().code == sio::errc::too_many_attachments);
        CHECK_THAT(three.error().message, Catch::Contains("3") && Catch::Contains("2"));
        CHECK(sio::decode(R"(510-["a"])").has_value());
    }
    SECTION("JSON nesting depth") {
        sio::decode_options shallow;
        shallow.json.max_depth = 2;
        CHECK(sio::decode(R"(2["a",[1]])", shallow).has_value());
        auto deep = sio::decode(R"(2["a",[[1]]])", shallow);
        REQUIRE_FALSE(deep.has_value());
        CHECK(deep.error().code == sio::errc::invalid_json);
        CHECK_THAT(deep.error().message, Catch::Contains("deeper"));
    }
    SECTION("ack id boundary") {
        CHECK(sio::decode(R"(39007199254740991[])")->id == sio::max_ack_id);
        CHECK(sio::decode(R"(39007199254740992[])").error().code == sio::errc::invalid_ack_id);
        CHECK(sio::decode(R"(30000000000000000000000001[])")->id == 1u);
    }
}

TEST_CASE("sio decode error messages are descriptive", "[sio][decode]") {
    CHECK_THAT(sio::decode("abc").error().message, Catch::Contains("'a'"));
    CHECK_THAT(sio::decode("\x01").error().message, Catch::Contains("\\x01"));
    CHECK_THAT(sio::decode(R"(2["disconnect"])").error().message, Catch::Contains("disconnect"));
    CHECK_THAT(sio::decode(R"(2["a")").error().message, Catch::Contains("offset"));
    CHECK_THAT(sio::decode(R"(29007199254740992["a"])").error().message, Catch::Contains("9007199254740992"));
}

TEST_CASE("sio decode and encode a 1 MB string payload", "[sio][huge]") {
    const std::string big(1'000'000, 'z');
    const std::string wire = R"(2["big",")" + big + R"("])";
    auto decoded = sio::decode(wire);
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->data->as_array().size() == 2);
    CHECK(decoded->data->as_array()[1].as_string().size() == big.size());
    CHECK(sio::encode(*decoded).text == wire);
    CHECK(sio::encode_frame(*decoded).text == "4" + wire);
}

TEST_CASE("sio reserved event names", "[sio]") {
    for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
        INFO(name);
        CHECK(sio::is_reserved_event(name));
    }
    for (const char* name : {"", "message", "Connect", "connect ", "disconnected", "newlistener", "error", "ping"}) {
        INFO(name);
        CHECK_FALSE(sio::is_reserved_event(name));
    }
}

TEST_CASE("sio to_string names every packet type and error", "[sio]") {
    CHECK(sio::to_string(packet_type::connect) == "CONNECT");
    CHECK(sio::to_string(packet_type::disconnect) == "DISCONNECT");
    CHECK(sio::to_string(packet_type::event) == "EVENT");
    CHECK(sio::to_string(packet_type::ack) == "ACK");
    CHECK(sio::to_string(packet_type::connect_error) == "CONNECT_ERROR");
    CHECK(sio::to_string(packet_type::binary_event) == "BINARY_EVENT");
    CHECK(sio::to_string(packet_type::binary_ack) == "BINARY_ACK");
    CHECK(sio::to_string(sio::errc::empty) == "empty");
    CHECK(sio::to_string(sio::errc::reserved_event) == "reserved_event");
    CHECK(sio::to_string(sio::errc::placeholder_out_of_range) == "placeholder_out_of_range");
    CHECK(sio::to_string(sio::errc::unexpected_text) == "unexpected_text");
}
