#include "gradvy_sync/embed_cli_args.hpp"

#include "gradvy_sync/csv_reader.hpp"

namespace gradvy_sync {

CliArgs::CliArgs(const std::vector<std::string>& args, const std::set<std::string>& value_options,
                 const std::set<std::string>& flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      throw UsageError("unexpected argument '" + arg + "' (options start with --)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.erase(eq);
    }
    if (flags.count(name)) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      flags_.insert(name);
      continue;
    }
    if (!value_options.count(name)) throw UsageError("unknown option --" + name);
    if (values_.count(name)) throw UsageError("--" + name + " given twice");
    if (inline_value) {
      values_[name] = *inline_value;
    } else {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
      values_[name] = args[++i];
    }
  }
}

std::string CliArgs::required(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) throw UsageError("--" + name + " is required");
  return it->second;
}

std::string CliArgs::text(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::int64_t CliArgs::integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                              std::int64_t max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const auto value = csv_parse_int(it->second);
  if (!value || *value < min || *value > max) {
    throw UsageError("--" + name + ": expected an integer from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + it->second + "'");
  }
  return *value;
}

double CliArgs::number(const std::string& name, double fallback, double min, double max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const auto value = csv_parse_double(it->second);
  if (!value || *value < min || *value > max) {
    throw UsageError("--" + name + ": expected a number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + it->second + "'");
  }
  return *value;
}

}  // namespace gradvy_sync
