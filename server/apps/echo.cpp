#include "server/apps/apps.hpp"

namespace beastio::server::apps {
namespace {

void greet(const socket_ptr& s) {
    // The handshake's auth object ({} when the client sent none).
    s->emit("auth", json::array{s->auth()});
}

class echo_app final : public app {};

}  // namespace

std::shared_ptr<app> install_echo(context& ctx) {
    ctx.io.of("/").on_connection([](const socket_ptr& s) {
        greet(s);
        s->on("message", [](const socket_ptr& self, json::array& args, const ack_sender&) {
            self->emit("message-back", args);
        });
        s->on("message-with-ack", [](const socket_ptr&, json::array& args, const ack_sender& ack) {
            ack(std::move(args));
        });
    });
    ctx.io.of("/custom").on_connection([](const socket_ptr& s) { greet(s); });
    return std::make_shared<echo_app>();
}

}  // namespace beastio::server::apps
