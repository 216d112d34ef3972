// gradvy-sync: dispatches to the registered subcommands (serve, token, embed, eval).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gradvy_sync/command.hpp"

static void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: gradvy-sync <command> [options]\n\ncommands:\n");
  for (const auto& c : gradvy_sync::commands()) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\n`gradvy-sync <command> --help` describes a command's options.\n");
}

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : gradvy_sync::commands()) {
    if (c.name == std::string(argv[1])) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "gradvy-sync: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
