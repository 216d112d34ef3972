// A thin layer over SQLite's own page cache that skips truncations with
// nothing to remove.
//
// Why: when a B-tree page splits in the middle of an index (as a learner's new
// events do in the (user_id, ts, event_id) key), SQLite parks a page for a
// moment under a temporary page number far past the end of the file (the
// "pending byte" page, 1 GiB / page size + 1). Its default cache remembers
// that number as the highest key it holds, so at the next COMMIT its truncate
// to the database size walks every hash bucket of the cache (SQLite 3.40).
// That walk was ~13% of the CPU of storing an event. This layer tracks the
// highest page number that can really be cached (a parked page always moves
// back before the statement ends) and lets the truncate through only when
// some page at or past the limit may be present, so the result is the same.
#include <sqlite3.h>

#include <algorithm>
#include <new>

#include "gradvy_sync/storage_backends.hpp"

namespace gradvy_sync {
namespace {

sqlite3_pcache_methods2 default_cache;

struct Cache {
  sqlite3_pcache* inner;
  unsigned parking_key;  // SQLite's temporary page number while it swaps pages
  unsigned max_key = 0;  // no page with a higher number (other than parked ones) is cached
  int parked = 0;        // pages currently under parking_key
};

Cache* cache_of(sqlite3_pcache* cache) { return reinterpret_cast<Cache*>(cache); }

sqlite3_pcache* create(int page_size, int extra, int purgeable) {
  sqlite3_pcache* inner = default_cache.xCreate(page_size, extra, purgeable);
  if (inner == nullptr) return nullptr;
  constexpr unsigned kPendingByte = 0x40000000;
  auto* cache = new (std::nothrow) Cache{inner, kPendingByte / static_cast<unsigned>(page_size) + 1};
  if (cache == nullptr) {
    default_cache.xDestroy(inner);
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(cache);
}

void set_cache_size(sqlite3_pcache* cache, int pages) { default_cache.xCachesize(cache_of(cache)->inner, pages); }

int page_count(sqlite3_pcache* cache) { return default_cache.xPagecount(cache_of(cache)->inner); }

sqlite3_pcache_page* fetch(sqlite3_pcache* cache, unsigned key, int create_flag) {
  Cache* c = cache_of(cache);
  sqlite3_pcache_page* page = default_cache.xFetch(c->inner, key, create_flag);
  if (page != nullptr && create_flag != 0) c->max_key = std::max(c->max_key, key);
  return page;
}

void unpin(sqlite3_pcache* cache, sqlite3_pcache_page* page, int discard) {
  default_cache.xUnpin(cache_of(cache)->inner, page, discard);
}

void rekey(sqlite3_pcache* cache, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = cache_of(cache);
  default_cache.xRekey(c->inner, page, old_key, new_key);
  if (new_key == c->parking_key) {
    ++c->parked;
  } else {
    c->max_key = std::max(c->max_key, new_key);
  }
  if (old_key == c->parking_key && c->parked > 0) --c->parked;
}

void truncate(sqlite3_pcache* cache, unsigned limit) {
  Cache* c = cache_of(cache);
  if (c->parked == 0 && limit > c->max_key) return;  // nothing cached at or past limit
  default_cache.xTruncate(c->inner, limit);
  c->max_key = limit == 0 ? 0 : std::min(c->max_key, limit - 1);
  if (c->parking_key >= limit) c->parked = 0;
}

void destroy(sqlite3_pcache* cache) {
  default_cache.xDestroy(cache_of(cache)->inner);
  delete cache_of(cache);
}

void shrink(sqlite3_pcache* cache) { default_cache.xShrink(cache_of(cache)->inner); }

}  // namespace

bool install_sqlite_page_cache() {
  // Only possible before SQLite initializes; afterwards both calls refuse
  // (SQLITE_MISUSE) and the default cache stays, which is merely slower.
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &default_cache) != SQLITE_OK) return false;
  static sqlite3_pcache_methods2 methods;
  methods = default_cache;  // iVersion, pArg, xInit, xShutdown pass through
  methods.xCreate = create;
  methods.xCachesize = set_cache_size;
  methods.xPagecount = page_count;
  methods.xFetch = fetch;
  methods.xUnpin = unpin;
  methods.xRekey = rekey;
  methods.xTruncate = truncate;
  methods.xDestroy = destroy;
  methods.xShrink = shrink;
  return sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
}

}  // namespace gradvy_sync
