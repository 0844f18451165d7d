# luascale container image: a multi-stage build on Debian; the runtime is Debian slim with only the
# shared libraries the binary links, running as an unprivileged user (65532).
#   docker build -t luascale:0.1.0 .
FROM debian:bookworm AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ make cmake pkg-config liblua5.4-dev libboost-dev libssl-dev nlohmann-json3-dev \
      libcli11-dev libhowardhinnant-date-dev libpugixml-dev libyaml-dev doctest-dev ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DLUASCALE_TESTS=OFF \
    && cmake --build /build -j"$(nproc)" --target luascale \
    && install -D -m 0755 /build/luascale /out/usr/local/bin/luascale \
    && mkdir -p /out/usr/local/share/luascale \
    && cp -r policies /out/usr/local/share/luascale/policies

FROM debian:bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      liblua5.4-0 libssl3 libpugixml1v5 libyaml-0-2 tzdata ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
USER 65532:65532
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/luascale"]
CMD ["--help"]
