// A small RFC 4180 CSV reader for the offline tools (embed, eval).
// Handles quoted fields ("" escapes, commas and line breaks inside quotes),
// CRLF and LF line ends and a UTF-8 byte-order mark. Every row reports the
// physical line it started on, so errors can say "file:line: what is wrong".
#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gradvy_sync {

// A malformed input file. what() is "source:line: message" ("source: message"
// when line is 0, e.g. a file that cannot be opened).
class CsvError : public std::runtime_error {
 public:
  CsvError(const std::string& source, std::size_t line, const std::string& message);
  const std::string& source() const { return source_; }
  std::size_t line() const { return line_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string source_;
  std::size_t line_;
  std::string detail_;
};

class CsvReader {
 public:
  // source names the input in error messages (usually the file path).
  // Does not own `in`; it must outlive the reader.
  CsvReader(std::istream& in, std::string source);

  // Reads the next record into `fields`. Returns false at end of input.
  // Blank lines are skipped. Throws CsvError on an unterminated quote or
  // a character after a closing quote.
  bool next_row(std::vector<std::string>& fields);

  // 1-based line on which the last returned record started.
  std::size_t line() const { return row_line_; }
  const std::string& source() const { return source_; }

  // Error for the last returned record, e.g. bad_row("column 'ts': ...").
  CsvError error(const std::string& message) const { return CsvError(source_, row_line_, message); }

 private:
  bool read_physical_line(std::string& line);

  std::istream& in_;
  std::string source_;
  std::size_t next_line_ = 1;  // line number of the next physical line
  std::size_t row_line_ = 0;
  bool first_line_ = true;
};

// Finds `name` in a header row (exact match after trimming spaces, ASCII
// case-insensitive). Returns the column index, or nullopt.
std::optional<std::size_t> csv_find_column(const std::vector<std::string>& header, std::string_view name);

// Strict number parsing for CSV cells: the whole cell (spaces trimmed) must be
// the number. No exceptions; nullopt on anything else.
std::optional<long long> csv_parse_int(std::string_view cell);
std::optional<double> csv_parse_double(std::string_view cell);

// Orders ids the way people expect: all-digit ids numerically ("9" < "10"),
// otherwise byte-wise; digit ids before others. A total order, so sorting by
// it makes output independent of input order.
bool csv_id_less(const std::string& a, const std::string& b);

}  // namespace gradvy_sync
