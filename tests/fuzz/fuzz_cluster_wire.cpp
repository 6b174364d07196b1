// What another node (or anything that can PUBLISH on Redis) sends: the
// msgpack decoder and the Redis adapter's broadcast message on arbitrary
// bytes. Properties: never crashes or recurses without bound; a decoded value
// encodes to bytes that decode to the same value, and encoding is idempotent
// from there on; a decoded broadcast encodes to a message that decodes to the
// same broadcast (the JSON bridge loses nothing it keeps). The streams
// adapter's formats too: the same bytes as a pub/sub payload, a session, a
// stream entry's data field and an entry id; what decodes re-encodes to
// something that decodes the same.
#include "fuzz_check.hpp"
#include "protocol/cluster/streams.hpp"
#include "protocol/cluster/wire.hpp"
#include "protocol/msgpack/msgpack.hpp"

using namespace beastio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto v = msgpack::decode(bytes);
    if (v) {
        const std::string once = msgpack::encode(*v);
        auto back = msgpack::decode(once);
        FUZZ_CHECK(back.has_value());
        // NaN never equals itself: compare the bytes, which say the same.
        FUZZ_CHECK(msgpack::encode(*back) == once);
    } else {
        FUZZ_CHECK(!v.error().message.empty());
    }
    if (auto p = cluster_wire::decode_pubsub(bytes)) {
        auto again = cluster_wire::decode_pubsub(cluster_wire::encode_pubsub(*p));
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->uid == p->uid && again->nsp == p->nsp && again->type == p->type);
        if (auto b = cluster_wire::read_broadcast_data(p->data)) FUZZ_CHECK(!b->data.as_array().empty());
    }
    if (auto s = cluster_wire::decode_session(bytes)) {
        auto again = cluster_wire::decode_session(cluster_wire::encode_session(*s));
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->sid == s->sid && again->pid == s->pid && again->rooms == s->rooms && again->offset == s->offset);
    }
    if (auto e = cluster_wire::decode_entry({{"uid", "u"}, {"nsp", "/"}, {"type", "3"}, {"data", std::string(bytes)}})) {
        auto again = cluster_wire::decode_entry(cluster_wire::encode_entry(*e));
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->type == e->type);
    }
    if (auto id = cluster_wire::parse_stream_id(bytes)) FUZZ_CHECK(cluster_wire::parse_stream_id(id->str()) == id);
    auto m = cluster_wire::decode_broadcast(bytes);
    if (!m) {
        FUZZ_CHECK(!m.error().message.empty());
        return 0;
    }
    const std::string encoded = cluster_wire::encode_broadcast(*m);
    auto again = cluster_wire::decode_broadcast(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->uid == m->uid && again->nsp == m->nsp && again->rooms == m->rooms && again->except == m->except);
    FUZZ_CHECK(again->flags.is_volatile == m->flags.is_volatile);
    FUZZ_CHECK(cluster_wire::encode_broadcast(*again) == encoded);
    return 0;
}
