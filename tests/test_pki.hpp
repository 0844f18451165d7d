// tests/test_pki.hpp — a throwaway PKI for TLS tests, made with the openssl CLI in a temp dir:
// a CA, a server certificate for 127.0.0.1/localhost, a client certificate, and an unrelated CA.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "fixtures.hpp"

namespace luascale::test {

struct TestPki {
  std::filesystem::path ca_cert, ca_key;
  std::filesystem::path server_cert, server_key;  // SAN IP:127.0.0.1, DNS:localhost
  std::filesystem::path client_cert, client_key;  // CN=luascale-test, O=luascale:testers
  std::filesystem::path other_ca_cert;            // a CA that signed nothing here
};

// Creates the files under dir; throws with openssl's output on failure. ECDSA P-256 keys (fast).
inline TestPki make_test_pki(const std::filesystem::path& dir) {
  TestPki p;
  p.ca_cert = dir / "ca.crt";
  p.ca_key = dir / "ca.key";
  p.server_cert = dir / "server.crt";
  p.server_key = dir / "server.key";
  p.client_cert = dir / "client.crt";
  p.client_key = dir / "client.key";
  p.other_ca_cert = dir / "other-ca.crt";
  std::string d = dir.string();
  std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::string script =
      "set -e; cd '" + d + "'; " + "openssl req -x509 " + key +
      " -keyout ca.key -out ca.crt -days 2 -subj /CN=luascale-test-ca "
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign; " +
      "openssl req -x509 " + key +
      " -keyout other-ca.key -out other-ca.crt -days 2 "
      "-subj /CN=other-ca; " +
      "openssl req " + key +
      " -keyout server.key -out server.csr -subj /CN=luascale-test-server; " +
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > "
      "server.ext; " +
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt "
      "-days 2 -extfile server.ext; " +
      "openssl req " + key +
      " -keyout client.key -out client.csr "
      "-subj '/O=luascale:testers/CN=luascale-test'; " +
      "printf 'extendedKeyUsage=clientAuth\\n' > client.ext; " +
      "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt "
      "-days 2 -extfile client.ext";
  std::string out;
  if (run_command("bash -c \"" + script + "\"", &out) != 0)
    throw std::runtime_error("openssl failed: " + out);
  return p;
}

}  // namespace luascale::test
