// Subcommands of the gradvy-sync binary register themselves here, so each one
// lives in its own file and main() only dispatches.
#pragma once

#include <string>
#include <vector>

namespace gradvy_sync {

// args excludes the program name and the subcommand name.
using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;  // one line for `gradvy-sync --help`
  CommandFn run;
};

bool register_command(const Command& command);
const std::vector<Command>& commands();

}  // namespace gradvy_sync

// Use once at namespace scope in the subcommand's .cpp file.
#define GRADVY_SYNC_COMMAND(id, name, summary, fn) \
  static const bool gradvy_sync_registered_##id = ::gradvy_sync::register_command({name, summary, fn})
