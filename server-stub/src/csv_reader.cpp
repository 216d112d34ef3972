#include "gradvy_sync/csv_reader.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace gradvy_sync {

CsvError::CsvError(const std::string& source, std::size_t line, const std::string& message)
    : std::runtime_error(source + (line ? ":" + std::to_string(line) : std::string()) + ": " + message),
      source_(source),
      line_(line),
      detail_(message) {}

CsvReader::CsvReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {}

bool CsvReader::read_physical_line(std::string& line) {
  if (!std::getline(in_, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (first_line_) {
    first_line_ = false;
    if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  }
  ++next_line_;
  return true;
}

bool CsvReader::next_row(std::vector<std::string>& fields) {
  fields.clear();
  std::string line;
  // Skip blank lines between records.
  do {
    if (!read_physical_line(line)) return false;
  } while (line.empty());
  row_line_ = next_line_ - 1;

  std::string field;
  bool in_quotes = false;
  bool was_quoted = false;  // current field had a closing quote: only a separator may follow
  std::size_t i = 0;
  for (;;) {
    if (i >= line.size()) {
      if (in_quotes) {
        // A quoted field continues on the next physical line.
        std::string more;
        if (!read_physical_line(more)) {
          throw CsvError(source_, row_line_, "unterminated quoted field (opened on this line, file ended)");
        }
        field += '\n';
        line = std::move(more);
        i = 0;
        continue;
      }
      fields.push_back(std::move(field));
      return true;
    }
    const char c = line[i++];
    if (in_quotes) {
      if (c == '"') {
        if (i < line.size() && line[i] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
          was_quoted = true;
        }
      } else {
        field += c;
      }
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (was_quoted) {
      throw CsvError(source_, next_line_ - 1,
                     std::string("unexpected character '") + c + "' after a closing quote (field " +
                         std::to_string(fields.size() + 1) + ")");
    } else if (c == '"' && field.find_first_not_of(" \t") == std::string::npos) {
      field.clear();  // leading spaces before an opening quote are not data
      in_quotes = true;
    } else {
      field += c;
    }
  }
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::size_t> csv_find_column(const std::vector<std::string>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string_view cell = trim(header[i]);
    if (cell.size() != name.size()) continue;
    bool same = true;
    for (std::size_t j = 0; j < cell.size() && same; ++j) {
      auto lower = [](char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch; };
      same = lower(cell[j]) == lower(name[j]);
    }
    if (same) return i;
  }
  return std::nullopt;
}

std::optional<long long> csv_parse_int(std::string_view cell) {
  cell = trim(cell);
  if (cell.empty() || cell.size() > 40) return std::nullopt;
  const std::string text(cell);
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> csv_parse_double(std::string_view cell) {
  cell = trim(cell);
  if (cell.empty() || cell.size() > 64) return std::nullopt;
  const std::string text(cell);
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

static bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool csv_id_less(const std::string& a, const std::string& b) {
  const bool da = all_digits(a);
  const bool db = all_digits(b);
  if (da != db) return da;
  if (da) {
    const auto strip = [](const std::string& s) { return s.find_first_not_of('0') == std::string::npos ? s.size() - 1 : s.find_first_not_of('0'); };
    const std::string_view ta = std::string_view(a).substr(strip(a));
    const std::string_view tb = std::string_view(b).substr(strip(b));
    if (ta.size() != tb.size()) return ta.size() < tb.size();
    if (ta != tb) return ta < tb;
  }
  return a < b;  // also separates "007" from "7"
}

}  // namespace gradvy_sync
