// The packets a namespace sent, kept for connection state recovery: a client
// that comes back within the window gets what it missed, from the shared,
// already encoded frames. Bounded by age, by packets and by bytes (the oldest
// go first); the offset a client echoes back is "<epoch>.<seq>", where the
// epoch is random per log, so an offset from another process or an earlier
// run is never taken for one of ours. Entries have consecutive sequence
// numbers, so finding an offset is one subtraction.
//
// No I/O and no clock: the caller passes the time. Not thread-safe (the
// adapter that owns it holds its lock).
#pragma once

#include "server/core/connection.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::server {

struct recovery_bounds {
    std::chrono::milliseconds window{120000};  // socket.io's maxDisconnectionDuration
    std::size_t max_packets = 100000;
    std::size_t max_bytes = 64u << 20;
};

// Bounds with a window of 0: recovery off.
inline recovery_bounds recovery_off() {
    recovery_bounds b;
    b.window = std::chrono::milliseconds(0);
    return b;
}

// Connection state recovery (sio_limits::recovery): what the memory adapter
// keeps, and for how long. Off by default.
struct recovery_options {
    recovery_bounds log = recovery_off();  // window 0: recovery off
    std::size_t max_sessions = 100000;    // sessions kept at once; the oldest go first
    std::size_t max_replay_packets = 255; // a restore that would queue more fails (the send queue's room)
    std::size_t max_replay_bytes = 4u << 20;
    bool skip_middlewares = true;
    std::function<std::chrono::steady_clock::time_point()> clock{};  // tests; steady_clock when empty

    std::chrono::steady_clock::time_point now() const { return clock ? clock() : std::chrono::steady_clock::now(); }
};

class recovery_log {
public:
    using time_point = std::chrono::steady_clock::time_point;

    struct entry {
        std::uint64_t seq = 0;
        time_point at{};
        std::vector<out_frame> frames;    // shared with every recipient of the broadcast
        std::vector<std::string> rooms;   // empty: the whole namespace
        std::vector<std::string> except;  // rooms whose members did not get it
        std::size_t bytes = 0;            // the frames' sizes, for max_bytes
    };

    recovery_log(recovery_bounds bounds, std::string epoch);

    // The offset the next append() gets: encode the packet with it, then append.
    std::string next_offset() const { return offset_of(next_seq_); }
    std::uint64_t next_seq() const { return next_seq_; }
    std::string offset_of(std::uint64_t seq) const;
    // The sequence number of one of this log's offsets; nullopt for anything else.
    std::optional<std::uint64_t> parse(std::string_view offset) const;

    // Keeps the packet under next_offset(), then drops what the bounds no longer allow.
    void append(time_point now, std::vector<out_frame> frames, std::vector<std::string> rooms = {},
                std::vector<std::string> except = {});
    // Drops the entries older than the window.
    void trim(time_point now);

    // What a client that has seen everything before seq (exclusive) missed:
    // complete is false when some of it was dropped already (too old, or
    // pushed out by the packet and byte bounds); entries are in order.
    struct missed {
        bool complete = false;
        std::vector<const entry*> entries;
    };
    missed since(std::uint64_t seq) const;

    std::size_t size() const { return entries_.size(); }
    std::size_t bytes() const { return bytes_; }
    const recovery_bounds& bounds() const { return bounds_; }

private:
    void drop_front();

    recovery_bounds bounds_;
    std::string epoch_;
    std::uint64_t next_seq_ = 0;
    std::deque<entry> entries_;
    std::size_t bytes_ = 0;
};

}  // namespace beastio::server
