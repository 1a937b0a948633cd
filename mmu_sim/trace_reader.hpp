// mmu_sim/trace_reader.hpp: an AccessSource that streams a memory trace file (Valgrind lackey
// or hpmm's text format, see trace_parse.hpp) through one fixed read buffer, so a trace of any
// length is replayed in constant memory.  "-" reads standard input.
//
// Buffer invariants (checked by valid()):
//   0 <= pos_ <= end_ <= cap_,  buf_[end_] == '\n' (sentinel),  cap_ > max_line
//   offset_ + pos_ == bytes of the input consumed (progress_done())
//   lines_ == complete lines consumed so far; the next line parsed is number lines_ + 1
// A malformed line stops the reader: error() is "FILE:LINE: what is wrong" and next() returns 0
// from then on.  Nothing is skipped silently.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mmu_sim/access.hpp"

namespace hpmm::sim {

struct ParsedLine;

enum class TraceFormat : uint8_t { kLackey, kText };
const char *name_of(TraceFormat);
// "lackey" or "text"; false for anything else.
bool parse_trace_format(const std::string &name, TraceFormat *out);

struct TraceOptions {
  bool detect = true;                         // choose the format from the first lines
  TraceFormat format = TraceFormat::kLackey;  // used when !detect
  bool ifetch = false;                    // yield instruction fetches (else parsed, then dropped)
  size_t buffer_bytes = size_t{1} << 20;  // the read buffer
  size_t max_line = 4096;                 // longer lines are an error; must be < buffer_bytes
  unsigned address_bits = 64;             // an access reaching 2^address_bits or beyond is an error
};

class TraceReader final : public AccessSource {
 public:
  // Opens path ("-" for standard input) and, if asked, detects the format from the first lines.
  // On failure returns nullptr and sets *error ("cannot open 'x.trace': No such file ...").
  static std::unique_ptr<TraceReader> open(const std::string &path, const TraceOptions &options,
                                           std::string *error);
  ~TraceReader() override;
  TraceReader(const TraceReader &) = delete;
  TraceReader &operator=(const TraceReader &) = delete;

  size_t next(std::span<Access> out) override;
  const std::string &error() const override { return error_; }
  std::string describe() const override;  // "trace:ls.trace"
  uint64_t progress_done() const override { return offset_ + pos_; }
  uint64_t progress_total() const override { return total_; }

  TraceFormat format() const { return format_; }
  bool detected() const { return detected_; }  // the format was chosen by detection
  uint64_t lines() const { return lines_; }    // complete lines consumed
  bool valid() const;

 private:
  TraceReader(int fd, bool own_fd, std::string path, const TraceOptions &options);
  bool refill();         // keeps [pos_, end_), reads more; false on a read error
  void detect_format();  // sets format_ from the first decisive line
  void set_line_error(const ParsedLine &r);
  void set_error(uint64_t line, const std::string &what);

  int fd_;
  bool own_fd_;
  std::string path_;  // as given ("-" for stdin)
  std::string name_;  // for messages ("<stdin>" for stdin)
  TraceFormat format_;
  bool detected_ = false;
  bool ifetch_;
  size_t cap_;
  size_t max_line_;
  unsigned address_bits_;
  uint64_t last_address_;        // 2^address_bits - 1
  std::unique_ptr<char[]> buf_;  // cap_ + 1 bytes
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t offset_ = 0;  // input offset of buf_[0]
  uint64_t total_ = 0;   // input size if known (regular file), else 0
  uint64_t lines_ = 0;
  std::string error_;
};

}  // namespace hpmm::sim
