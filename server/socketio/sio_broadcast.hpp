// One emit to many sockets of a namespace: rooms, except; encoded once.
#pragma once

#include "protocol/json.hpp"
#include "server/socketio/sio_fwd.hpp"
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::server {

// A set of target rooms (empty = the whole namespace) minus excluded rooms.
class sio_broadcast {
public:
    explicit sio_broadcast(sio_namespace& nsp) : nsp_(nsp) {}
    sio_broadcast& to(std::string room) { rooms_.push_back(std::move(room)); return *this; }
    sio_broadcast& except(std::string room) { except_.push_back(std::move(room)); return *this; }
    // Encodes once; returns how many sockets it was queued for.
    std::size_t emit(std::string_view event, const json::array& args = {});

private:
    sio_namespace& nsp_;
    std::vector<std::string> rooms_;
    std::vector<std::string> except_;
};

}  // namespace beastio::server
