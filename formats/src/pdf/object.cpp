#include "object.hpp"

#include <cstdio>

#include "parser.hpp"

namespace openrms::formats::pdf {

const Object* Dict::get(std::string_view key) const noexcept {
  for (const auto& e : entries_)
    if (e.first == key) return &e.second;
  return nullptr;
}

Object* Dict::get(std::string_view key) noexcept {
  for (auto& e : entries_)
    if (e.first == key) return &e.second;
  return nullptr;
}

void Dict::set(std::string key, Object value) {
  for (auto& e : entries_) {
    if (e.first == key) {
      e.second = std::move(value);
      return;
    }
  }
  entries_.push_back(DictEntry{std::move(key), std::move(value)});
}

bool Dict::erase(std::string_view key) noexcept {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

bool Object::get_number(double& out) const noexcept {
  if (const auto* i = as_int()) {
    out = static_cast<double>(*i);
    return true;
  }
  if (const auto* r = as_real()) {
    char* end = nullptr;
    out = std::strtod(r->text.c_str(), &end);
    return end && *end == 0;
  }
  return false;
}

namespace {
const char kHex[] = "0123456789abcdef";

void write_name(const std::string& n, std::string& out) {
  out.push_back('/');
  for (unsigned char c : n) {
    if (c < 0x21 || c > 0x7e || c == '#' || is_delim(c)) {
      out.push_back('#');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

void write_string(const String& s, std::string& out) {
  std::size_t odd = 0;
  for (unsigned char c : s.bytes)
    if (c < 0x20 || c > 0x7e) ++odd;
  if (s.hex || odd * 4 > s.bytes.size()) {
    out.push_back('<');
    for (unsigned char c : s.bytes) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    out.push_back('>');
    return;
  }
  out.push_back('(');
  for (unsigned char c : s.bytes) {
    switch (c) {
      case '(':
        out += "\\(";
        break;
      case ')':
        out += "\\)";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c > 0x7e) {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back(')');
}

struct Writer {
  std::string& out;
  void operator()(const Null&) const { out += "null"; }
  void operator()(bool b) const { out += b ? "true" : "false"; }
  void operator()(std::int64_t i) const { out += std::to_string(i); }
  void operator()(const Real& r) const { out += r.text; }
  void operator()(const String& s) const { write_string(s, out); }
  void operator()(const Name& n) const { write_name(n.bytes, out); }
  void operator()(const Ref& r) const {
    out += std::to_string(r.num);
    out.push_back(' ');
    out += std::to_string(r.gen);
    out += " R";
  }
  void operator()(const Array& a) const {
    out.push_back('[');
    bool first = true;
    for (const auto& o : a) {
      if (!first) out.push_back(' ');
      first = false;
      serialize(o, out);
    }
    out.push_back(']');
  }
  void operator()(const Dict& d) const {
    out += "<<";
    bool first = true;
    for (const auto& [k, v] : d.entries()) {
      if (!first) out.push_back(' ');
      first = false;
      write_name(k, out);
      out.push_back(' ');
      serialize(v, out);
    }
    out += ">>";
  }
};
}  // namespace

void serialize(const Object& o, std::string& out) {
  std::visit(Writer{out}, o.v);
}

}  // namespace openrms::formats::pdf
