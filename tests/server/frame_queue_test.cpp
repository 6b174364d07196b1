#include "server/websocket/frame_queue.hpp"

#include <catch2/catch.hpp>

#include <string>

using beastio::server::frame_queue;
using beastio::server::make_frame;
using beastio::server::out_frame;

namespace {
out_frame text(const std::string& s) { return out_frame{make_frame(s), false}; }
}  // namespace

TEST_CASE("frame_queue owns no memory while empty") {
    frame_queue q;
    CHECK(q.empty());
    CHECK(q.size() == 0);
    CHECK(q.capacity() == 0);
}

TEST_CASE("frame_queue is first in, first out across interleaved pushes and pops") {
    frame_queue q;
    int next_in = 0;
    int next_out = 0;
    // Rows: how many to push, then how many to pop.
    const std::vector<std::pair<int, int>> rows = {{1, 1}, {3, 2}, {100, 50}, {10, 61}, {200, 150}, {0, 50}};
    for (const auto& [push, pop] : rows) {
        for (int i = 0; i < push; ++i) q.push_back(text(std::to_string(next_in++)));
        for (int i = 0; i < pop; ++i) {
            REQUIRE_FALSE(q.empty());
            CHECK(*q.front().data == std::to_string(next_out++));
            q.pop_front();
        }
        CHECK(q.size() == static_cast<std::size_t>(next_in - next_out));
    }
    CHECK(q.empty());
    CHECK(q.capacity() == 0);  // a drained burst gives its storage back
}

TEST_CASE("frame_queue drops its reference to a frame when it is popped") {
    frame_queue q;
    auto f = make_frame("shared");
    q.push_back(out_frame{f, false});
    q.push_back(text("next"));
    CHECK(f.use_count() == 2);
    q.pop_front();
    CHECK(f.use_count() == 1);
    CHECK(*q.front().data == "next");
}

TEST_CASE("frame_queue truncate_after_front keeps only the frame being written") {
    frame_queue q;
    q.push_back(text("a"));
    q.push_back(text("b"));
    q.push_back(text("c"));
    q.pop_front();
    q.truncate_after_front();
    REQUIRE(q.size() == 1);
    CHECK(*q.front().data == "b");
    q.pop_front();
    CHECK(q.empty());

    frame_queue empty;
    empty.truncate_after_front();
    CHECK(empty.empty());
}

TEST_CASE("frame_queue keeps binary flags with their frames") {
    frame_queue q;
    q.push_back(out_frame{make_frame("hdr"), false});
    q.push_back(out_frame{make_frame("\x01\x02"), true});
    CHECK_FALSE(q.front().binary);
    q.pop_front();
    CHECK(q.front().binary);
    CHECK(*q.front().data == "\x01\x02");
}
