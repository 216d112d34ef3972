// Shared builders for the profile/reranker tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradvy/profile.hpp"
#include "gradvy/rerank_candidates.hpp"

namespace gradvy_test {

inline constexpr std::int64_t kDay = 86400000;
inline constexpr std::int64_t kNow = 1700000000000;  // 2023-11-14

inline gradvy::Candidate course(std::string id, std::vector<std::string> topics, double difficulty,
                                double popularity = 100, double rating = 4.0, double rating_count = 50) {
  gradvy::Candidate c;
  c.id = std::move(id);
  c.topics = std::move(topics);
  c.difficulty = difficulty;
  c.popularity = popularity;
  c.rating = rating;
  c.rating_count = rating_count;
  c.content_type = "course";
  return c;
}

inline gradvy::ProfileEvent interaction(std::string id, gradvy::ProfileEvent::Action action, std::int64_t ts,
                                        std::vector<std::string> topics = {}) {
  gradvy::ProfileEvent e;
  e.kind = gradvy::ProfileEvent::Kind::course_interaction;
  e.item_id = std::move(id);
  e.action = action;
  e.ts = ts;
  e.topics = std::move(topics);
  return e;
}

inline gradvy::ProfileEvent feedback(std::string id, gradvy::ProfileEvent::Feedback fb, std::int64_t ts) {
  gradvy::ProfileEvent e;
  e.kind = gradvy::ProfileEvent::Kind::recommendation_feedback;
  e.item_id = std::move(id);
  e.feedback = fb;
  e.ts = ts;
  return e;
}

// Catalogue in an 8-dim space: axis 0 = Python, 1 = JavaScript, 2 = cooking,
// 3 = machine learning; near neighbours share an axis.
struct Catalogue {
  std::vector<gradvy::Candidate> items;
  std::vector<float> embeddings;  // items.size() x 8
  static constexpr std::size_t d = 8;

  void add(gradvy::Candidate c, std::vector<float> e) {
    e.resize(d, 0.0f);
    items.push_back(std::move(c));
    embeddings.insert(embeddings.end(), e.begin(), e.end());
  }
};

inline Catalogue python_catalogue() {
  Catalogue cat;
  cat.add(course("py-101", {"Python"}, 1, 900), {1.0f, 0.05f, 0, 0, 0.1f});
  cat.add(course("py-102", {"Python"}, 1, 700), {0.95f, 0.1f, 0, 0.05f, 0, 0.1f});
  cat.add(course("py-data-basics", {"Python", "Data"}, 1, 600), {0.9f, 0, 0, 0.3f, 0, 0, 0.1f});
  auto inter = course("py-intermediate", {"Python"}, 2, 300);
  inter.prerequisites = {"py-101"};
  cat.add(inter, {0.97f, 0.05f, 0, 0.1f, 0.1f});
  cat.add(course("py-advanced", {"Python"}, 3, 200), {0.9f, 0, 0, 0.2f, 0, 0, 0, 0.2f});
  cat.add(course("js-101", {"JavaScript"}, 1, 5000, 4.8, 2000), {0.05f, 1.0f, 0, 0, 0.1f});
  cat.add(course("js-react", {"JavaScript", "React"}, 2, 3000, 4.7, 900), {0.1f, 0.95f, 0, 0, 0, 0.2f});
  cat.add(course("cooking-pasta", {"Cooking"}, 1, 8000, 4.9, 3000), {0, 0, 1.0f, 0, 0.1f});
  cat.add(course("ml-intro", {"Machine Learning"}, 2, 1500, 4.5, 400), {0.4f, 0, 0, 1.0f});
  return cat;
}

inline gradvy::CandidateSet make_set(const Catalogue& cat) {
  auto set = gradvy::CandidateSet::create(cat.items, cat.embeddings.data(), cat.items.size(), Catalogue::d);
  return std::move(set).value();
}

}  // namespace gradvy_test
