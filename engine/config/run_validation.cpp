// engine/config/run_validation.cpp — see run_validation.hpp.
#include "engine/config/run_validation.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <filesystem>
#include <fstream>

#include "engine/shadow/shadow_log_writer.hpp"

namespace luascale {
std::string adapter_problem(const Config& cfg, const std::string& path, const std::exception& e) {
  if (const auto* o = dynamic_cast<const AdapterOptionError*>(&e))
    return cfg.path + ": " + path + "." + o->key + ": " + o->message;
  return cfg.path + ": " + path + ": " + e.what();
}

std::string listen_address_problem(const std::string& listen) {
  if (listen == "off") return "";
  const std::string example = " (e.g. \"127.0.0.1:9464\", \"[::1]:9464\" or \"off\")";
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return "'" + listen + "' is not host:port" + example;
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && c >= '0' && c <= '9';
  if (!digits || std::stoul(port) > 65535)
    return "'" + listen + "': the port must be a number from 0 to 65535" + example;
  boost::system::error_code ec;
  if (!host.empty()) boost::asio::ip::make_address(host, ec);
  if (ec) return "'" + listen + "': '" + host + "' is not an IP address" + example;
  return "";
}

RunValidation validate_for_run(const Config& cfg, const std::vector<SourceFactory>& sources,
                               const std::vector<ActuatorFactory>& actuators,
                               const RunSettings& settings) {
  RunValidation out;
  boost::asio::io_context scratch;  // never run: adapters are built, not started
  AdapterContext actx{scratch, cfg.dir};
  for (const auto& pc : cfg.policies) {
    if (pc.shadow && !pc.shadow_log.empty())
      if (std::string why = ShadowLogWriter::check(pc.shadow_log); !why.empty())
        out.problems.push_back(cfg.path + ": " + pc.key_path + ".shadow_log: " + why);
    const std::string tp = pc.key_path + ".target";
    if (pc.target.kind.empty()) {
      std::string kinds;
      for (const auto& f : actuators)
        kinds += (kinds.empty() ? "\"" : ", \"") + std::string(f.kind) + "\"";
      out.run_only.push_back(cfg.path + ": " + tp + ".kind: needed by run: the actuator (" + kinds +
                             ")");
    } else if (settings.build_adapters) {
      for (const auto& f : actuators) {
        if (pc.target.kind != f.kind) continue;
        try {
          if (!f.make(actx, pc.name, pc.target.options))
            out.problems.push_back(cfg.path + ": " + tp + ": the actuator could not be created");
        } catch (const std::exception& e) {
          out.problems.push_back(adapter_problem(cfg, tp, e));
        }
      }
    }
    for (const auto& sc : pc.signals) {
      const std::string sp = pc.key_path + ".signals." + sc.name;
      if (sc.source.empty()) {
        std::string names;
        for (const auto& f : sources)
          names += (names.empty() ? "\"" : ", \"") + std::string(f.name) + "\"";
        out.run_only.push_back(cfg.path + ": " + sp +
                               ".source: needed by run: where the signal "
                               "comes from (" +
                               names + ")");
        continue;
      }
      if (!settings.build_adapters) continue;
      for (const auto& f : sources) {
        if (sc.source != f.name) continue;
        try {
          if (!f.make(actx, SignalSpec{sc.name, sc.source, sc.options, sc.timeout_seconds}))
            out.problems.push_back(cfg.path + ": " + sp + ": the source could not be created");
        } catch (const std::exception& e) {
          out.problems.push_back(adapter_problem(cfg, sp, e));
        }
      }
    }
  }

  const bool listen_given = !settings.listen.empty();
  const std::string listen = listen_given ? settings.listen : cfg.server.listen;
  if (auto p = listen_address_problem(listen); !p.empty())
    out.problems.push_back(listen_given ? "--listen: " + p : cfg.path + ": server.listen: " + p);
  if (listen != "off" && !cfg.server.token_file.empty()) {
    std::ifstream in(cfg.server.token_file);
    std::string tok;
    std::getline(in, tok);
    while (!tok.empty() && (tok.back() == '\r' || tok.back() == ' ')) tok.pop_back();
    if (tok.empty())
      out.problems.push_back(cfg.path + ": server.token_file: cannot read a token from " +
                             cfg.server.token_file);
  }

  const bool state_given = !settings.state_file.empty();
  const std::string state = state_given ? settings.state_file : cfg.state_file;
  if (!state.empty()) {
    const std::filesystem::path dir = std::filesystem::path(state).parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
      out.problems.push_back((state_given ? std::string("--state") : cfg.path + ": state_file") +
                             ": folder " + dir.string() + " does not exist");
  }
  return out;
}

}  // namespace luascale
