// Command-line parsing shared by the offline subcommands (embed, eval):
// `--name value` / `--name=value` options and `--flag` switches, with errors
// that name the option and the rule. Usage errors exit with code 2, input or
// I/O failures with 1 (see embed_command.cpp, eval_command.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradvy_sync {

// A bad command line; what() names the option and the rule.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CliArgs {
 public:
  // value_options take a value; flags do not. Throws UsageError on unknown
  // options, missing values, repeats and positional arguments.
  CliArgs(const std::vector<std::string>& args, const std::set<std::string>& value_options,
          const std::set<std::string>& flags);

  bool has(const std::string& name) const { return values_.count(name) || flags_.count(name); }
  std::string required(const std::string& name) const;
  std::string text(const std::string& name, const std::string& fallback) const;
  // Integer in [min, max]; fallback when absent.
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  // Finite number in [min, max]; fallback when absent.
  double number(const std::string& name, double fallback, double min, double max) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

}  // namespace gradvy_sync
