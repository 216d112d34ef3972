#include "gradvy_sync/catalog.hpp"

#include <fstream>
#include <sstream>
#include <unordered_set>

namespace gradvy_sync {

bool parse_catalog(const std::string& text, Catalog& out, std::string& error) {
  out = Catalog{};
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    error = "catalog: not valid JSON";
    return false;
  }
  if (!doc.is_object()) {
    error = "catalog: must be an object with an \"items\" array";
    return false;
  }
  if (auto v = doc.find("version"); v != doc.end() && v->is_string()) out.version = v->get<std::string>();
  const auto items = doc.find("items");
  if (items == doc.end() || !items->is_array()) {
    error = "catalog.items: must be an array";
    return false;
  }
  if (items->size() > kMaxCatalogItems) {
    error = "catalog.items: at most " + std::to_string(kMaxCatalogItems) + " items";
    return false;
  }
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& item = (*items)[i];
    const std::string where = "catalog.items[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      error = where + ": must be an object";
      return false;
    }
    CatalogItem ci;
    const auto id = item.find("id");
    if (id == item.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
        id->get_ref<const std::string&>().size() > 128) {
      error = where + ".id: must be a string of 1..128 bytes";
      return false;
    }
    ci.id = id->get<std::string>();
    if (!seen.insert(ci.id).second) {
      error = where + ".id: duplicate id '" + ci.id + "'";
      return false;
    }
    if (auto t = item.find("topics"); t != item.end()) {
      if (!t->is_array()) {
        error = where + ".topics: must be an array of strings";
        return false;
      }
      for (const auto& topic : *t) {
        if (!topic.is_string()) {
          error = where + ".topics: must be an array of strings";
          return false;
        }
        ci.topics.push_back(topic.get<std::string>());
      }
    }
    if (auto t = item.find("content_type"); t != item.end()) {
      if (!t->is_string()) {
        error = where + ".content_type: must be a string";
        return false;
      }
      ci.content_type = t->get<std::string>();
    }
    if (auto t = item.find("course"); t != item.end() && t->is_string()) ci.course = t->get<std::string>();
    if (auto t = item.find("prerequisites"); t != item.end()) {
      bool ok = t->is_array();
      if (ok) {
        for (const auto& p : *t) ok = ok && p.is_string();
      }
      if (!ok) {
        error = where + ".prerequisites: must be an array of item ids";
        return false;
      }
    }
    ci.fields = item;
    out.items.push_back(std::move(ci));
  }
  return true;
}

bool load_catalog_file(const std::string& path, Catalog& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read catalog file '" + path + "'";
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!parse_catalog(buffer.str(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

}  // namespace gradvy_sync
