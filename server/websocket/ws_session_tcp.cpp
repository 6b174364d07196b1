// ws_session over plain TCP (ws://), and what both kinds of session share.
#include "server/websocket/ws_session_impl.hpp"

namespace beastio::server {

std::string ws_detail::plain_id() {
    static std::atomic<std::uint64_t> next{1};
    return fmt::format("plain-{}", next.fetch_add(1, std::memory_order_relaxed));
}

template class ws_session<beast::tcp_stream>;

}  // namespace beastio::server
