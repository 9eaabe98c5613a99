# Build a release binary in the Swift image, run it in a slim one.
FROM swift:6.3-noble AS build
WORKDIR /build
COPY Package.swift ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product intake \
 && cp "$(swift build -c release --show-bin-path)/intake" /build/intake

FROM ubuntu:noble
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4 libxml2 tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 intake
# The Swift runtime libraries the binary links against.
COPY --from=build /usr/lib/swift/linux/*.so* /usr/lib/swift/linux/
ENV LD_LIBRARY_PATH=/usr/lib/swift/linux
COPY --from=build /build/intake /usr/local/bin/intake
USER intake
# Migrations and the OpenAPI document are built into the binary.
ENV HTTP_HOST=0.0.0.0 HTTP_PORT=8080 LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["intake"]
CMD ["serve"]
