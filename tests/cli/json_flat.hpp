// tests/cli/json_flat.hpp: a strict little JSON reader for the tests: checks the syntax of a
// whole document and flattens it into dotted paths ("tlb.l1.hits" -> "123"; array elements as
// "config.regions.0").  Strings are returned unescaped only for the escapes hpmm-sim writes.
#pragma once

#include <cctype>
#include <cstdlib>
#include <map>
#include <string>

namespace json_flat {

class Reader {
 public:
  explicit Reader(const std::string &s) : s_(s) {}
  // True when s is exactly one JSON value (with surrounding whitespace).
  bool parse(std::map<std::string, std::string> *out) {
    out_ = out;
    ws();
    if (!value("")) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool lit(const char *w) {
    std::string word(w);
    if (s_.compare(i_, word.size(), word) != 0) return false;
    i_ += word.size();
    return true;
  }
  bool string(std::string *v) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    v->clear();
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        if (e == 'n')
          c = '\n';
        else if (e == 't')
          c = '\t';
        else if (e == 'r')
          c = '\r';
        else if (e == '"' || e == '\\' || e == '/')
          c = e;
        else if (e == 'u' && i_ + 4 <= s_.size()) {
          c = static_cast<char>(std::strtol(s_.substr(i_, 4).c_str(), nullptr, 16));
          i_ += 4;
        } else
          return false;
      }
      *v += c;
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool number(std::string *v) {
    size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    size_t digits = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ == digits) return false;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      size_t frac = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == frac) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      size_t exp = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == exp) return false;
    }
    *v = s_.substr(start, i_ - start);
    return true;
  }
  std::string join(const std::string &path, const std::string &key) {
    return path.empty() ? key : path + "." + key;
  }
  bool value(const std::string &path) {
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    std::string v;
    if (c == '{') {
      ++i_;
      ws();
      (*out_)[path.empty() ? "." : path] = "{}";
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
      for (;;) {
        ws();
        std::string key;
        if (!string(&key)) return false;
        ws();
        if (i_ >= s_.size() || s_[i_++] != ':') return false;
        ws();
        if (out_->count(join(path, key)) != 0) return false;  // duplicate key
        if (!value(join(path, key))) return false;
        ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
        return false;
      }
    }
    if (c == '[') {
      ++i_;
      ws();
      (*out_)[path] = "[]";
      if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
      for (int n = 0;; ++n) {
        ws();
        if (!value(join(path, std::to_string(n)))) return false;
        ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
        return false;
      }
    }
    if (c == '"') {
      if (!string(&v)) return false;
    } else if (lit("true")) {
      v = "true";
    } else if (lit("false")) {
      v = "false";
    } else if (lit("null")) {
      v = "null";
    } else if (!number(&v)) {
      return false;
    }
    (*out_)[path] = v;
    return true;
  }

  const std::string &s_;
  size_t i_ = 0;
  std::map<std::string, std::string> *out_ = nullptr;
};

inline bool parse(const std::string &text, std::map<std::string, std::string> *out) {
  return Reader(text).parse(out);
}

}  // namespace json_flat
