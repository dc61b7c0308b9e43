# signet in a container: a multi-stage build, the runtime image holding only the binary, glibc
# and CA certificates (distroless), run as a non-root user.
#
#   docker build -t signet .
#   docker run -d -p 8443:8443 -v signet-data:/var/lib/signet \
#       -v /etc/signet:/etc/signet:ro signet
#
# /etc/signet/signet.toml must listen on a non-loopback address: with TLS (addr =
# "0.0.0.0:8443", tls-cert, tls-key) or behind a proxy that terminates it (insecure-http = true).
# No HEALTHCHECK: the distroless runtime has no shell or curl to run one; probe GET /healthz
# (process up) and GET /readyz (ready to serve) from the orchestrator instead (Kubernetes
# httpGet probes, or a sidecar).

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p signet-cli --bin signet \
    && install -D -m 0755 target/release/signet /out/signet \
    && install -d -m 0700 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/signet /usr/local/bin/signet
COPY --from=build --chown=65532:65532 /out/data /var/lib/signet
USER 65532:65532
VOLUME ["/var/lib/signet"]
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/signet"]
CMD ["server", "--config", "/etc/signet/signet.toml", "--data-dir", "/var/lib/signet"]
