#include "server/cluster/cluster_node.hpp"

#include "server/cluster/stream_reader.hpp"

#include "server/core/ids.hpp"
#include "server/core/log.hpp"

#include <algorithm>
#include <stdexcept>


namespace beastio::server {
namespace {

// uid2's alphabet: letters and digits.
std::string short_uid() {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const std::string raw = random_id();  // 120 random bits, URL-safe base64
    std::string out;
    for (std::size_t i = 0; out.size() < 6 && i < raw.size(); ++i) {
        const char c = raw[i];
        if (alphabet.find(c) != std::string_view::npos) out.push_back(c);
    }
    while (out.size() < 6) out.push_back('0');
    return out;
}

}  // namespace

cluster_node::cluster_node(boost::asio::io_context& ioc, cluster_options options)
    : ioc_(ioc), opts_(std::move(options)), uid_(short_uid()), since_(std::chrono::system_clock::now()) {
    auto make = [&](bool subscriber) {
        redis::client_options o;
        o.where = opts_.url;
        o.name = fmt::format("beastio-{}-{}", uid_, subscriber ? "sub" : "cmd");
        o.subscriber = subscriber;
        o.connect_timeout = opts_.connect_timeout;
        o.command_timeout = opts_.command_timeout;
        o.reconnect_max = opts_.reconnect_max;
        o.tls_ca_file = opts_.tls_ca_file;
        return redis::client::create(ioc, std::move(o));
    };
    pub_ = make(false);
    sub_ = make(true);
    if (opts_.streams) reader_ = std::make_unique<stream_reader>(ioc, opts_, uid_);
    pub_->on_state([this](bool up, const std::string&) {
        pub_up_ = up;
        update_state();
    });
    sub_->on_state([this](bool up, const std::string&) {
        sub_up_ = up;
        update_state();
    });
    sub_->on_message([this](std::string_view channel, std::string_view payload) {
        std::vector<std::shared_ptr<channel_sink>> sinks;
        {
            std::lock_guard lock(mu_);
            auto it = routes_.find(std::string(channel));
            if (it == routes_.end()) return;
            for (const auto& [sink, count] : it->second.sinks) sinks.push_back(sink);
        }
        for (const auto& sink : sinks) sink->deliver(channel, payload);
    });
}

cluster_node::~cluster_node() { stop(); }

void cluster_node::start() {
    log::info("cluster: node {} joining through {}", uid_, opts_.url.redacted());
    pub_->start();
    sub_->start();
    if (reader_) reader_->start();
}

void cluster_node::stop() {
    pub_->stop();
    sub_->stop();
    if (reader_) reader_->stop();
}

stream_reader& cluster_node::stream() {
    if (!reader_) throw std::logic_error("cluster_node::stream() without options().streams");
    return *reader_;
}

void cluster_node::subscribe(const std::string& channel, const std::shared_ptr<channel_sink>& sink) {
    std::lock_guard lock(mu_);
    auto& sinks = routes_[channel].sinks;
    if (sinks.empty()) sub_->subscribe(channel);  // posted under the lock: Redis sees the calls' order
    for (auto& [s, count] : sinks) {
        if (s == sink) {
            ++count;
            return;
        }
    }
    sinks.emplace_back(sink, 1);
}

void cluster_node::unsubscribe(const std::string& channel, const std::shared_ptr<channel_sink>& sink) {
    std::lock_guard lock(mu_);
    auto it = routes_.find(channel);
    if (it == routes_.end()) return;
    auto& sinks = it->second.sinks;
    for (auto s = sinks.begin(); s != sinks.end(); ++s) {
        if (s->first != sink) continue;
        if (--s->second == 0) sinks.erase(s);
        break;
    }
    if (sinks.empty()) {
        routes_.erase(it);
        sub_->unsubscribe(channel);
    }
}

void cluster_node::run_after(std::chrono::milliseconds after, std::function<void()> f) {
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, after);
    timer->async_wait([timer, f = std::move(f)](const boost::system::error_code& ec) {
        if (!ec) f();
    });
}

void cluster_node::ask_others(const std::string& channel, std::string payload,
                              std::function<void(std::size_t nodes)> counted) {
    pub_->send({"PUBSUB", "NUMSUB", channel}, [this, channel, payload = std::move(payload),
                                               counted = std::move(counted)](const redis::reply& r) {
        long long nodes = 1;
        if (r.t == redis::reply::type::array && r.elements.size() == 2 && r.elements[1].t == redis::reply::type::integer)
            nodes = std::max(1LL, r.elements[1].integer);
        counted(static_cast<std::size_t>(nodes));
        if (nodes > 1) pub_->send({"PUBLISH", channel, payload});
    });
}

std::chrono::system_clock::time_point cluster_node::redis_since() const {
    std::lock_guard lock(mu_);
    return since_;
}

void cluster_node::on_redis_state(std::function<void(bool)> f) {
    std::lock_guard lock(mu_);
    state_handlers_.push_back(std::move(f));
}

void cluster_node::update_state() {
    // Under the lock: the two clients change on their own strands, and the
    // handlers see the changes one at a time, in order.
    std::lock_guard lock(state_mu_);
    const bool now_up = pub_up_ && sub_up_;
    if (up_.exchange(now_up) == now_up) return;
    std::vector<std::function<void(bool)>> handlers;
    {
        std::lock_guard routes(mu_);
        since_ = std::chrono::system_clock::now();
        handlers = state_handlers_;
    }
    if (now_up) log::info("cluster: Redis is up: node {} is part of the cluster", uid_);
    else log::warn("cluster: Redis is down: node {} serves its own clients only until it is back", uid_);
    for (auto& h : handlers) h(now_up);
}

std::string cluster_node::status_json() const {
    return fmt::format(R"("node":"{}","redis":"{}","redis_since":"{}","redis_url":"{}")", uid_,
                       redis_up() ? "up" : "down", log::utc_timestamp(redis_since()), opts_.url.redacted());
}

}  // namespace beastio::server
