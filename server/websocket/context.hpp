// What every session shares: settings, the Socket.IO server, the plain
// endpoint, the registry of open connections and the connection budget.
#pragma once

#include "server/core/config.hpp"
#include "server/websocket/connection_set.hpp"
#include "server/websocket/plain_endpoint.hpp"
#include "server/socketio/sio_server.hpp"

#include "protocol/json_string.hpp"

#include <atomic>
#include <functional>
#include <vector>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace beastio::server {

// One WebSocket connection's place under --max-connections. Taken before the
// 101 is sent, given back when the session object is destroyed (whatever the
// path out), so the count can never drift.
class connection_slot {
public:
    connection_slot() = default;
    connection_slot(const connection_slot&) = delete;
    connection_slot& operator=(const connection_slot&) = delete;
    connection_slot(connection_slot&& o) noexcept : count_(o.count_) { o.count_ = nullptr; }
    connection_slot& operator=(connection_slot&& o) noexcept {
        if (this != &o) {
            release();
            count_ = o.count_;
            o.count_ = nullptr;
        }
        return *this;
    }
    ~connection_slot() { release(); }

    // A slot when fewer than max are taken; nullopt at the limit.
    static std::optional<connection_slot> acquire(std::atomic<std::size_t>& count, std::size_t max) {
        std::size_t n = count.load(std::memory_order_relaxed);
        do {
            if (n >= max) return std::nullopt;
        } while (!count.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
        connection_slot s;
        s.count_ = &count;
        return s;
    }

private:
    void release() {
        if (count_) count_->fetch_sub(1, std::memory_order_acq_rel);
        count_ = nullptr;
    }
    std::atomic<std::size_t>* count_ = nullptr;
};

struct context {
    config cfg;
    // The I/O loops connections run on, one thread each, taken in turn (the
    // first is the process's main loop); empty: the listener's own.
    std::vector<boost::asio::io_context*> loops;
    sio_server io;
    std::shared_ptr<plain_endpoint> plain;  // set before the server starts; may stay empty
    connection_set open_connections;
    std::atomic<bool> shutting_down{false};
    std::string static_dir;   // resolved, absolute (HTTP: the static files)
    std::string client_dist;  // resolved, absolute (HTTP: the socket.io-client bundle)
    std::size_t max_connections = 0;  // resolved at start-up (the flag, or from the open-file limit)
    std::atomic<std::size_t> websocket_connections{0};  // slots taken
    std::string app_name = "custom";
    // More members of /status (each "name":value,...), from the cluster and the application.
    std::vector<std::function<std::string()>> status_parts;
    // Work that must finish before the process exits (Redis commands of the shutdown).
    std::function<bool()> busy;

    // GET /status: {"app":...,"connections":N,...}
    std::string status_json() const {
        std::string out = "{\"app\":";
        json::write_string(app_name, out);
        out += ",\"connections\":" + std::to_string(open_connections.size());
        out += ",\"shutting_down\":";
        out += shutting_down.load() ? "true" : "false";
        for (const auto& part : status_parts) {
            const std::string more = part();
            if (!more.empty()) out += "," + more;
        }
        out += "}";
        return out;
    }
};

}  // namespace beastio::server
