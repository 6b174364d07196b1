// ws_session over plain TCP (ws://), and what both instantiations share.
#include "server/websocket/ws_session_impl.hpp"

#include <openssl/sha.h>

namespace beastio::server {

std::string ws_detail::plain_id() {
    static std::atomic<std::uint64_t> next{1};
    return fmt::format("plain-{}", next.fetch_add(1, std::memory_order_relaxed));
}

std::string ws_detail::accept_key(std::string_view key) {
    std::string s(key);
    s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
    return eio::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::span<char> ws_detail::thread_read_buffer() {
    static thread_local std::array<char, 64 * 1024> buffer;
    return {buffer.data(), buffer.size()};
}

ws_detail::write_scratch& ws_detail::thread_write_scratch() {
    static thread_local write_scratch scratch;
    return scratch;
}

template class ws_session<beast::tcp_stream>;

}  // namespace beastio::server
