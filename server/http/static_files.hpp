// Resolving a request path to a file inside one directory, never outside it.
#pragma once

#include "protocol/result.hpp"

#include <string>
#include <string_view>

namespace beastio::server {

enum class static_error { not_found, forbidden };

struct static_file {
    std::string path;          // absolute, canonical
    std::string content_type;
};

// rel is the decoded request path ("/", "/app.js", "/img/a.png"). A path with
// a ".." segment, a backslash or a NUL is forbidden; so is anything that
// resolves (through symlinks too) outside root. A directory serves its
// index.html when index_for_dirs is set.
result<static_file, static_error> open_static_file(const std::string& root, std::string_view rel, bool index_for_dirs);

std::string_view mime_type(std::string_view path);

}  // namespace beastio::server
