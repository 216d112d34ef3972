#include "gradvy_sync/command.hpp"

namespace gradvy_sync {

static std::vector<Command>& registry() {
  static std::vector<Command> list;  // function-local: safe across static-init order
  return list;
}

bool register_command(const Command& command) {
  registry().push_back(command);
  return true;
}

const std::vector<Command>& commands() { return registry(); }

}  // namespace gradvy_sync
