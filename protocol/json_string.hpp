// Writing a JSON string literal, shared by both protocol layers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace beastio::json {

// Appends s as a JSON string literal (quotes included) the way JSON.stringify
// writes it: '"' and '\\' escaped, \b \f \n \r \t, the other control
// characters as \u00xx (lowercase hex), everything else as is (no escaping of
// '/', DEL or U+2028). Bytes that are not well-formed UTF-8 become U+FFFD, one
// per maximal invalid subpart, so the output is always valid UTF-8 JSON: a
// WebSocket text frame with invalid UTF-8 would make the client drop the
// connection.
void write_string(std::string_view s, std::string& out);

// The number of bytes write_string appends for s, quotes included.
std::size_t escaped_size(std::string_view s);

}  // namespace beastio::json
