// LearnerProfile persistence: snapshot, validated restore, data export.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/behavior_patterns.hpp"
#include "gradvy/json_tree.hpp"
#include "gradvy/profile.hpp"
#include "gradvy/sort_order.hpp"

namespace gradvy {

using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "gradvy.profile";
constexpr int kVersion = 1;
constexpr std::size_t kMaxSnapshotDim = 4096;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// float32 little-endian, independent of the host byte order.
std::string floats_to_base64(const std::vector<float>& v) {
  std::string bytes;
  bytes.reserve(v.size() * 4);
  for (float f : v) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int k = 0; k < 4; ++k) bytes.push_back(static_cast<char>((u >> (8 * k)) & 0xFF));
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<std::uint8_t>(bytes[i + 2]);
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kB64[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kB64[n & 63] : '=');
  }
  return out;
}

bool base64_to_floats(const std::string& text, std::vector<float>* out) {
  if (text.size() % 4 != 0) return false;
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      std::uint32_t v = 0;
      if (c == '=') { ++pad; }
      else {
        const char* p = std::strchr(kB64, c);
        if (p == nullptr || c == '\0' || pad > 0) return false;
        v = static_cast<std::uint32_t>(p - kB64);
      }
      n = (n << 6) | v;
    }
    if (pad > 2 || (pad > 0 && i + 4 != text.size())) return false;
    bytes.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) bytes.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) bytes.push_back(static_cast<char>(n & 0xFF));
  }
  if (bytes.size() % 4 != 0) return false;
  out->resize(bytes.size() / 4);
  for (std::size_t i = 0; i < out->size(); ++i) {
    std::uint32_t u = 0;
    for (int k = 0; k < 4; ++k) u |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[4 * i + k])) << (8 * k);
    float f;
    std::memcpy(&f, &u, 4);
    if (!std::isfinite(f)) return false;
    (*out)[i] = f;
  }
  return true;
}

Status corrupt(const std::string& field, const std::string& rule) {
  return Status(ErrorCode::snapshot_corrupt, "profile snapshot." + field + ": " + rule);
}

bool get_number(const json& obj, const char* key, double* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return false;
  *out = it->get<double>();
  return std::isfinite(*out);
}

bool get_int(const json& obj, const char* key, std::int64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return false;
  *out = it->get<std::int64_t>();
  return true;
}

bool get_strings(const json& obj, const char* key, std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& v : *it) {
    if (!v.is_string()) return false;
    out->push_back(v.get<std::string>());
  }
  return true;
}

json flags_json(const ItemState& item) {
  json flags = json::array();
  if (item.enrolled) flags.push_back("enrolled");
  if (item.completed) flags.push_back("completed");
  if (item.dropped) flags.push_back("dropped");
  if (item.thumbs_up) flags.push_back("thumbs_up");
  if (item.thumbs_down) flags.push_back("thumbs_down");
  if (item.dismissed) flags.push_back("dismissed");
  return flags;
}

bool set_flag(ItemState* item, const std::string& name) {
  if (name == "enrolled") item->enrolled = true;
  else if (name == "completed") item->completed = true;
  else if (name == "dropped") item->dropped = true;
  else if (name == "thumbs_up") item->thumbs_up = true;
  else if (name == "thumbs_down") item->thumbs_down = true;
  else if (name == "dismissed") item->dismissed = true;
  else return false;
  return true;
}

// Items in id order, so both documents are the same whatever the hash order.
std::vector<const std::pair<const std::string, ItemState>*> items_by_id(
    const std::unordered_map<std::string, ItemState>& items) {
  std::vector<const std::pair<const std::string, ItemState>*> order;
  order.reserve(items.size());
  for (const auto& entry : items) order.push_back(&entry);
  sort_stable(order, [](auto* a, auto* b) { return a->first < b->first; });
  return order;
}

}  // namespace

json LearnerProfile::to_json() const {
  json out = json::object();
  out["format"] = kFormat;
  out["version"] = kVersion;
  out["config"] = config_.to_json();
  out["preferences"] = gradvy::to_json(preferences_);
  json items = json::array();
  for (const auto* entry : items_by_id(items_)) {
    const ItemState& item = entry->second;
    json j = {{"id", entry->first}, {"w", item.signal.value}, {"ts", item.signal.ts},
              {"rw", item.recent.value}, {"rts", item.recent.ts},
              {"first_ts", item.first_ts}, {"events", item.events}, {"flags", flags_json(item)},
              {"flag_ts", item.flag_ts}, {"level_done", item.level_evidence_applied},
              {"topics", item.topics}, {"content_type", item.content_type},
              {"difficulty", item.difficulty}};
    if (!item.embedding.empty()) j["embedding"] = floats_to_base64(item.embedding);
    items.push_back(std::move(j));
  }
  out["items"] = std::move(items);
  json types = json::array();
  for (const auto& [type, v] : session_content_types_) types.push_back({{"type", type}, {"w", v.value}, {"ts", v.ts}});
  out["session_content_types"] = std::move(types);
  json activity = json::array();
  for (const auto& r : activity_) {
    activity.push_back(json::array({r.ts, std::string(gradvy::to_string(r.kind)), std::string(gradvy::to_string(r.action)),
                                    std::string(gradvy::to_string(r.feedback)), r.duration_s, r.completion_rate,
                                    r.quiz_ratio}));
  }
  out["activity"] = std::move(activity);
  out["level"] = {{"sum", level_sum_}, {"n", level_n_}, {"ts", level_ts_}};
  out["last_ts"] = last_ts_;
  return out;
}

Status LearnerProfile::restore_json(std::string_view text) {
  const auto doc = parse_json_tree(text);
  if (!doc.ok()) return corrupt("", "not valid JSON");
  return restore(*doc);
}

Status LearnerProfile::restore(const json& doc) {
  if (!doc.is_object()) return corrupt("", "must be an object");
  auto format = doc.find("format");
  if (format == doc.end() || !format->is_string()) return corrupt("format", "missing");
  auto version = doc.find("version");
  if (format->get<std::string>() != kFormat || version == doc.end() || !version->is_number_integer() ||
      version->get<std::int64_t>() != kVersion) {
    return Status(ErrorCode::snapshot_version, "profile snapshot: expected format gradvy.profile version 1");
  }
  auto config_it = doc.find("config");
  if (config_it == doc.end()) return corrupt("config", "missing");
  auto config = ProfileConfig::from_json(*config_it);
  if (!config.ok()) return corrupt("config", config.message());
  auto prefs_it = doc.find("preferences");
  if (prefs_it == doc.end()) return corrupt("preferences", "missing");
  auto prefs = preferences_from_json(*prefs_it);
  if (!prefs.ok()) return corrupt("preferences", prefs.message());

  LearnerProfile fresh(config.value());
  fresh.preferences_ = prefs.value();

  auto items_it = doc.find("items");
  if (items_it == doc.end() || !items_it->is_array()) return corrupt("items", "must be an array");
  if (items_it->size() > fresh.config_.max_items) return corrupt("items", "more items than max_items");
  for (const auto& j : *items_it) {
    if (!j.is_object()) return corrupt("items", "each item must be an object");
    auto id = j.find("id");
    if (id == j.end() || !id->is_string() || id->get<std::string>().empty()) return corrupt("items.id", "must be a non-empty string");
    ItemState item;
    std::int64_t events = 0;
    if (!get_number(j, "w", &item.signal.value) || !get_int(j, "ts", &item.signal.ts) ||
        !get_int(j, "first_ts", &item.first_ts) || !get_int(j, "events", &events) || events < 0 ||
        !get_int(j, "flag_ts", &item.flag_ts) || !get_number(j, "difficulty", &item.difficulty) ||
        !(item.difficulty == 0.0 || (item.difficulty >= 1.0 && item.difficulty <= 3.0))) {
      return corrupt("items", "bad numbers in item " + id->get<std::string>());
    }
    // Short-term weight: absent in snapshots written before it existed; the
    // long-term value at its time is the closest stand-in (it decays fast anyway).
    if (j.contains("rw") || j.contains("rts")) {
      if (!get_number(j, "rw", &item.recent.value) || !get_int(j, "rts", &item.recent.ts)) {
        return corrupt("items", "bad numbers in item " + id->get<std::string>());
      }
    } else {
      item.recent = item.signal;
    }
    item.events = static_cast<std::uint32_t>(std::min<std::int64_t>(events, 0xFFFFFFFF));
    std::vector<std::string> flags;
    if (!get_strings(j, "flags", &flags) || !get_strings(j, "topics", &item.topics)) {
      return corrupt("items", "flags/topics must be arrays of strings");
    }
    for (const auto& f : flags) {
      if (!set_flag(&item, f)) return corrupt("items.flags", "unknown flag " + f);
    }
    auto level_done = j.find("level_done");
    if (level_done == j.end() || !level_done->is_boolean()) return corrupt("items.level_done", "must be a boolean");
    item.level_evidence_applied = level_done->get<bool>();
    auto ct = j.find("content_type");
    if (ct == j.end() || !ct->is_string()) return corrupt("items.content_type", "must be a string");
    item.content_type = ct->get<std::string>();
    if (auto emb = j.find("embedding"); emb != j.end()) {
      if (!emb->is_string() || !base64_to_floats(emb->get<std::string>(), &item.embedding) ||
          item.embedding.empty() || item.embedding.size() > kMaxSnapshotDim) {
        return corrupt("items.embedding", "must be base64 float32 data");
      }
    }
    if (!fresh.items_.emplace(id->get<std::string>(), std::move(item)).second) {
      return corrupt("items", "duplicate id " + id->get<std::string>());
    }
  }
  auto types_it = doc.find("session_content_types");
  if (types_it == doc.end() || !types_it->is_array()) return corrupt("session_content_types", "must be an array");
  for (const auto& j : *types_it) {
    DecayedValue v;
    auto type = j.is_object() ? j.find("type") : j.end();
    if (type == j.end() || !type->is_string() || !get_number(j, "w", &v.value) || !get_int(j, "ts", &v.ts)) {
      return corrupt("session_content_types", "entries must be {type, w, ts}");
    }
    fresh.session_content_types_[type->get<std::string>()] = v;
  }
  auto activity_it = doc.find("activity");
  if (activity_it == doc.end() || !activity_it->is_array()) return corrupt("activity", "must be an array");
  if (activity_it->size() > fresh.config_.max_activity) return corrupt("activity", "more records than max_activity");
  for (const auto& j : *activity_it) {
    if (!j.is_array() || j.size() != 7 || !j[0].is_number_integer() || !j[1].is_string() || !j[2].is_string() ||
        !j[3].is_string() || !j[4].is_number() || !j[5].is_number() || !j[6].is_number()) {
      return corrupt("activity", "records must be [ts, kind, action, feedback, duration_s, completion_rate, quiz_ratio]");
    }
    ActivityRecord r;
    r.ts = j[0].get<std::int64_t>();
    auto kind = parse_profile_event_kind(j[1].get<std::string>());
    const std::string action = j[2].get<std::string>(), feedback = j[3].get<std::string>();
    auto a = action == "none" ? std::optional<ProfileEvent::Action>(ProfileEvent::Action::none) : parse_profile_action(action);
    auto f = feedback == "none" ? std::optional<ProfileEvent::Feedback>(ProfileEvent::Feedback::none) : parse_profile_feedback(feedback);
    if (!kind || !a || !f) return corrupt("activity", "unknown kind/action/feedback");
    r.kind = *kind;
    r.action = *a;
    r.feedback = *f;
    r.duration_s = j[4].get<double>();
    r.completion_rate = j[5].get<double>();
    r.quiz_ratio = j[6].get<double>();
    if (!std::isfinite(r.duration_s) || !std::isfinite(r.completion_rate) || !std::isfinite(r.quiz_ratio)) {
      return corrupt("activity", "numbers must be finite");
    }
    fresh.activity_.push_back(r);
  }
  auto level = doc.find("level");
  if (level == doc.end() || !level->is_object() || !get_number(*level, "sum", &fresh.level_sum_) ||
      !get_number(*level, "n", &fresh.level_n_) || !get_int(*level, "ts", &fresh.level_ts_) || fresh.level_n_ < 0) {
    return corrupt("level", "must be {sum, n, ts}");
  }
  if (!get_int(doc, "last_ts", &fresh.last_ts_)) return corrupt("last_ts", "must be an integer");

  *this = std::move(fresh);
  return Status();
}

json LearnerProfile::export_json(std::int64_t now_ms) const {
  json out = json::object();
  out["format"] = "gradvy.profile.export";
  out["declared_preferences"] = gradvy::to_json(preferences_);
  json items = json::array();
  for (const auto* entry : items_by_id(items_)) {
    const ItemState& item = entry->second;
    items.push_back({{"item_id", entry->first}, {"weight_now", item.signal.at(now_ms, half_life_ms())},
                     {"short_term_weight_now", item.recent.at(now_ms, short_half_life_ms())},
                     {"last_signal_at", item.signal.ts}, {"first_seen_at", item.first_ts},
                     {"events", item.events}, {"flags", flags_json(item)}, {"topics", item.topics},
                     {"content_type", item.content_type}});
  }
  out["items"] = std::move(items);
  json topics = json::array();
  for (const auto& [t, a] : topic_affinities()) topics.push_back({{"topic", t}, {"affinity", a}});
  out["topic_affinities"] = std::move(topics);
  out["level_estimate"] = level_estimate();
  out["activity_records"] = activity_.size();
  out["insights"] = insights(*this, now_ms);
  return out;
}

}  // namespace gradvy
