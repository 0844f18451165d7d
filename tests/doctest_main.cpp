// tests/doctest_main.cpp — the doctest main shared by every unit test executable. As in the
// luascale binary, a write to a connection the peer closed is an error, not SIGPIPE.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <csignal>

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  return doctest::Context(argc, argv).run();
}
