#include "json.hpp"

#include <cstdio>
#include <stdexcept>

namespace ssx::cli::json {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07;
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

}  // namespace

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '"': out += "\\\""; ++i; continue;
        case '\\': out += "\\\\"; ++i; continue;
        case '\n': out += "\\n"; ++i; continue;
        case '\r': out += "\\r"; ++i; continue;
        case '\t': out += "\\t"; ++i; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
            ++i;
            continue;
        }
        std::size_t n = utf8_length(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        out.append(s.substr(i, n));
        i += n;
    }
    out += '"';
    return out;
}

Value& Value::set(std::string key, Value value) {
    if (std::holds_alternative<std::nullptr_t>(v_)) v_ = Object{};
    auto* o = std::get_if<Object>(&v_);
    if (!o) throw std::logic_error("json::Value::set on a value that is not an object");
    o->emplace_back(std::move(key), std::move(value));
    return *this;
}

Value& Value::push(Value value) {
    if (std::holds_alternative<std::nullptr_t>(v_)) v_ = Array{};
    auto* a = std::get_if<Array>(&v_);
    if (!a) throw std::logic_error("json::Value::push on a value that is not an array");
    a->push_back(std::move(value));
    return *this;
}

std::string Value::dump() const {
    std::string out;
    dump_to(out);
    return out;
}

void Value::dump_to(std::string& out) const {
    if (std::holds_alternative<std::nullptr_t>(v_)) {
        out += "null";
    } else if (auto* b = std::get_if<bool>(&v_)) {
        out += *b ? "true" : "false";
    } else if (auto* i = std::get_if<std::int64_t>(&v_)) {
        out += std::to_string(*i);
    } else if (auto* s = std::get_if<std::string>(&v_)) {
        out += quote(*s);
    } else if (auto* a = std::get_if<Array>(&v_)) {
        out += '[';
        for (std::size_t k = 0; k < a->size(); ++k) {
            if (k) out += ',';
            (*a)[k].dump_to(out);
        }
        out += ']';
    } else if (auto* o = std::get_if<Object>(&v_)) {
        out += '{';
        for (std::size_t k = 0; k < o->size(); ++k) {
            if (k) out += ',';
            out += quote((*o)[k].first);
            out += ':';
            (*o)[k].second.dump_to(out);
        }
        out += '}';
    }
}

}  // namespace ssx::cli::json
