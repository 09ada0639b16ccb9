#!/usr/bin/env bash
# Installs what StreamTranscoding needs on Debian 12, skipping what is present.
#
#   scripts/setup.sh          everything: build, run, lint and test (servers and players included)
#   scripts/setup.sh build    only what building and running `transcode` needs
set -euo pipefail
cd "$(dirname "$0")/.."

scope=${1:-test}

build_packages=(
  g++ cmake ninja-build pkg-config ccache
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libexpected-dev
  libgtest-dev libgmock-dev prometheus-cpp-dev
  libpqxx-dev libpq-dev libhiredis-dev libexpat1-dev libre2-dev libjwt-dev libyaml-cpp-dev libboost1.81-dev librdkafka-dev libvalijson-dev libssl-dev libcurl4-openssl-dev
  iso-codes ffmpeg
)
test_packages=(clang-format clang-tidy chromium postgresql redis-server prometheus curl kcat jq clang-14 libclang-rt-14-dev
  libfuzzer-14-dev docker-compose gcovr)

wanted=("${build_packages[@]}")
if [ "$scope" != build ]; then
  wanted+=("${test_packages[@]}")
  # Node.js may come from elsewhere (the CI image has its own); only install Debian's when absent.
  command -v node > /dev/null || wanted+=(nodejs)
  command -v npm > /dev/null || wanted+=(npm)
  # The aws CLI may come with the machine's Python; Debian's otherwise.
  command -v aws > /dev/null || wanted+=(awscli)
fi

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2> /dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

if [ "$scope" != build ]; then
  # The S3 API server of the tests. Debian 12 packages no moto: it comes with the
  # machine's Python (see ../shared/FACTS.md), and the package registry of Python is not reachable here.
  if ! python3 -c 'import moto.server' 2> /dev/null; then
    echo "setup: python3 cannot import moto (the S3 API server of the tests): install moto[server] for $(command -v python3)" >&2
    exit 1
  fi
  # Swagger UI, served by the binary at /docs (api.swagger_ui_dir), pinned by package-lock.json.
  if [ ! -d web/node_modules/swagger-ui-dist ] || [ web/package-lock.json -nt web/node_modules ]; then
    echo "setup: installing the web assets (npm ci)"
    npm ci --prefix web --no-audit --no-fund --loglevel=error > /dev/null
    touch web/node_modules
  fi
  # Players and the browser driver for the player tests, pinned by package-lock.json.
  if [ ! -d tests/player/node_modules/playwright-core ] || [ tests/player/package-lock.json -nt tests/player/node_modules ]; then
    echo "setup: installing the player test packages (npm ci)"
    npm ci --prefix tests/player --no-audit --no-fund --loglevel=error > /dev/null
    touch tests/player/node_modules
  fi
fi
if [ "$scope" != build ] && [ ! -x .tools/kubernetes-client/usr/bin/kubectl ]; then
  # Debian's kubectl (kubernetes-client 1.20) renders the Kubernetes overlays in
  # the tests. Unpacked into .tools/ rather than installed: it would clash with
  # another kubectl a machine may have.
  echo "setup: unpacking Debian's kubernetes-client into .tools/"
  download=$(mktemp -d)
  chmod 777 "$download"  # apt fetches as its own user
  (cd "$download" && { apt-get download -qq kubernetes-client 2> /dev/null \
    || { apt-get update -qq && apt-get download -qq kubernetes-client; }; })
  mkdir -p .tools/kubernetes-client
  dpkg-deb -x "$download"/kubernetes-client_*.deb .tools/kubernetes-client
  rm -rf "$download"
fi
echo "setup: ready"
