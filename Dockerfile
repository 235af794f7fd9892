# syntax=docker/dockerfile:1
# Builds the contactsync operator: a static binary on distroless, running as non-root.

FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace

# Dependencies first, so source edits do not invalidate the module cache layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/contactsync .

FROM gcr.io/distroless/static:nonroot
LABEL org.opencontainers.image.source="https://github.com/contactsync/contactsync" \
      org.opencontainers.image.title="contactsync" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /
COPY --from=builder /out/contactsync /contactsync
USER 65532:65532
ENTRYPOINT ["/contactsync"]
