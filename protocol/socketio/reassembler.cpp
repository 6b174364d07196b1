// Reassembly of BINARY_EVENT / BINARY_ACK packets from a text header and the
// binary frames that follow it.
#include "protocol/socketio/packet.hpp"

#include <fmt/format.h>

namespace beastio::sio {

namespace {

struct placeholder_ref {
    json::value* slot;
    std::size_t index;
};

// Parses a placeholder's num: a plain non-negative decimal integer below
// count. Anything else (negative, fraction, exponent, too large) is refused.
std::optional<std::size_t> placeholder_index(const json::value* num, std::size_t count) {
    if (num == nullptr || !num->is_number()) {
        return std::nullopt;
    }
    const std::string& text = num->as_number().text;
    std::size_t index = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        index = index * 10 + static_cast<std::size_t>(c - '0');
        if (index >= count) {
            return std::nullopt;
        }
    }
    return index;
}

// Collects every placeholder in v (depth-first). Like socket.io-parser, an
// object whose "_placeholder" is true is a placeholder, whatever else it
// holds; with duplicate keys the last one counts, as with JSON.parse. More
// placeholders than attachments is refused as soon as it is seen: an honest
// encoder writes one placeholder per attachment.
std::optional<error_info<errc>> collect(json::value& v, std::size_t count, std::vector<placeholder_ref>& refs) {
    if (auto* arr = std::get_if<json::array>(&v.v)) {
        for (auto& e : *arr) {
            if (auto err = collect(e, count, refs)) {
                return err;
            }
        }
        return std::nullopt;
    }
    auto* obj = std::get_if<json::object>(&v.v);
    if (obj == nullptr) {
        return std::nullopt;
    }
    const json::value* marker = nullptr;
    const json::value* num = nullptr;
    for (const auto& m : *obj) {
        if (m.first == "_placeholder") {
            marker = &m.second;
        } else if (m.first == "num") {
            num = &m.second;
        }
    }
    if (marker != nullptr && marker->is_bool() && marker->as_bool()) {
        const auto index = placeholder_index(num, count);
        if (!index) {
            const std::string shown = num == nullptr ? std::string("missing") : json::serialize(*num);
            return make_error(errc::placeholder_out_of_range,
                              fmt::format("placeholder num {} is not an attachment index (packet has {} attachments)",
                                          shown, count));
        }
        if (refs.size() == count) {
            return make_error(errc::too_many_placeholders,
                              fmt::format("more placeholders than the {} attachments the packet announced", count));
        }
        refs.push_back({&v, *index});
        return std::nullopt;
    }
    for (auto& m : *obj) {
        if (auto err = collect(m.second, count, refs)) {
            return err;
        }
    }
    return std::nullopt;
}

// Replaces the placeholders in p.data by the buffers. Placeholders that name
// the same attachment share its buffer.
std::optional<error_info<errc>> substitute(packet& p, const std::vector<json::shared_bytes>& buffers) {
    if (!p.data) {
        return std::nullopt;
    }
    std::vector<placeholder_ref> refs;
    refs.reserve(buffers.size());
    if (auto err = collect(*p.data, buffers.size(), refs)) {
        return err;
    }
    for (const auto& r : refs) {
        *r.slot = json::binary{buffers[r.index]};
    }
    return std::nullopt;
}

error_info<errc> too_large(std::size_t held, std::size_t limit) {
    return make_error(errc::packet_too_large,
                      fmt::format("binary packet with at least {} bytes of attachments, at most {} allowed",
                                  held, limit));
}

}  // namespace

void reassembler::reset() {
    pending_.reset();
    buffers_.clear();
    buffers_.shrink_to_fit();
    pending_bytes_ = 0;
}

result<std::optional<packet>, errc> reassembler::on_text(std::string_view text) {
    if (pending_) {
        const std::size_t expected = pending_->attachments;
        const std::size_t got = buffers_.size();
        reset();
        return make_error(errc::unexpected_text,
                          fmt::format("text packet received while {} of {} attachments were still expected",
                                      expected - got, expected));
    }
    auto decoded = decode(text, options_);
    if (!decoded) {
        return decoded.error();
    }
    packet p = std::move(decoded).value();
    if (p.type != packet_type::binary_event && p.type != packet_type::binary_ack) {
        return std::optional<packet>(std::move(p));
    }
    if (p.attachments == 0) {
        // Nothing to wait for; placeholders can only be out of range.
        if (auto err = substitute(p, {})) {
            return std::move(*err);
        }
        return std::optional<packet>(std::move(p));
    }
    buffers_.clear();
    buffers_.reserve(p.attachments);
    pending_bytes_ = 0;
    pending_ = std::make_unique<packet>(std::move(p));
    return std::optional<packet>();
}

result<std::optional<packet>, errc> reassembler::on_binary(std::string bytes) {
    if (!pending_) {
        return make_error(errc::unexpected_binary,
                          fmt::format("binary message of {} bytes received with no attachment expected", bytes.size()));
    }
    const std::size_t held = pending_bytes_ + bytes.size();
    if (options_.max_packet_bytes != 0 && held > options_.max_packet_bytes) {
        reset();
        return too_large(held, options_.max_packet_bytes);
    }
    pending_bytes_ = held;
    buffers_.push_back(std::make_shared<const std::string>(std::move(bytes)));
    if (buffers_.size() < pending_->attachments) {
        return std::optional<packet>();
    }
    packet p = std::move(*pending_);
    auto err = substitute(p, buffers_);
    reset();
    if (err) {
        return std::move(*err);
    }
    return std::optional<packet>(std::move(p));
}

}  // namespace beastio::sio
