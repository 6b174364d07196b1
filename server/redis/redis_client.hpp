// A Redis client on Asio: one connection, pipelined, that reconnects by itself.
//
// Why not hiredis's async API: Debian's hiredis (0.14) has no TLS, resolves
// host names with a blocking getaddrinfo and has no connect timeout in its
// async API, and it would need an event-hook adapter for Asio anyway. So the
// socket, TLS, timeouts and reconnection are Asio's, and the replies are
// parsed by hiredis's own reader (redisReader): the part of a Redis client
// that is easy to get subtly wrong stays a maintained library's
// (docs/scaling.md).
//
// A client is either a command client (send) or a subscriber (subscribe,
// psubscribe, on_message): Redis puts a subscribed connection in a mode where
// it accepts nothing else, so a node keeps one of each.
//
// Pipelining: every command sent while a write is in flight joins the next
// write, and replies are matched to handlers in order. While Redis is not
// reachable, send() fails at once with an error reply ("redis unavailable"):
// nothing queues without bound. A reply slower than command_timeout, or a
// keep-alive PING unanswered as long, declares the connection dead (a
// half-open TCP connection is found this way). Reconnection backs off
// exponentially from reconnect_min to reconnect_max with jitter; every state
// change is one log line. A subscriber subscribes to its channels again on
// every new connection.
//
// Thread-safety: every member may be called from any thread. Handlers run on
// the client's strand, one at a time.
#pragma once

#include "server/core/net.hpp"
#include "server/core/redis_url.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace beastio::redis {

namespace net = boost::asio;

struct reply {
    enum class type { nil, status, error, integer, string, array };
    type t = type::nil;
    long long integer = 0;
    std::string str;  // status, error, string
    std::vector<reply> elements;

    bool is_error() const { return t == type::error; }
    bool is_nil() const { return t == type::nil; }
    // An error made here (the connection is gone, the reply never came).
    static reply failure(std::string why) {
        reply r;
        r.t = type::error;
        r.str = std::move(why);
        return r;
    }
};

using command = std::vector<std::string>;
using reply_handler = std::function<void(const reply&)>;

struct client_options {
    url where;
    std::string name;  // CLIENT SETNAME, and the log lines' name for this client
    bool subscriber = false;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds command_timeout{5000};
    std::chrono::milliseconds keepalive{2000};  // a PING after this long without traffic
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{5000};
    std::string tls_ca_file;  // rediss://: trust this CA (PEM) instead of the system's
};

class client {
public:
    // up: the connection is ready (true) or was lost (false); why says what happened.
    using state_handler = std::function<void(bool up, const std::string& why)>;
    using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;

    static std::shared_ptr<client> create(net::io_context& ioc, client_options options);
    ~client();  // stop()
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Set before start().
    void on_state(state_handler h);
    void on_message(message_handler h);

    void start();
    // Closes the connection for good; pending handlers get an error reply.
    void stop();

    // A command client's command; h (optional) gets the reply or an error.
    // allowance: how much longer than command_timeout this reply may take (a
    // blocking read such as XREAD BLOCK).
    void send(command c, reply_handler h = {}, std::chrono::milliseconds allowance = {});
    // A subscriber's channels (exact names) and patterns; kept across reconnections.
    void subscribe(std::string channel);
    void unsubscribe(std::string channel);
    void psubscribe(std::string pattern);

    bool up() const;
    // Commands sent and not answered yet (a command client).
    std::size_t pending() const;
    const client_options& options() const;

private:
    struct impl;
    explicit client(std::shared_ptr<impl> p);
    std::shared_ptr<impl> impl_;  // outlives the client while its operations finish
};

// RESP: one command as Redis reads it (*N, then $len per argument).
void append_command(std::string& out, const command& c);

}  // namespace beastio::redis
