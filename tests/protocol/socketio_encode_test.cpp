// Socket.IO encoding of packets whose data holds binary values: type promotion
// to BINARY_EVENT / BINARY_ACK, "<count>-" header, placeholders, attachments.
#include "sio_test_support.hpp"

#include <string>
#include <vector>

using namespace beastio;
using beastio::test::bin;
using beastio::test::placeholder;
using sio::packet;
using sio::packet_type;

namespace {

struct binary_row {
    std::string name;
    packet p;
    std::string text;
    std::vector<std::string> attachments;
};

const std::vector<binary_row>& binary_rows() {
    static const std::vector<binary_row> rows = {
        {"event with two buffers",
         {.type = packet_type::event, .data = json::array{"message", bin("\x01\x02\x03"), bin("\x04\x05\x06")}},
         R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
         {"\x01\x02\x03", "\x04\x05\x06"}},
        {"event with ack id",
         {.type = packet_type::event, .id = 789, .data = json::array{"message-with-ack", bin("a"), bin("b")}},
         R"(52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
         {"a", "b"}},
        {"ack with two buffers",
         {.type = packet_type::ack, .id = 789, .data = json::array{bin("a"), bin("b")}},
         R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
         {"a", "b"}},
        {"event in a namespace",
         {.type = packet_type::event, .nsp = "/admin", .data = json::array{"baz", bin(std::string("\0\xff", 2))}},
         R"(51-/admin,["baz",{"_placeholder":true,"num":0}])",
         {std::string("\0\xff", 2)}},
        {"ack form",
         {.type = packet_type::ack, .id = 15, .data = json::array{"bar", bin("")}},
         R"(61-15["bar",{"_placeholder":true,"num":0}])",
         {""}},
        {"nested buffers depth-first",
         {.type = packet_type::event, .nsp = "/n",
          .data = json::array{"e", json::object{{"x", json::array{bin("1"), json::object{{"y", bin("2")}}}}}, bin("3")}},
         R"(53-/n,["e",{"x":[{"_placeholder":true,"num":0},{"y":{"_placeholder":true,"num":1}}]},)"
         R"({"_placeholder":true,"num":2}])",
         {"1", "2", "3"}},
        {"ten attachments",
         {.type = packet_type::event,
          .data = json::array{"ten", bin("0"), bin("1"), bin("2"), bin("3"), bin("4"), bin("5"), bin("6"), bin("7"),
                              bin("8"), bin("9")}},
         R"(510-["ten",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2},)"
         R"({"_placeholder":true,"num":3},{"_placeholder":true,"num":4},{"_placeholder":true,"num":5},)"
         R"({"_placeholder":true,"num":6},{"_placeholder":true,"num":7},{"_placeholder":true,"num":8},)"
         R"({"_placeholder":true,"num":9}])",
         {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
        {"binary type without buffers keeps a zero count",
         {.type = packet_type::binary_event, .data = json::array{"x"}, .attachments = 7},
         R"(50-["x"])",
         {}},
        {"binary ack type with a buffer",
         {.type = packet_type::binary_ack, .nsp = "/a", .id = 3, .data = json::array{bin("q")}},
         R"(61-/a,3[{"_placeholder":true,"num":0}])",
         {"q"}},
        {"event without buffers stays an event",
         {.type = packet_type::event, .data = json::array{"plain", placeholder(0)}},
         R"(2["plain",{"_placeholder":true,"num":0}])",
         {}},
        {"binary in CONNECT is written as a placeholder, bytes dropped",
         {.type = packet_type::connect, .data = json::object{{"b", bin("x")}}},
         R"(0{"b":{"_placeholder":true,"num":0}})",
         {}},
    };
    return rows;
}

}  // namespace

TEST_CASE("sio encode turns binary data into placeholders and attachments", "[sio][encode][binary]") {
    for (const auto& row : binary_rows()) {
        INFO(row.name);
        const auto e = sio::encode(row.p);
        CHECK(e.text == row.text);
        CHECK(test::bytes_of(e.attachments) == row.attachments);
        const auto frame = sio::encode_frame(row.p);
        CHECK(frame.text == "4" + row.text);
        CHECK(test::bytes_of(frame.attachments) == row.attachments);
    }
}

TEST_CASE("sio encode header fields", "[sio][encode]") {
    SECTION("namespace / and empty namespace are not written") {
        CHECK(sio::encode({.type = packet_type::event, .nsp = "/", .data = json::array{"a"}}).text == R"(2["a"])");
        CHECK(sio::encode({.type = packet_type::event, .nsp = "", .data = json::array{"a"}}).text == R"(2["a"])");
    }
    SECTION("ack ids up to the maximum") {
        CHECK(sio::encode({.type = packet_type::event, .nsp = "/x", .id = 0, .data = json::array{"a"}}).text ==
              R"(2/x,0["a"])");
        CHECK(sio::encode({.type = packet_type::ack, .nsp = "/x", .id = sio::max_ack_id, .data = json::array{}}).text ==
              "3/x,9007199254740991[]");
    }
    SECTION("absent data writes no payload") {
        CHECK(sio::encode({.type = packet_type::disconnect, .nsp = "/admin"}).text == "1/admin,");
        CHECK(sio::encode_frame({.type = packet_type::disconnect}).text == "41");
        CHECK(sio::encode_frame({.type = packet_type::connect}).text == "40");
    }
    SECTION("a null payload is written") {
        CHECK(sio::encode({.type = packet_type::connect_error, .data = json::value(nullptr)}).text == "4null");
    }
}

TEST_CASE("sio encode ten attachments of 100 KB", "[sio][encode][huge]") {
    json::array args{"files"};
    std::vector<std::string> expected;
    for (int i = 0; i < 10; ++i) {
        expected.emplace_back(100 * 1024, static_cast<char>('a' + i));
        args.push_back(bin(expected.back()));
    }
    const auto e = sio::encode_frame({.type = packet_type::event, .nsp = "/up", .id = 4, .data = args});
    CHECK(e.text.rfind("4510-/up,4[\"files\",{\"_placeholder\":true,\"num\":0}", 0) == 0);
    CHECK(e.text.size() < 400);
    CHECK(test::bytes_of(e.attachments) == expected);
}
