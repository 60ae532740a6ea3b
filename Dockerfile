# Production image: the convrelay binary only (api, worker, migrate); it does not
# contain the Temporal server.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/convrelay ./cmd/convrelay

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/convrelay /usr/local/bin/convrelay
ENV HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/convrelay"]
CMD ["all"]
