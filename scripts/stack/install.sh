#!/usr/bin/env bash
# Installs the local emulator stack into .stack/ (git-ignored) from the package registries:
# moto server into a project-local venv (PyPI), fake-gcs-server (`go install`) and goccy/bigquery-emulator
# (`go mod download` + `go build`, see go_build_exact) from the Go module proxy. Idempotent: a component whose pinned version is already present is kept,
# so CI and reruns pay the bigquery-emulator build once per machine (cold: ~7 min, 6.0 GB peak RSS;
# with a warm Go build cache ~11 s). Findings about each emulator: scripts/stack/COMPATIBILITY.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=versions.env
source "$root/scripts/stack/versions.env"
stack="$root/.stack"
mkdir -p "$stack/bin" "$stack/logs"
log() { printf '[stack:install] %s\n' "$*" >&2; }

stamp_ok() { [ -x "$1" ] && [ -f "$1.version" ] && [ "$(cat "$1.version")" = "$2" ]; }

install_moto() {
  local venv="$stack/venv"
  if [ -x "$venv/bin/moto_server" ] && [ "$(cat "$venv/.moto-version" 2>/dev/null)" = "$MOTO_VERSION" ]; then
    log "moto $MOTO_VERSION present"; return
  fi
  log "installing moto[server]==$MOTO_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  echo "$MOTO_VERSION" > "$venv/.moto-version"
}

go_install() { # name module version [env...]
  local name=$1 module=$2 version=$3; shift 3
  if stamp_ok "$stack/bin/$name" "$version"; then log "$name $version present"; return; fi
  log "building $name $version (go install $module@$version)"
  local t0=$SECONDS
  env GOBIN="$stack/bin" GOFLAGS=-mod=mod "$@" go install "$module@$version"
  echo "$version" > "$stack/bin/$name.version"
  log "$name built in $((SECONDS - t0))s"
}

# `go install module@version` also reads the module's version list (its deprecation check), and the Go
# module proxy reachable here answers 403 "This module version is not available" for
# github.com/goccy/bigquery-emulator's list while it serves the exact version. So fetch that exact
# version with `go mod download` and build the command inside it, with the module's own go.mod/go.sum
# (same dependency versions as `go install` would pick, since go install honours the module's go.mod).
go_build_exact() { # name module package-dir version [env...]
  local name=$1 module=$2 pkg=$3 version=$4; shift 4
  if stamp_ok "$stack/bin/$name" "$version"; then log "$name $version present"; return; fi
  log "building $name $version (go mod download $module@$version; go build ./$pkg)"
  local t0=$SECONDS dir
  dir=$(GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then log "go mod download $module@$version gave no directory"; return 1; fi
  env GOFLAGS=-mod=readonly "$@" go build -C "$dir" -trimpath \
    -ldflags="-s -w -X main.version=$version" -o "$stack/bin/$name" "./$pkg"
  echo "$version" > "$stack/bin/$name.version"
  log "$name built in $((SECONDS - t0))s"
}

install_moto &
moto_pid=$!
go_install fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_VERSION"
# Pure Go since v0.7 (no cgo / ZetaSQL C++ toolchain); the build is heavy (minutes), so it runs after
# fake-gcs-server rather than beside it.
go_build_exact bigquery-emulator github.com/goccy/bigquery-emulator cmd/bigquery-emulator "$BQ_EMULATOR_VERSION" CGO_ENABLED=0
wait "$moto_pid"
log "stack installed in $stack"
