#include "server/socketio/sio_namespace.hpp"

#include "server/core/log.hpp"

#include <atomic>
#include <memory>

namespace beastio::server {

sio_namespace::sio_namespace(std::string name, const sio_limits& limits, const adapter_factory& factory)
    : name_(std::move(name)), limits_(limits) {
    if (factory) adapter_ = factory(*this);
    if (!adapter_) adapter_ = std::make_unique<sio_memory_adapter>(*this);
}

std::size_t sio_namespace::broadcast_frame(const frame_ptr& frame) {
    return adapter_->broadcast(broadcast_packet{{out_frame{frame, false}}}, {}).recipients;
}

bool sio_namespace::add(const socket_ptr& s) {
    if (s->left()) return false;
    adapter_->add_socket(s);
    // A disconnect that raced the add (on another thread) either ran its
    // removal after the add, or set left() before it: then undo it here.
    if (s->left()) {
        adapter_->remove_socket(*s, false);
        return false;
    }
    s->joined_.store(true);
    return true;
}

void sio_namespace::remove(sio_socket& s, bool keep_session) {
    s.left_.store(true, std::memory_order_seq_cst);
    adapter_->remove_socket(s, keep_session);
}

void sio_namespace::server_side_emit(std::string_view event, const json::array& args) {
    json::array data;
    data.reserve(args.size() + 1);
    data.emplace_back(std::string(event));
    data.insert(data.end(), args.begin(), args.end());
    adapter_->server_side_emit(data);
}

void sio_namespace::server_side_emit_with_ack(std::string_view event, const json::array& args,
                                              std::chrono::milliseconds timeout, broadcast_ack_done done) {
    json::array data;
    data.reserve(args.size() + 1);
    data.emplace_back(std::string(event));
    data.insert(data.end(), args.begin(), args.end());
    adapter_->server_side_emit_with_ack(data, timeout, std::move(done));
}

void sio_namespace::deliver_server_side(json::array data, server_side_reply reply) {
    if (data.empty() || !data.front().is_string()) return;
    const std::string event = data.front().as_string();
    data.erase(data.begin());
    // Once per node, whichever handler answers first (as socket.io's callback).
    server_side_reply once;
    if (reply) {
        auto called = std::make_shared<std::atomic<bool>>(false);
        once = [called, reply = std::move(reply)](json::value answer) {
            if (!called->exchange(true)) reply(std::move(answer));
        };
    } else {
        once = [](json::value) {};
    }
    const auto guarded = [&](const auto& run) {
        try {
            run();
        } catch (const std::exception& e) {
            log::error("a server-side event handler for {} threw: {}", shown(event, 64), e.what());
        } catch (...) {
            log::error("a server-side event handler for {} threw an exception that is not a std::exception", shown(event, 64));
        }
    };
    for (auto& h : server_side_handlers_) {
        json::array args = data;  // each handler gets its own copy
        guarded([&] { h(event, args); });
    }
    for (auto& h : server_side_request_handlers_) {
        json::array args = data;
        guarded([&] { h(event, args, once); });
    }
}

void sio_namespace::run_connection_handlers(const socket_ptr& s) {
    for (auto& h : connection_handlers_) {
        if (!s->connected()) break;
        try {
            h(s);
        } catch (const std::exception& e) {
            s->handler_failed("connection", e.what());
            break;
        } catch (...) {
            s->handler_failed("connection", "an exception that is not a std::exception");
            break;
        }
    }
}

}  // namespace beastio::server
