#include "gradvy_sync/interaction_log.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <optional>
#include <unordered_map>

namespace gradvy_sync {

namespace {

constexpr std::size_t kMaxWarnings = 5;

// Interns string ids to dense indices in first-seen order; remapped to sorted order at the end.
struct Interner {
  std::unordered_map<std::string, std::uint32_t> index;
  std::vector<std::string> names;
  std::uint32_t intern(const std::string& name) {
    auto [it, inserted] = index.emplace(name, static_cast<std::uint32_t>(names.size()));
    if (inserted) names.push_back(name);
    return it->second;
  }
};

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

void record_bad_row(const CsvError& error, const CsvReadOptions& options, CsvReadReport& report) {
  if (!options.skip_bad_rows) throw error;
  ++report.skipped_rows;
  if (report.warnings.size() < kMaxWarnings) report.warnings.push_back(error.what());
}

std::string describe_header(const std::vector<std::string>& row) {
  std::string out;
  for (std::size_t i = 0; i < row.size() && i < 8; ++i) out += (i ? "," : "") + row[i];
  return out;
}

struct InteractionColumns {
  std::size_t user = 0, item = 1, ts = 2;
  std::optional<std::size_t> weight;
  std::size_t needed() const { return std::max({user, item, ts, weight.value_or(0)}) + 1; }
};

// Returns the sorted order of names and fills old->new index remap.
std::vector<std::uint32_t> sorted_remap(const std::vector<std::string>& names, std::vector<std::size_t>& order) {
  order.resize(names.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return csv_id_less(names[a], names[b]); });
  std::vector<std::uint32_t> remap(names.size());
  for (std::size_t pos = 0; pos < order.size(); ++pos) remap[order[pos]] = static_cast<std::uint32_t>(pos);
  return remap;
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> InteractionData::user_ranges() const {
  std::vector<std::pair<std::size_t, std::size_t>> ranges(users.size(), {0, 0});
  std::size_t i = 0;
  while (i < interactions.size()) {
    std::size_t j = i;
    while (j < interactions.size() && interactions[j].user == interactions[i].user) ++j;
    ranges[interactions[i].user] = {i, j};
    i = j;
  }
  return ranges;
}

InteractionData load_interaction_data(std::istream& interactions, const std::string& interactions_name,
                                      std::istream* items, const std::string& items_name,
                                      const CsvReadOptions& options, CsvReadReport* interactions_report,
                                      CsvReadReport* items_report) {
  CsvReadReport local_ireport, local_creport;
  CsvReadReport& ireport = interactions_report ? *interactions_report : local_ireport;
  CsvReadReport& creport = items_report ? *items_report : local_creport;
  ireport = CsvReadReport{};
  creport = CsvReadReport{};

  Interner users, item_ids;
  std::vector<Interaction> rows;
  std::vector<CatalogueItem> catalogue;  // indexed like item_ids.names
  bool has_course = false;

  // --- items (read first so catalogue order does not depend on interactions) ---
  if (items) {
    CsvReader reader(*items, items_name);
    std::vector<std::string> row;
    if (!reader.next_row(row)) throw CsvError(items_name, 1, "empty file: expected a header row naming item_id");
    const auto id_col = csv_find_column(row, "item_id");
    if (!id_col) {
      throw reader.error("header must name an item_id column (optional: course, activity_type); found '" +
                         describe_header(row) + "'");
    }
    const auto course_col = csv_find_column(row, "course");
    const auto type_col = csv_find_column(row, "activity_type");
    has_course = course_col.has_value();
    while (reader.next_row(row)) {
      if (row.size() <= *id_col || trimmed(row[*id_col]).empty()) {
        record_bad_row(reader.error("column 'item_id': missing or empty"), options, creport);
        continue;
      }
      const std::string id = trimmed(row[*id_col]);
      const std::size_t before = item_ids.names.size();
      const std::uint32_t index = item_ids.intern(id);
      if (index < before) {
        record_bad_row(reader.error("column 'item_id': duplicate id '" + id + "'"), options, creport);
        continue;
      }
      CatalogueItem item;
      item.id = id;
      if (course_col && *course_col < row.size()) item.course = trimmed(row[*course_col]);
      if (type_col && *type_col < row.size()) item.activity_type = trimmed(row[*type_col]);
      item.in_catalogue = true;
      catalogue.push_back(std::move(item));
      ++creport.rows;
    }
  }

  // --- interactions ---
  {
    CsvReader reader(interactions, interactions_name);
    std::vector<std::string> row;
    if (!reader.next_row(row)) {
      throw CsvError(interactions_name, 1, "empty file: expected a header row naming user_id, item_id, ts");
    }
    InteractionColumns cols;
    bool header_row = true;
    const auto u = csv_find_column(row, "user_id");
    const auto it = csv_find_column(row, "item_id");
    const auto ts = csv_find_column(row, "ts");
    if (u && it && ts) {
      cols.user = *u;
      cols.item = *it;
      cols.ts = *ts;
      cols.weight = csv_find_column(row, "weight");
    } else if (!u && !it && !ts && row.size() >= 3 && csv_parse_int(row[2])) {
      header_row = false;  // headerless: positional user_id,item_id,ts[,weight]
      if (row.size() >= 4) cols.weight = 3;
    } else {
      std::string missing;
      for (auto [name, found] : {std::pair<const char*, bool>{"user_id", u.has_value()},
                                 {"item_id", it.has_value()}, {"ts", ts.has_value()}}) {
        if (!found) missing += std::string(missing.empty() ? "" : ", ") + name;
      }
      throw reader.error("header must name the columns user_id, item_id, ts (optional: weight); missing " +
                         missing + " in '" + describe_header(row) + "'");
    }
    const std::size_t needed = cols.needed();
    auto parse_row = [&](const std::vector<std::string>& r) {
      if (r.size() < needed) {
        record_bad_row(reader.error("expected at least " + std::to_string(needed) + " columns, found " +
                                    std::to_string(r.size())),
                       options, ireport);
        return;
      }
      const std::string user = trimmed(r[cols.user]);
      const std::string item = trimmed(r[cols.item]);
      if (user.empty()) return record_bad_row(reader.error("column 'user_id': empty"), options, ireport);
      if (item.empty()) return record_bad_row(reader.error("column 'item_id': empty"), options, ireport);
      const auto ts_value = csv_parse_int(r[cols.ts]);
      if (!ts_value) {
        return record_bad_row(
            reader.error("column 'ts': expected integer epoch milliseconds, got '" + r[cols.ts] + "'"), options,
            ireport);
      }
      double weight = 1.0;
      if (cols.weight && !trimmed(r[*cols.weight]).empty()) {
        const auto w = csv_parse_double(r[*cols.weight]);
        if (!w || *w <= 0.0) {
          return record_bad_row(
              reader.error("column 'weight': expected a positive number, got '" + r[*cols.weight] + "'"), options,
              ireport);
        }
        weight = *w;
      }
      Interaction x;
      x.user = users.intern(user);
      const std::size_t before = item_ids.names.size();
      x.item = item_ids.intern(item);
      if (x.item >= before) {
        CatalogueItem unknown;
        unknown.id = item;
        catalogue.push_back(std::move(unknown));
      }
      x.ts_ms = *ts_value;
      x.weight = weight;
      rows.push_back(x);
      ++ireport.rows;
      if (options.progress && options.progress_every && ireport.rows % options.progress_every == 0) {
        options.progress(ireport.rows);
      }
    };
    if (!header_row) parse_row(row);
    while (reader.next_row(row)) parse_row(row);
  }

  // --- deterministic order: ids sorted, rows sorted per user by time ---
  InteractionData data;
  data.has_course = has_course;
  std::vector<std::size_t> user_order, item_order;
  const auto user_remap = sorted_remap(users.names, user_order);
  const auto item_remap = sorted_remap(item_ids.names, item_order);
  data.users.reserve(user_order.size());
  for (std::size_t old : user_order) data.users.push_back(std::move(users.names[old]));
  data.items.reserve(item_order.size());
  for (std::size_t old : item_order) data.items.push_back(std::move(catalogue[old]));
  for (auto& x : rows) {
    x.user = user_remap[x.user];
    x.item = item_remap[x.item];
  }
  std::sort(rows.begin(), rows.end(), [](const Interaction& a, const Interaction& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.ts_ms != b.ts_ms) return a.ts_ms < b.ts_ms;
    if (a.item != b.item) return a.item < b.item;
    return a.weight < b.weight;
  });
  data.interactions = std::move(rows);
  return data;
}

InteractionData load_interaction_files(const std::string& interactions_path, const std::string& items_path,
                                       const CsvReadOptions& options, CsvReadReport* interactions_report,
                                       CsvReadReport* items_report) {
  std::ifstream interactions(interactions_path, std::ios::binary);
  if (!interactions) throw CsvError(interactions_path, 0, "cannot open file for reading");
  std::ifstream items;
  if (!items_path.empty()) {
    items.open(items_path, std::ios::binary);
    if (!items) throw CsvError(items_path, 0, "cannot open file for reading");
  }
  return load_interaction_data(interactions, interactions_path, items_path.empty() ? nullptr : &items, items_path,
                               options, interactions_report, items_report);
}

}  // namespace gradvy_sync
