// mmu_sim/trace_reader.cc: buffered streaming of a trace file; the per-line parsing is in
// trace_parse.hpp.  One read(2) per buffer (1 MiB by default), a memmove of at most one partial
// line per refill, no allocation per line.
#include "mmu_sim/trace_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/check.hpp"
#include "mmu_sim/trace_parse.hpp"

namespace hpmm::sim {

const char *name_of(TraceFormat f) {
  return f == TraceFormat::kLackey ? "lackey" : "text";
}

bool parse_trace_format(const std::string &name, TraceFormat *out) {
  if (name == "lackey")
    *out = TraceFormat::kLackey;
  else if (name == "text")
    *out = TraceFormat::kText;
  else
    return false;
  return true;
}

std::unique_ptr<TraceReader> TraceReader::open(const std::string &path, const TraceOptions &options,
                                               std::string *error) {
  if (options.address_bits < 12 || options.address_bits > 64) {
    *error = "trace address bits must be from 12 to 64";
    return nullptr;
  }
  if (options.max_line < 8 || options.buffer_bytes <= options.max_line) {
    *error = "trace buffer must be larger than the longest line";
    return nullptr;
  }
  const bool is_stdin = path == "-";
  int fd = is_stdin ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open '" + path + "': " + std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  bool have_stat = ::fstat(fd, &st) == 0;
  if (have_stat && S_ISDIR(st.st_mode)) {
    if (!is_stdin) ::close(fd);
    *error = "cannot read '" + path + "': it is a directory";
    return nullptr;
  }
  std::unique_ptr<TraceReader> r(new TraceReader(fd, !is_stdin, path, options));
  if (have_stat && S_ISREG(st.st_mode)) r->total_ = static_cast<uint64_t>(st.st_size);
  if (options.detect) r->detect_format();
  if (!r->error_.empty()) {
    *error = r->error_;
    return nullptr;
  }
  return r;
}

TraceReader::TraceReader(int fd, bool own_fd, std::string path, const TraceOptions &options)
    : fd_(fd),
      own_fd_(own_fd),
      path_(std::move(path)),
      name_(path_ == "-" ? "<stdin>" : path_),
      format_(options.format),
      ifetch_(options.ifetch),
      cap_(options.buffer_bytes),
      max_line_(options.max_line),
      address_bits_(options.address_bits),
      last_address_(options.address_bits >= 64 ? UINT64_MAX
                                               : (uint64_t{1} << options.address_bits) - 1),
      buf_(new char[options.buffer_bytes + 1]) {
  buf_[0] = '\n';
}

TraceReader::~TraceReader() {
  if (own_fd_) ::close(fd_);
}

std::string TraceReader::describe() const {
  return "trace:" + path_;
}

bool TraceReader::valid() const {
  return pos_ <= end_ && end_ <= cap_ && buf_[end_] == '\n' && cap_ > max_line_;
}

bool TraceReader::refill() {
  HPMM_ASSERT_EXPENSIVE(valid());
  size_t keep = end_ - pos_;
  if (pos_ != 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, keep);
    offset_ += pos_;
    pos_ = 0;
    end_ = keep;
  }
  while (end_ < cap_ && !eof_) {
    ssize_t n = ::read(fd_, buf_.get() + end_, cap_ - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      set_error(lines_ + 1, std::string("read error: ") + std::strerror(errno));
      break;
    }
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    break;  // one read per refill: a pipe hands out what it has
  }
  buf_[end_] = '\n';
  return error_.empty();
}

// The first line that is not blank decides: Valgrind's "==pid==" or "--pid--" -> lackey, '#' ->
// text, a ',' in the line -> lackey, anything else -> text.  An empty input is lackey.
void TraceReader::detect_format() {
  detected_ = true;
  format_ = TraceFormat::kLackey;
  size_t scanned = 0;  // bytes of [pos_, end_) already known to be blank lines
  for (;;) {
    const char *p = buf_.get() + pos_ + scanned;
    const char *e = buf_.get() + end_;
    while (p < e) {
      const char *nl = static_cast<const char *>(rawmemchr(p, '\n'));
      if (nl == e && !eof_) break;  // incomplete: read more
      const char *q = p;
      while (q < nl && (*q == ' ' || *q == '\t' || *q == '\r')) ++q;
      if (q != nl) {
        if ((q[0] == '=' && q[1] == '=') || (q[0] == '-' && q[1] == '-')) return;
        if (q[0] == '#') {
          format_ = TraceFormat::kText;
          return;
        }
        if (std::memchr(q, ',', static_cast<size_t>(nl - q)) == nullptr)
          format_ = TraceFormat::kText;
        return;
      }
      p = nl + 1;
      scanned = static_cast<size_t>(p - (buf_.get() + pos_));
    }
    if (eof_ || end_ - pos_ >= cap_ || !error_.empty()) return;
    if (!refill()) return;
  }
}

namespace {

// The offending token for a message: up to a separator, printable, at most 40 characters.
std::string token_at(const char *p, bool to_line_end) {
  std::string out;
  for (; *p != '\n' && out.size() < 40; ++p) {
    char c = *p;
    if (!to_line_end && (c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '#')) break;
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      static const char kDigits[] = "0123456789abcdef";
      auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out += kDigits[u >> 4];
      out += kDigits[u & 15];
    }
  }
  if (*p != '\n' && out.size() >= 40) out += "...";
  while (to_line_end && !out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

std::string hex_text(uint64_t v) {
  char buf[17];
  int i = 16;
  buf[i] = '\0';
  do {
    buf[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  return buf + i;
}

}  // namespace

void TraceReader::set_error(uint64_t line, const std::string &what) {
  if (error_.empty()) error_ = name_ + ":" + std::to_string(line) + ": " + what;
}

void TraceReader::set_line_error(const ParsedLine &r) {
  const uint64_t n = lines_;
  std::string tok = token_at(r.where, r.error == LineError::kTrailingJunk);
  switch (r.error) {
    case LineError::kNone:
      return;
    case LineError::kBadKind:
      return set_error(
          n, "bad record kind '" + tok + "' (" +
                 (format_ == TraceFormat::kLackey ? "lackey: I, L, S or M" : "text: R, W, M or I") +
                 ")");
    case LineError::kBadAddress:
      return set_error(n, tok.empty() ? "missing address" : "bad address '" + tok + "'");
    case LineError::kAddressTooLong:
      return set_error(n, "address '" + tok + "' does not fit in 64 bits");
    case LineError::kMissingComma:
      return set_error(n, "missing ',' between address and size");
    case LineError::kBadSize:
      return set_error(n, tok.empty() ? "missing size" : "bad size '" + tok + "'");
    case LineError::kSizeZero:
      return set_error(n, "size 0 (must be >= 1)");
    case LineError::kSizeTooLarge:
      return set_error(n, "size '" + tok + "' is larger than " + std::to_string(kMaxAccessSize));
    case LineError::kOverflow:
      return set_error(n, "address + size " + tok + " goes past 2^64 - 1");
    case LineError::kTrailingJunk:
      return set_error(n, "trailing junk '" + tok + "'");
  }
}

size_t TraceReader::next(std::span<Access> out) {
  if (!error_.empty()) return 0;
  const bool lackey = format_ == TraceFormat::kLackey;
  size_t n = 0;
  while (n < out.size()) {
    const char *p = buf_.get() + pos_;
    const char *e = buf_.get() + end_;
    if (p == e) {
      if (eof_ || !refill()) break;
      continue;
    }
    ParsedLine r = lackey ? parse_lackey_line(p) : parse_text_line(p);
    if (r.end == e && !eof_) {  // the line goes on past the data read so far
      if (static_cast<size_t>(e - p) > max_line_) {
        set_error(lines_ + 1, "line longer than " + std::to_string(max_line_) + " characters");
        break;
      }
      if (!refill()) break;
      continue;
    }
    ++lines_;
    if (static_cast<size_t>(r.end - p) > max_line_) {
      set_error(lines_, "line longer than " + std::to_string(max_line_) + " characters");
      break;
    }
    if (r.error != LineError::kNone) {
      set_line_error(r);
      break;
    }
    if (r.has_access && r.access.addr + (r.access.size - 1) > last_address_) {
      set_error(lines_, "address 0x" + hex_text(r.access.addr) + " + size " +
                            std::to_string(r.access.size) + " is past the " +
                            std::to_string(address_bits_) + "-bit address space");
      break;
    }
    pos_ = static_cast<size_t>(r.end - buf_.get()) + (r.end < e ? 1 : 0);
    if (r.has_access && (ifetch_ || r.access.kind != AccessKind::kIfetch)) out[n++] = r.access;
  }
  return n;
}

}  // namespace hpmm::sim
