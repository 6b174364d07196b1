// The pure pieces behind the connection limits: the message rate limiter,
// the log throttle, the frame queue's byte count and the connection slot.
#include "server/websocket/context.hpp"
#include "server/websocket/frame_queue.hpp"
#include "server/core/log.hpp"
#include "server/websocket/rate_limit.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using beastio::server::connection_slot;
using beastio::server::frame_queue;
using beastio::server::make_frame;
using beastio::server::message_rate_limiter;
using beastio::server::out_frame;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

TEST_CASE("message_rate_limiter: a burst of per_second messages, then per_second a second", "[limits]") {
    const auto t0 = clock_type::time_point{} + 1000h;
    const std::uint64_t rate = GENERATE(as<std::uint64_t>{}, 1, 5, 200);
    INFO("rate " << rate);
    message_rate_limiter r(rate, t0);
    for (std::uint64_t i = 0; i < rate; ++i) CHECK(r.allow(t0));
    CHECK_FALSE(r.allow(t0));  // rate + 1 at once is over the limit
    // Time refills the bucket: one more message each 1/rate seconds.
    const auto step = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / static_cast<double>(rate)));
    CHECK(r.allow(t0 + step + 1us));
    CHECK_FALSE(r.allow(t0 + step + 1us));
    // A long pause refills at most one second's worth.
    const auto later = t0 + 3600s;
    for (std::uint64_t i = 0; i < rate; ++i) CHECK(r.allow(later));
    CHECK_FALSE(r.allow(later));
}

TEST_CASE("message_rate_limiter: a steady client at the rate is never refused", "[limits]") {
    const auto t0 = clock_type::time_point{} + 1h;
    message_rate_limiter r(100, t0);
    for (int i = 0; i < 10000; ++i) REQUIRE(r.allow(t0 + i * 10ms));  // exactly 100 per second for 100 s
    // A client at twice the rate for 5 s gets the burst plus 5 s of refill.
    message_rate_limiter fast(100, t0);
    int accepted = 0;
    for (int i = 0; i < 1000; ++i)
        if (fast.allow(t0 + i * 5ms)) ++accepted;
    CHECK(accepted >= 595);
    CHECK(accepted <= 601);
}

TEST_CASE("message_rate_limiter: 0 means no limit", "[limits]") {
    const auto t0 = clock_type::time_point{};
    message_rate_limiter r(0, t0);
    for (int i = 0; i < 100000; ++i) REQUIRE(r.allow(t0));
}

TEST_CASE("message_rate_limiter: a clock that goes back refills nothing", "[limits]") {
    const auto t0 = clock_type::time_point{} + 10s;
    message_rate_limiter r(2, t0);
    CHECK(r.allow(t0));
    CHECK(r.allow(t0));
    CHECK_FALSE(r.allow(t0 - 5s));
}

TEST_CASE("log::throttle: one line per interval, with the count left out", "[limits]") {
    beastio::log::throttle t(10s);
    const auto t0 = clock_type::time_point{} + 1000h;
    std::uint64_t left_out = 99;
    CHECK(t.allow(t0, &left_out));
    CHECK(left_out == 0);
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(t.allow(t0 + std::chrono::milliseconds(i), &left_out));
    CHECK_FALSE(t.allow(t0 + 9999ms, &left_out));
    CHECK(t.allow(t0 + 10s, &left_out));
    CHECK(left_out == 1001);
    CHECK_FALSE(t.allow(t0 + 10s, &left_out));
    CHECK(t.allow(t0 + 60s, &left_out));
    CHECK(left_out == 1);
}

TEST_CASE("frame_queue counts the bytes it holds", "[limits]") {
    frame_queue q;
    CHECK(q.bytes() == 0);
    q.push_back(out_frame{make_frame(std::string(10, 'a')), false});
    q.push_back(out_frame{make_frame(std::string(100, 'b')), true});
    q.push_back(out_frame{make_frame(""), false});
    CHECK(q.bytes() == 110);
    q.pop_front();
    CHECK(q.bytes() == 100);
    q.push_back(out_frame{make_frame(std::string(5, 'c')), false});
    CHECK(q.bytes() == 105);
    q.truncate_after_front();  // a close keeps only the frame being written
    CHECK(q.size() == 1);
    CHECK(q.bytes() == 100);
    q.clear();
    CHECK(q.bytes() == 0);
    // Many pushes and pops (the compaction path) keep the count exact.
    std::size_t expected = 0;
    for (int i = 0; i < 500; ++i) {
        q.push_back(out_frame{make_frame(std::string(static_cast<std::size_t>(i % 7), 'x')), false});
        expected += static_cast<std::size_t>(i % 7);
        if (i % 3 == 0) {
            expected -= q.front().data->size();
            q.pop_front();
        }
        REQUIRE(q.bytes() == expected);
    }
}

TEST_CASE("connection_slot: at most max taken, each given back exactly once", "[limits]") {
    std::atomic<std::size_t> count{0};
    std::vector<connection_slot> held;
    for (int i = 0; i < 3; ++i) {
        auto s = connection_slot::acquire(count, 3);
        REQUIRE(s.has_value());
        held.push_back(std::move(*s));
    }
    CHECK(count == 3);
    CHECK_FALSE(connection_slot::acquire(count, 3).has_value());
    CHECK(count == 3);
    held.pop_back();
    CHECK(count == 2);
    {
        auto s = connection_slot::acquire(count, 3);
        REQUIRE(s.has_value());
        connection_slot moved = std::move(*s);  // moving does not give back twice
        CHECK(count == 3);
    }
    CHECK(count == 2);
    held.clear();
    CHECK(count == 0);
}
