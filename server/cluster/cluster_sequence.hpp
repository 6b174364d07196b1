// One producer for the whole cluster: the node holding a lease in Redis
// produces a sequence (the integers), fenced so that two nodes never publish
// the same value. docs/scaling.md.
//
// - Election: SET <lease key> <token> NX PX lease; the leader renews every
//   lease/3 with a compare-and-renew script; a follower tries again when the
//   lease's time to live runs out, or at once when a leader releases it
//   (SIGTERM). A paused leader (SIGSTOP past its lease) loses it.
// - Fencing: every publish is one script that checks the token, checks that
//   the value is above every value known (the counter, and the last value each
//   node reports), checks that some node has listeners, then sets the counter
//   and publishes the value and the given messages, atomically. So a value is
//   published once, in order, by the one current leader, or not at all.
// - Presence: each node writes "<listeners> <last value seen>" under its own
//   key with a time to live, on every change and every presence interval; a
//   node that gets its first listener also publishes a wake-up.
// - A Redis that lost its data: the nodes report their last value again as
//   soon as they are connected again, and a leader that finds no counter waits
//   for the reconnection backoff's cap plus a presence interval before its
//   first publish, so the sequence continues after the highest value any node
//   delivered.
#pragma once

#include "server/cluster/cluster_node.hpp"
#include "server/core/net.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace beastio::server {

struct sequence_options {
    std::string name = "integers";
    std::chrono::milliseconds lease{3000};
    std::chrono::milliseconds presence_every{1000};
    std::chrono::milliseconds reconnect_max{5000};  // the Redis clients' backoff cap (how late a node may report)
};

class cluster_sequence : public std::enable_shared_from_this<cluster_sequence> {
public:
    enum class outcome {
        published,   // the value went out (and the messages with it)
        not_leader,  // the lease is another node's (or gone): nothing was published
        behind,      // a higher value is known: `last` says which; nothing was published
        idle,        // no node has listeners: nothing was published
        failed,      // Redis did not answer: nothing is known to have been published
    };
    using publish_done = std::function<void(outcome, std::int64_t last)>;
    using message = redis::command;  // run by the script with the value: a PUBLISH, an XADD

    cluster_sequence(boost::asio::io_context& ioc, cluster_node& node, sequence_options options);
    ~cluster_sequence();

    void start();
    // Gives the lease up (SIGTERM): a follower takes over at once.
    void stop();

    // This node's listeners came (+n) or went (-n); thread-safe.
    void add_listeners(long delta);

    // Leader only (others get not_leader): publishes value with messages, fenced. done runs on the sequence's strand.
    void publish(std::int64_t value, std::vector<message> messages, publish_done done);

    // Every value published, as the sequence's channel brings it, on the strand;
    // mine: this node published it (its publish reply may have been lost).
    void on_value(std::function<void(std::int64_t value, bool mine)> f) { on_value_ = std::move(f); }
    // Leadership gained (true) or lost (false), on the strand.
    void on_role(std::function<void(bool leading)> f) { on_role_ = std::move(f); }
    // Some node has listeners again (a hint for an idle leader), on the strand.
    void on_wake(std::function<void()> f) { on_wake_ = std::move(f); }

    bool leading() const { return leading_.load(); }
    // The highest value this node has seen published (or published itself).
    std::int64_t last() const { return last_.load(); }
    // Ready to publish (a leader that found no counter waits a presence interval first).
    bool settled() const { return leading_.load() && settled_.load(); }
    std::string status_json() const;

private:
    void try_acquire();
    void renew();
    void became_leader(bool counter_exists);
    void lost_lease(const char* why);
    void report();
    void on_tick_message(std::string_view payload);
    std::string key(std::string_view what) const;

    cluster_node& node_;
    const sequence_options opts_;
    const std::string token_;
    const std::string tick_channel_, wake_channel_;
    net::strand<net::io_context::executor_type> strand_;
    net::steady_timer lease_timer_;     // acquire attempts, then renewals
    net::steady_timer presence_timer_;
    net::steady_timer settle_timer_;
    std::shared_ptr<channel_sink> sink_;
    std::atomic<long> listeners_{0};
    long reported_listeners_ = -1;      // on the strand
    bool stopped_ = false;              // on the strand
    std::chrono::steady_clock::time_point lease_until_{};  // on the strand: the lease is ours until then
    std::uint64_t published_ = 0, refused_ = 0;
    std::function<void(std::int64_t, bool)> on_value_;
    std::function<void(bool)> on_role_;
    std::function<void()> on_wake_;
    std::atomic<bool> leading_{false}, settled_{false};
    std::atomic<std::int64_t> last_{0};
};

}  // namespace beastio::server
