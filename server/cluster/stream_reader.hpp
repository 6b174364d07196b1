// The reader of the cluster's stream (--redis-adapter streams): one
// connection of its own (XREAD BLOCK holds it), reading the entries in order
// from where it stopped, across reconnections, and handing each to the
// adapters of its namespace. docs/scaling.md.
//
// Its position is the id of the last entry it delivered. with_position runs a
// function while no entry is being delivered, so a socket that resumes its
// session can join exactly at that point: what came before is replayed to it,
// what comes after reaches it live, nothing twice.
#pragma once

#include "protocol/cluster/streams.hpp"
#include "server/cluster/cluster_node.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace beastio::server {

// A namespace's receiver of stream entries (pinned_sink's contract).
using entry_sink = pinned_sink<const cluster_wire::stream_id&, const cluster_wire::cluster_message&>;

class stream_reader {
public:
    stream_reader(boost::asio::io_context& ioc, const cluster_options& options, const std::string& uid);
    ~stream_reader();
    stream_reader(const stream_reader&) = delete;
    stream_reader& operator=(const stream_reader&) = delete;

    void start();
    void stop();

    const std::string& stream() const { return stream_; }

    void add(const std::string& nsp, const std::shared_ptr<entry_sink>& sink);
    void remove(const std::string& nsp, const std::shared_ptr<entry_sink>& sink);

    // Whether the position is known (the reader reached Redis once).
    bool ready() const { return ready_.load(); }
    // f(position) while no entry is delivered; entries after the position come after f.
    template <class F>
    auto with_position(F&& f) {
        std::lock_guard lock(deliver_mu_);
        return f(position_);
    }
    cluster_wire::stream_id position() const {
        std::lock_guard lock(deliver_mu_);
        return position_;
    }
    // Entries read (for /status and the tests).
    std::uint64_t read() const { return read_.load(); }

private:
    void begin();
    void poll();
    void retry_later();
    void on_entries(const redis::reply& r);

    boost::asio::io_context& ioc_;
    std::string stream_;
    std::shared_ptr<redis::client> client_;
    std::atomic<bool> ready_{false}, polling_{false}, stopped_{false};
    mutable std::mutex deliver_mu_;
    cluster_wire::stream_id position_{};  // under deliver_mu_
    std::mutex sinks_mu_;
    std::unordered_map<std::string, std::vector<std::shared_ptr<entry_sink>>> sinks_;  // by namespace
    std::atomic<std::uint64_t> read_{0};
};

}  // namespace beastio::server
