// What another node (or anything that can PUBLISH on Redis) sends: the
// msgpack decoder and the Redis adapter's broadcast message on arbitrary
// bytes. Properties: never crashes or recurses without bound; a decoded value
// encodes to bytes that decode to the same value, and encoding is idempotent
// from there on; a decoded broadcast encodes to a message that decodes to the
// same broadcast (the JSON bridge loses nothing it keeps).
#include "fuzz_check.hpp"
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
