// An event as the batching queue stores it. The queue does not know the
// event schema: the event builder has already validated, stamped and
// serialised it.
#pragma once

#include <cstdint>
#include <string>

#include "gradvy/purpose.hpp"

namespace gradvy {

struct QueuedEvent {
  std::string id;
  Purpose purpose = Purpose::essential;
  std::int64_t ts = 0;
  std::uint64_t seq = 0;
  std::string json;  // canonical wire JSON, valid UTF-8; json.size() is the event's byte size
};

}  // namespace gradvy
