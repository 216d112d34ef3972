#include "gradvy/profile.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "gradvy/json_tree.hpp"
#include "gradvy/sort_order.hpp"

namespace gradvy {

using json = nlohmann::json;

double DecayedValue::at(std::int64_t t, double half_life_ms) const {
  if (value == 0.0) return 0.0;
  const double age = static_cast<double>(t - ts);
  return value * std::exp2(-age / half_life_ms);
}

void DecayedValue::add(double amount, std::int64_t t, double half_life_ms) {
  if (value == 0.0 && ts == 0) {
    value = amount;
    ts = t;
  } else if (t >= ts) {
    value = at(t, half_life_ms) + amount;
    ts = t;
  } else {
    // An older event arriving late: decay it to our reference time instead.
    value += amount * std::exp2(-static_cast<double>(ts - t) / half_life_ms);
  }
}

LearnerProfile::LearnerProfile(ProfileConfig config) : config_(std::move(config)) {
  if (!config_.validate().ok()) config_ = ProfileConfig();
}

Status LearnerProfile::set_config(const ProfileConfig& config) {
  Status s = config.validate();
  if (!s.ok()) return s;
  config_ = config;
  evict_if_needed();
  while (activity_.size() > config_.max_activity) activity_.pop_front();
  invalidate();
  return Status();
}

Status LearnerProfile::set_preferences_json(std::string_view text) {
  const auto doc = parse_json_tree(text);
  if (!doc.ok()) return Status(ErrorCode::invalid_json, "preferences: not valid JSON");
  auto prefs = preferences_from_json(*doc);
  if (!prefs.ok()) return prefs.status();
  preferences_ = std::move(prefs).value();
  return Status();
}

double LearnerProfile::action_weight(const ProfileEvent& e) const {
  using K = ProfileEvent::Kind;
  using A = ProfileEvent::Action;
  using F = ProfileEvent::Feedback;
  switch (e.kind) {
    case K::course_interaction: {
      double base = 0.0;
      switch (e.action) {
        case A::view: base = config_.weight_view; break;
        case A::enroll: base = config_.weight_enroll; break;
        case A::progress: base = config_.weight_progress; break;
        case A::complete: base = config_.weight_complete; break;
        case A::drop: base = config_.weight_drop; break;
        case A::none: break;
      }
      double intensity = e.weight;
      if (config_.log_scale_intensity && intensity > 1.0) intensity = 1.0 + std::log(intensity);
      return base * intensity;
    }
    case K::learning_session:
      return config_.weight_session * (e.completion_rate >= 0.0 ? e.completion_rate : 1.0);
    case K::quiz_attempt:
      return config_.weight_quiz * (0.5 + e.score / e.total_questions);
    case K::recommendation_feedback:
      switch (e.feedback) {
        case F::thumbs_up: return config_.weight_thumbs_up;
        case F::thumbs_down: return config_.weight_thumbs_down;
        case F::dismissed: return config_.weight_dismissed;
        case F::none: return 0.0;
      }
      return 0.0;
    default:
      return 0.0;
  }
}

ItemState& LearnerProfile::touch_item(const std::string& id, std::int64_t ts) {
  auto [it, inserted] = items_.try_emplace(id);
  if (inserted || ts < it->second.first_ts) it->second.first_ts = ts;
  return it->second;
}

void LearnerProfile::add_level_evidence(double level, std::int64_t ts) {
  // Running mean over at most the last ~20 pieces of evidence, so the estimate
  // can move as the learner improves.
  constexpr double kMaxEvidence = 20.0;
  level = std::clamp(level, 1.0, 3.0);
  if (level_n_ >= kMaxEvidence) {
    level_sum_ *= (kMaxEvidence - 1.0) / level_n_;
    level_n_ = kMaxEvidence - 1.0;
  }
  level_sum_ += level;
  level_n_ += 1.0;
  level_ts_ = std::max(level_ts_, ts);
}

double LearnerProfile::level_estimate() const {
  // Declared level counts as two pieces of evidence.
  constexpr double kDeclaredWeight = 2.0;
  const double declared = preferences_.experience_level;
  const double prior_w = declared > 0.0 ? kDeclaredWeight : 0.0;
  const double total_w = prior_w + level_n_;
  if (total_w <= 0.0) return 0.0;
  return (prior_w * declared + level_sum_) / total_w;
}

Status LearnerProfile::observe(const ProfileEvent& e) {
  using K = ProfileEvent::Kind;
  using A = ProfileEvent::Action;
  using F = ProfileEvent::Feedback;
  Status s = validate(e);
  if (!s.ok()) return s;

  ActivityRecord rec;
  rec.ts = e.ts;
  rec.kind = e.kind;
  rec.action = e.action;
  rec.feedback = e.feedback;
  rec.duration_s = e.duration_s;
  rec.completion_rate = e.completion_rate;
  if (e.kind == K::quiz_attempt) rec.quiz_ratio = e.score / e.total_questions;
  activity_.push_back(rec);
  while (activity_.size() > config_.max_activity) activity_.pop_front();
  last_ts_ = std::max(last_ts_, e.ts);

  const double h = half_life_ms();
  if (e.kind == K::learning_session && e.item_id.empty() && !e.content_type.empty()) {
    session_content_types_[normalize_label(e.content_type)].add(action_weight(e), e.ts, h);
  }
  if (e.kind == K::quiz_attempt) {
    const double ratio = e.score / e.total_questions;
    double base = e.difficulty;
    if (base == 0.0 && !e.item_id.empty()) {
      if (const ItemState* it = find_item(e.item_id)) base = it->difficulty;
    }
    if (base == 0.0) base = level_estimate() > 0.0 ? level_estimate() : 2.0;
    // 60 % correct = at that level; each 10 points above/below moves 0.2.
    add_level_evidence(base + (ratio - 0.6) * 2.0, e.ts);
  }

  const bool about_item = !e.item_id.empty() &&
                          (e.kind == K::course_interaction || e.kind == K::learning_session ||
                           e.kind == K::quiz_attempt || e.kind == K::recommendation_feedback);
  if (about_item) {
    ItemState& item = touch_item(e.item_id, e.ts);
    const double amount = action_weight(e);
    item.signal.add(amount, e.ts, h);
    item.recent.add(amount, e.ts, short_half_life_ms());
    item.events += 1;
    if (!e.topics.empty()) {
      item.topics.clear();
      for (const auto& t : e.topics) item.topics.push_back(normalize_label(t));
    }
    if (!e.content_type.empty()) item.content_type = normalize_label(e.content_type);
    if (e.difficulty > 0.0) item.difficulty = e.difficulty;
    const std::int64_t flag_ts = std::max(item.flag_ts, e.ts);
    if (e.kind == K::course_interaction) {
      switch (e.action) {
        case A::enroll: item.enrolled = true; item.flag_ts = flag_ts; break;
        case A::complete: item.completed = true; item.dropped = false; item.flag_ts = flag_ts; break;
        case A::drop: item.dropped = true; item.flag_ts = flag_ts; break;
        default: break;
      }
    }
    if (e.kind == K::recommendation_feedback) {
      // The latest opinion wins: a thumbs-up takes back an earlier thumbs-down.
      item.flag_ts = flag_ts;
      if (e.feedback == F::thumbs_up) { item.thumbs_up = true; item.thumbs_down = false; item.dismissed = false; }
      if (e.feedback == F::thumbs_down) { item.thumbs_down = true; item.thumbs_up = false; }
      if (e.feedback == F::dismissed) item.dismissed = true;
    }
    if (item.completed && !item.level_evidence_applied && item.difficulty > 0.0) {
      // Finishing a course of difficulty d is evidence of level d + 0.5.
      add_level_evidence(item.difficulty + 0.5, e.ts);
      item.level_evidence_applied = true;
    }
    evict_if_needed();
  }
  invalidate();
  return Status();
}

bool LearnerProfile::remember_item(std::string_view id, const float* embedding, std::size_t d,
                                   const std::vector<std::string>& topics,
                                   std::string_view content_type, double difficulty) {
  auto it = items_.find(std::string(id));
  if (it == items_.end()) return false;
  ItemState& item = it->second;
  bool changed = false;
  if (embedding != nullptr && d > 0 && item.embedding.size() != d) {
    double norm2 = 0.0;
    for (std::size_t j = 0; j < d; ++j) norm2 += double(embedding[j]) * embedding[j];
    const double inv = norm2 > 0.0 ? 1.0 / std::sqrt(norm2) : 0.0;
    item.embedding.resize(d);
    for (std::size_t j = 0; j < d; ++j) item.embedding[j] = static_cast<float>(embedding[j] * inv);
    changed = true;
  }
  if (item.topics.empty() && !topics.empty()) { item.topics = topics; changed = true; }
  if (item.content_type.empty() && !content_type.empty()) { item.content_type = std::string(content_type); changed = true; }
  if (item.difficulty == 0.0 && difficulty > 0.0) {
    item.difficulty = difficulty;
    changed = true;
    if (item.completed && !item.level_evidence_applied) {
      add_level_evidence(difficulty + 0.5, item.flag_ts);
      item.level_evidence_applied = true;
    }
  }
  if (changed) invalidate();
  return true;
}

void LearnerProfile::evict_if_needed() {
  while (items_.size() > config_.max_items) {
    // Victim: the unflagged item with the smallest |weight| now; if every item
    // is flagged, the one whose flag is oldest. Ties -> smallest id.
    auto victim = items_.end();
    bool victim_flagged = true;
    double victim_w = 0.0;
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      const bool flagged = it->second.flagged();
      const double w = flagged ? static_cast<double>(it->second.flag_ts)
                               : std::fabs(it->second.signal.at(last_ts_, half_life_ms()));
      bool better = false;
      if (victim == items_.end()) better = true;
      else if (flagged != victim_flagged) better = !flagged;
      else if (w != victim_w) better = w < victim_w;
      else better = it->first < victim->first;
      if (better) { victim = it; victim_flagged = flagged; victim_w = w; }
    }
    items_.erase(victim);
  }
}

void LearnerProfile::forget_before(std::int64_t cutoff_ms) {
  // Runs on every rerank: only touches (and only invalidates caches) when
  // something is actually old enough to go.
  bool changed = false;
  for (auto it = items_.begin(); it != items_.end();) {
    ItemState& item = it->second;
    const bool signal_old = item.signal.ts < cutoff_ms && (item.signal.value != 0.0 || item.events != 0);
    const bool flags_old = item.flag_ts < cutoff_ms &&
                           (item.enrolled || item.completed || item.dropped || item.thumbs_up || item.thumbs_down || item.dismissed);
    if (signal_old) {
      item.signal = DecayedValue();
      item.recent = DecayedValue();
      item.events = 0;
      changed = true;
    }
    if (flags_old) {
      item.enrolled = item.completed = item.dropped = false;
      item.thumbs_up = item.thumbs_down = item.dismissed = false;
      changed = true;
    }
    if (item.signal.ts < cutoff_ms && item.events == 0 && item.signal.value == 0.0 && !item.flagged() &&
        item.flag_ts < cutoff_ms) {
      it = items_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (auto it = session_content_types_.begin(); it != session_content_types_.end();) {
    if (it->second.ts < cutoff_ms) { it = session_content_types_.erase(it); changed = true; }
    else ++it;
  }
  if (activity_.remove_if([&](const ActivityRecord& r) { return r.ts < cutoff_ms; }) > 0) changed = true;
  if (level_n_ > 0.0 && level_ts_ < cutoff_ms) { level_sum_ = 0.0; level_n_ = 0.0; level_ts_ = 0; changed = true; }
  if (last_ts_ < cutoff_ms && last_ts_ != 0) {
    last_ts_ = 0;
    for (const auto& r : activity_) last_ts_ = std::max(last_ts_, r.ts);
    for (const auto& [id, item] : items_) last_ts_ = std::max(last_ts_, item.signal.ts);
    changed = true;
  }
  if (changed) invalidate();
}

void LearnerProfile::apply_retention(std::int64_t now_ms) {
  const auto window = static_cast<std::int64_t>(config_.retention_days * 86400000.0);
  forget_before(now_ms - window);
}

void LearnerProfile::clear_learned() {
  items_.clear();
  session_content_types_.clear();
  activity_.clear();
  level_sum_ = level_n_ = 0.0;
  level_ts_ = last_ts_ = 0;
  invalidate();
}

void LearnerProfile::clear() {
  clear_learned();
  preferences_ = DeclaredPreferences();
}

std::size_t LearnerProfile::signal_event_count() const {
  std::size_t n = 0;
  for (const auto& [id, item] : items_) n += item.events;
  return n;
}

const ItemState* LearnerProfile::find_item(std::string_view id) const {
  auto it = items_.find(std::string(id));
  return it == items_.end() ? nullptr : &it->second;
}

double LearnerProfile::item_weight(std::string_view id, std::int64_t now_ms) const {
  const ItemState* item = find_item(id);
  return item ? item->signal.at(now_ms, half_life_ms()) : 0.0;
}

namespace {

std::vector<std::pair<std::string, double>> normalized_sorted(const std::map<std::string, double>& sums) {
  std::vector<std::pair<std::string, double>> out;
  double top = 0.0;
  for (const auto& [k, v] : sums) top = std::max(top, v);
  if (top <= 0.0) return out;
  for (const auto& [k, v] : sums) {
    if (v > 0.0) out.emplace_back(k, v / top);
  }
  sort_stable(out, [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return out;
}

}  // namespace

void LearnerProfile::rebuild_affinities() const {
  // Weights taken at last_ts_: only ratios matter, and those do not depend on now.
  const double h = half_life_ms();
  std::map<std::string, double> topics, types;
  for (const auto& [id, item] : items_) {
    const double w = item.signal.at(last_ts_, h);
    if (w == 0.0) continue;
    for (const auto& t : item.topics) topics[t] += w;
    if (!item.content_type.empty()) types[item.content_type] += w;
  }
  for (const auto& [type, v] : session_content_types_) types[type] += v.at(last_ts_, h);
  topic_cache_ = normalized_sorted(topics);
  content_type_cache_ = normalized_sorted(types);
  caches_valid_ = true;
}

const std::vector<std::pair<std::string, double>>& LearnerProfile::topic_affinities() const {
  if (!caches_valid_) rebuild_affinities();
  return topic_cache_;
}

const std::vector<std::pair<std::string, double>>& LearnerProfile::content_type_affinities() const {
  if (!caches_valid_) rebuild_affinities();
  return content_type_cache_;
}

const std::vector<float>& LearnerProfile::interest_vector(std::size_t d) const {
  return compose_vector(d, &ItemState::signal, half_life_ms(), interest_cache_);
}

const std::vector<float>& LearnerProfile::recent_interest_vector(std::size_t d) const {
  return compose_vector(d, &ItemState::recent, short_half_life_ms(), recent_cache_);
}

const std::vector<float>& LearnerProfile::compose_vector(std::size_t d, DecayedValue ItemState::*signal,
                                                         double half_life, VectorCache& cache) const {
  if (cache.dim == d && d > 0) return cache.unit;
  cache.dim = d;
  cache.unit.clear();
  if (d == 0) return cache.unit;
  std::vector<double> acc(d, 0.0);
  bool any = false;
  // Sorted by id so the floating-point sum is the same whatever the hash order.
  std::vector<const std::pair<const std::string, ItemState>*> order;
  order.reserve(items_.size());
  for (const auto& entry : items_) {
    if (entry.second.embedding.size() == d) order.push_back(&entry);
  }
  sort_stable(order, [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* entry : order) {
    const ItemState& item = entry->second;
    const double w = (item.*signal).at(last_ts_, half_life);
    if (w == 0.0) continue;
    any = true;
    for (std::size_t j = 0; j < d; ++j) acc[j] += w * item.embedding[j];
  }
  double norm2 = 0.0;
  for (double v : acc) norm2 += v * v;
  if (!any || norm2 < 1e-18) return cache.unit;
  const double inv = 1.0 / std::sqrt(norm2);
  cache.unit.resize(d);
  for (std::size_t j = 0; j < d; ++j) cache.unit[j] = static_cast<float>(acc[j] * inv);
  return cache.unit;
}

std::vector<const float*> LearnerProfile::thumbs_down_embeddings(std::size_t d, std::size_t max_count) const {
  std::vector<std::pair<std::pair<std::int64_t, std::string_view>, const float*>> found;
  for (const auto& [id, item] : items_) {
    if (item.thumbs_down && item.embedding.size() == d && d > 0) {
      found.push_back({{-item.flag_ts, id}, item.embedding.data()});
    }
  }
  sort_stable(found, [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const float*> out;
  for (std::size_t i = 0; i < found.size() && i < max_count; ++i) out.push_back(found[i].second);
  return out;
}

}  // namespace gradvy
