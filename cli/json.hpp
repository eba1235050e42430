// A minimal JSON value for `--json` output: ordered objects (keys print in the order they were
// added, so scripts and humans see a stable layout), arrays, strings, integers, booleans, null.
// Output only; the CLI never parses JSON.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ssx::cli::json {

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;

class Value {
public:
    Value() = default;  // null
    Value(std::nullptr_t) {}
    Value(bool b) : v_(b) {}
    Value(int i) : v_(static_cast<std::int64_t>(i)) {}
    Value(unsigned i) : v_(static_cast<std::int64_t>(i)) {}
    Value(long i) : v_(static_cast<std::int64_t>(i)) {}
    Value(unsigned long i) : v_(static_cast<std::int64_t>(i)) {}
    Value(long long i) : v_(static_cast<std::int64_t>(i)) {}
    Value(const char* s) : v_(std::string(s ? s : "")) {}
    Value(std::string s) : v_(std::move(s)) {}
    Value(std::string_view s) : v_(std::string(s)) {}
    Value(Array a) : v_(std::move(a)) {}
    Value(Object o) : v_(std::move(o)) {}

    // Appends a member (this value must be an object; a null value becomes one).
    Value& set(std::string key, Value value);
    // Appends an element (this value must be an array; a null value becomes one).
    Value& push(Value value);

    // Compact, one line: what scripts read line by line (`ssx serve --json`).
    std::string dump() const;

private:
    void dump_to(std::string& out) const;
    std::variant<std::nullptr_t, bool, std::int64_t, std::string, Array, Object> v_{nullptr};
};

// A JSON string literal for s: quotes, backslashes and control bytes escaped; bytes that are not
// valid UTF-8 become U+FFFD so the output is always valid JSON.
std::string quote(std::string_view s);

}  // namespace ssx::cli::json
