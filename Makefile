# luascale — set-up and build wrappers. `make demo` and `make test` work on a fresh Debian machine.
BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local

# Debian 12 packages the build, the tests and the demo need.
PACKAGES := g++ make cmake pkg-config ccache python3 tzdata \
            liblua5.4-dev libboost-dev libssl-dev nlohmann-json3-dev doctest-dev \
            libcli11-dev libhowardhinnant-date-dev libpugixml-dev libyaml-dev \
            redis-server redis-tools prometheus nodejs openssl curl chromium \
            clang libclang-rt-14-dev clang-format git
# Commands the tests run, as COMMAND:DEBIAN-PACKAGE. The package is installed only when the command
# is missing, so a kubectl or npm installed some other way is used as it is (and never replaced):
# Debian's kubectl comes in kubernetes-client, and its npm is a package apart from nodejs.
COMMANDS := kubectl:kubernetes-client npm:npm

DEMO_TRACE  := examples/traces/nasa_http_1995_requests_per_minute.csv
DEMO_CONFIG := examples/demo/config.json

.PHONY: all deps build demo install test bench benchmarks clean

all: build

# Installs what is missing with apt-get when root; otherwise prints the exact command and stops.
deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done; \
	  for c in $(COMMANDS); do command -v $${c%%:*} >/dev/null || echo $${c#*:}; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:" $$missing; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    (apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing) >/tmp/luascale-apt.log 2>&1 \
	      || { tail -n 30 /tmp/luascale-apt.log; exit 1; }; \
	  else \
	    echo "missing packages; run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DLUASCALE_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target luascale

demo: build
	$(BUILD)/luascale replay $(DEMO_CONFIG) --trace $(DEMO_TRACE) --out $(BUILD)/demo-decisions.csv
	@echo "decisions written to $(BUILD)/demo-decisions.csv"

# The Release binary to $(PREFIX)/bin, the policy library and the ready-made policies to
# $(PREFIX)/share/luascale/policies (where the installed binary finds its stdlib). DESTDIR is
# honoured for packaging.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Debug + ASan/UBSan build of everything, then the whole CTest suite.
test: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLUASCALE_SANITIZE=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

# Benchmarks, Release build; each prints its figures.
bench: deps
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-bench -j $(JOBS)
	for b in build-bench/bench/*; do echo "== $$b"; $$b || exit 1; done

# The benchmark on the real traces of examples/traces/ (docs/benchmarks.md): HPA-default, tuned
# HPA, predictive and tuned predictive, tuned on the first half and judged on the second, with the
# Release binary. A few minutes on 2 cores.
benchmarks: build
	python3 benchmarks/run.py --luascale $(BUILD)/luascale --jobs $(JOBS)

clean:
	rm -rf $(BUILD) $(TEST_BUILD) build-bench
