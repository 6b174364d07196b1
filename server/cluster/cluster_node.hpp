// One beastio node of a cluster on Redis (--redis): its id, its two Redis
// connections (commands, and a subscriber every adapter of the process
// shares), the routing of subscribed channels to their adapters, and what
// /status says of Redis. docs/scaling.md.
#pragma once

#include "server/redis/redis_client.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace beastio::server {

struct cluster_options {
    redis::url url;
    std::string key = "socket.io";   // the channels' prefix (@socket.io/redis-adapter's `key`)
    std::string app_key = "beastio";  // beastio's own keys (the leader lease, the counter, presence)
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds command_timeout{5000};
    std::chrono::milliseconds reconnect_max{5000};
    std::string tls_ca_file;
    bool streams = false;               // --redis-adapter streams: a stream reader, on a connection of its own
    std::string stream = "socket.io";   // the stream's name (the Node adapter's streamName)
    std::size_t stream_maxlen = 10000;  // MAXLEN ~ of every XADD
};

class stream_reader;

// A receiver of what Redis delivers: a subscribed channel's messages
// (channel_sink), the stream's entries (entry_sink). Its owner clears it
// (off()) before it goes: none is delivered after. pin keeps the owner alive
// while a message is delivered (an adapter's namespace, say, which its last
// socket could release meanwhile on another thread); the owner may then be
// destroyed when the pin goes, outside the sink's lock.
template <class... Args>
class pinned_sink {
public:
    using handler = std::function<void(Args...)>;
    using pinner = std::function<std::shared_ptr<void>()>;
    pinned_sink(handler h, pinner p) : handler_(std::move(h)), pin_(std::move(p)) {}
    void deliver(Args... args) {
        std::shared_ptr<void> keep;
        handler h;
        {
            std::lock_guard lock(mu_);
            if (!handler_) return;
            keep = pin_();
            if (!keep) return;  // its owner is going
            h = handler_;
        }
        h(args...);
    }
    void off() {
        std::lock_guard lock(mu_);
        handler_ = nullptr;
        pin_ = nullptr;
    }

private:
    std::mutex mu_;
    handler handler_;
    pinner pin_;
};
using channel_sink = pinned_sink<std::string_view, std::string_view>;  // channel, payload

class cluster_node {
public:
    cluster_node(boost::asio::io_context& ioc, cluster_options options);
    ~cluster_node();
    cluster_node(const cluster_node&) = delete;
    cluster_node& operator=(const cluster_node&) = delete;

    void start();
    void stop();

    // This node's id in the adapters' messages: 6 characters, as uid2(6) makes them.
    const std::string& uid() const { return uid_; }
    const cluster_options& options() const { return opts_; }

    // The command connection (PUBLISH, scripts, keys); thread-safe.
    redis::client& commands() { return *pub_; }
    // The stream's reader (options().streams only).
    stream_reader& stream();
    // Commands sent and not answered yet (the shutdown waits for them: a lease handed over, say).
    bool busy() const { return pub_->pending() > 0; }

    // Routes a channel's messages to sink; subscriptions are counted per sink,
    // so two subscribe() need two unsubscribe(), and several sinks may share a
    // channel (a room "x" of "/" and the namespace "/#x" have the same one).
    // Thread-safe; the calls reach Redis in the order they were made.
    void subscribe(const std::string& channel, const std::shared_ptr<channel_sink>& sink);
    void unsubscribe(const std::string& channel, const std::shared_ptr<channel_sink>& sink);

    // Redis reachable (both connections ready), and since when it is in its current state.
    bool redis_up() const { return up_.load(); }
    std::chrono::system_clock::time_point redis_since() const;
    // Runs (on a Redis client's strand) whenever redis_up() changes.
    void on_redis_state(std::function<void(bool up)> f);

    // Runs f after `after` on an I/O thread (request deadlines); thread-safe.
    void run_after(std::chrono::milliseconds after, std::function<void()> f);
    // A request to the other nodes: counts the nodes listening on channel
    // (PUBSUB NUMSUB, this one included; 1 when Redis does not answer), gives
    // the count to counted, then publishes payload if any other node listens.
    void ask_others(const std::string& channel, std::string payload, std::function<void(std::size_t nodes)> counted);

    // The "redis" part of /status, as JSON members: "redis":"up","redis_since":"...", ...
    std::string status_json() const;

private:
    void update_state();

    boost::asio::io_context& ioc_;
    cluster_options opts_;
    std::string uid_;
    std::shared_ptr<redis::client> pub_;
    std::shared_ptr<redis::client> sub_;
    std::unique_ptr<stream_reader> reader_;
    std::atomic<bool> pub_up_{false}, sub_up_{false}, up_{false};
    std::mutex state_mu_;  // serialises update_state (taken before mu_)
    mutable std::mutex mu_;
    struct route {
        std::vector<std::pair<std::shared_ptr<channel_sink>, std::size_t>> sinks;  // with their counts
    };
    std::unordered_map<std::string, route> routes_;  // under mu_
    std::chrono::system_clock::time_point since_;  // under mu_
    std::vector<std::function<void(bool)>> state_handlers_;
};

}  // namespace beastio::server
