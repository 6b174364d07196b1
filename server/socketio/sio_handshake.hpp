// What a connection's upgrade request said, as socket.io's socket.handshake:
// kept once per connection and shared by its sockets (each namespace adds
// its own auth, sio_socket::auth()).
#pragma once

#include "protocol/engineio/handshake.hpp"
#include "protocol/json.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beastio::server {

// Header fields in request order, as (name, value) views. Every connection
// keeps its request's headers for its whole life, so they are stored in one
// buffer with their boundaries beside it: two allocations for the whole
// request rather than a pair of strings (64 bytes, plus the longer strings'
// own allocations) per field.
class header_list {
public:
    using value_type = std::pair<std::string_view, std::string_view>;

    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = header_list::value_type;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = value_type;

        iterator() = default;
        iterator(const header_list* list, std::size_t i) : list_(list), i_(i) {}
        value_type operator*() const { return (*list_)[i_]; }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        iterator operator++(int) {
            auto old = *this;
            ++i_;
            return old;
        }
        bool operator==(const iterator& o) const { return i_ == o.i_; }

    private:
        const header_list* list_ = nullptr;
        std::size_t i_ = 0;
    };

    header_list() = default;
    header_list(std::initializer_list<value_type> fields) {
        for (const auto& [name, value] : fields) emplace_back(name, value);
    }

    // Room for this many fields of this many bytes in all.
    void reserve(std::size_t fields, std::size_t bytes) {
        ends_.reserve(2 * fields);
        text_.reserve(bytes);
    }
    void emplace_back(std::string_view name, std::string_view value) {
        text_.append(name);
        ends_.push_back(static_cast<std::uint32_t>(text_.size()));
        text_.append(value);
        ends_.push_back(static_cast<std::uint32_t>(text_.size()));
    }

    std::size_t size() const { return ends_.size() / 2; }
    bool empty() const { return ends_.empty(); }
    value_type operator[](std::size_t i) const {
        const std::uint32_t start = i == 0 ? 0 : ends_[2 * i - 1];
        const std::uint32_t mid = ends_[2 * i];
        const std::uint32_t end = ends_[2 * i + 1];
        const std::string_view all(text_);
        return {all.substr(start, mid - start), all.substr(mid, end - mid)};
    }
    iterator begin() const { return {this, 0}; }
    iterator end() const { return {this, size()}; }

private:
    std::string text_;                // name, value, name, value, ...
    std::vector<std::uint32_t> ends_;  // where each name and each value ends in text_
};

struct sio_handshake {
    // Header fields in request order, names lower-case, values as sent.
    header_list headers;
    // The decoded query string (EIO and transport included, as in socket.io).
    eio::query query;
    std::string url;      // the request target, e.g. "/socket.io/?EIO=4&transport=websocket"
    std::string address;  // the peer's IP address (the TCP peer; see headers for X-Forwarded-For)
    bool secure = false;  // wss:// (TLS on beastio's port)
    std::int64_t issued_ms = 0;  // when the connection was accepted, milliseconds since the Unix epoch

    // The first header with this name (any case), nullopt when absent.
    std::optional<std::string_view> header(std::string_view name) const;
    // The query parameter when it occurs exactly once.
    std::optional<std::string_view> query_value(std::string_view key) const { return query.single(key); }
    // issued_ms as an HTTP date ("Tue, 01 Dec 2026 15:47:08 GMT"), socket.io's handshake.time.
    std::string time() const;
    // As socket.io's socket.handshake object: {headers, query, url, address,
    // secure, issued, time, auth} (what fetchSockets() gives on another node).
    json::value to_json(const json::value& auth) const;
};

using handshake_ptr = std::shared_ptr<const sio_handshake>;

}  // namespace beastio::server
