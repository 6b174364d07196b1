// Session ids from the kernel's cryptographic random source (getrandom(2)).
#pragma once

#include <string>

namespace beastio::server {

// 20 characters of URL-safe base64 (120 random bits), the shape of the
// reference server's ids. Thread-safe.
std::string random_id();

}  // namespace beastio::server
