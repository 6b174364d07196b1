// Acknowledgements: the sender an event handler answers with, and the
// callback a server emit_with_ack waits on.
#pragma once

#include "protocol/json.hpp"
#include "server/socketio/sio_fwd.hpp"
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace beastio::server {

// Answers one incoming event that asked for an acknowledgement. Calling it
// more than once sends one ACK; calling it when no ack was asked does nothing.
class ack_sender {
public:
    ack_sender() = default;
    ack_sender(std::weak_ptr<sio_socket> s, std::uint64_t id) : state_(std::make_shared<state>(std::move(s), id)) {}

    bool wanted() const { return state_ != nullptr; }
    void operator()(json::array args = {}) const;

private:
    struct state {
        state(std::weak_ptr<sio_socket> t, std::uint64_t i) : target(std::move(t)), id(i) {}
        std::weak_ptr<sio_socket> target;
        std::uint64_t id;
        std::atomic<bool> sent{false};
    };
    std::shared_ptr<state> state_;
};

using ack_callback = std::function<void(json::array& args)>;

// Why an acknowledgement with a timeout did not come: "operation has timed out"
// (socket.io's message) or "socket has been disconnected".
struct ack_error {
    std::string message;
};
// Runs once: with no error and the client's arguments, or with an error and no arguments.
using timed_ack_callback = std::function<void(const std::optional<ack_error>& error, json::array& args)>;

}  // namespace beastio::server
