// Loads the offline tools' inputs: an interaction log (who touched which item
// when, how much) and an optional item catalogue, with ids interned to dense
// indices in a deterministic order.
//
// interactions CSV: a header row naming the columns `user_id`, `item_id`,
//   `ts` (integer epoch milliseconds) and optionally `weight` (a positive number,
//   e.g. clicks; 1 when absent); any order, other columns ignored, names
//   case-insensitive. Without such a header the first row is read as data in
//   the order user_id,item_id,ts[,weight] (only if its third cell is an integer).
// items CSV: a header naming `item_id` and optionally `course` and
//   `activity_type` (used for content fallback vectors and eval candidates).
//
// A malformed row (missing cell, empty id, non-integer ts, non-positive
// weight) is an error naming file, line and column unless skip_bad_rows is
// set; then it is counted and the first few are kept as warnings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <utility>
#include <vector>

#include "gradvy_sync/csv_reader.hpp"

namespace gradvy_sync {

struct Interaction {
  std::uint32_t user = 0;  // index into InteractionData::users
  std::uint32_t item = 0;  // index into InteractionData::items
  std::int64_t ts_ms = 0;
  double weight = 1.0;
};

struct CatalogueItem {
  std::string id;
  std::string course;         // empty when unknown
  std::string activity_type;  // empty when unknown
  bool in_catalogue = false;  // listed in the items CSV (not only seen in interactions)
};

struct InteractionData {
  std::vector<std::string> users;    // sorted with csv_id_less
  std::vector<CatalogueItem> items;  // sorted by id with csv_id_less
  // Sorted by (user, ts_ms, item, weight): each user's history is one contiguous, time-ordered run.
  std::vector<Interaction> interactions;
  bool has_course = false;  // the items CSV had a `course` column

  // [begin, end) of each user's run in `interactions`, indexed by user.
  std::vector<std::pair<std::size_t, std::size_t>> user_ranges() const;
};

struct CsvReadOptions {
  bool skip_bad_rows = false;
  std::size_t progress_every = 100000;             // rows between progress calls; 0 = never
  std::function<void(std::size_t rows)> progress;  // e.g. print "rows read" to stderr
};

struct CsvReadReport {
  std::size_t rows = 0;          // data rows accepted
  std::size_t skipped_rows = 0;  // malformed rows skipped (skip_bad_rows only)
  std::vector<std::string> warnings;  // first few skipped-row messages, "file:line: ..."
};

// Throws CsvError (with file and line) on malformed input.
InteractionData load_interaction_data(std::istream& interactions, const std::string& interactions_name,
                                      std::istream* items, const std::string& items_name,
                                      const CsvReadOptions& options, CsvReadReport* interactions_report,
                                      CsvReadReport* items_report);

// Same, opening files by path. Throws CsvError (line 0) when a file cannot be opened.
InteractionData load_interaction_files(const std::string& interactions_path, const std::string& items_path,
                                       const CsvReadOptions& options, CsvReadReport* interactions_report,
                                       CsvReadReport* items_report);

}  // namespace gradvy_sync
