#!/usr/bin/env bash
# Debian packages the tests use: Chromium (browser tests), a Chinese font (PDFs and screenshots),
# poppler-utils (PDF to PNG for people to look at), and what checks the files in deploy/: docker-compose
# (`docker-compose config`), openssl (a certificate for `nginx -t`) and an nginx binary, unpacked into
# .cache/nginx rather than installed (installing the package would start a web server on port 80).
# Installs only what is missing; needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
unpack_nginx() {
  if command -v nginx >/dev/null 2>&1 || [ -x .cache/nginx/usr/sbin/nginx ]; then
    return 0
  fi
  local dir
  dir=$(mktemp -d)
  # apt's lists may be empty on a fresh machine: root refreshes them once and tries again.
  if (cd "$dir" && apt-get download -q nginx >/dev/null 2>&1) || { [ "$(id -u)" = "0" ] \
      && apt-get update -q >/dev/null 2>&1 && (cd "$dir" && apt-get download -q nginx >/dev/null 2>&1); }; then
    mkdir -p .cache/nginx && dpkg -x "$dir"/nginx_*.deb .cache/nginx && echo "install-system-deps: nginx unpacked into .cache/nginx"
  else
    echo "install-system-deps: could not download nginx (the nginx -t test is skipped)" >&2
  fi
  rm -rf "$dir"
}
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
# Only the deploy-file tests need these; they skip without them, so failing to install them fails nothing.
optional=()
command -v openssl >/dev/null 2>&1 || optional+=(openssl)
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  optional+=(docker-compose)
fi
install_optional() {
  if [ ${#optional[@]} -gt 0 ] && [ "$(id -u)" = "0" ]; then
    echo "install-system-deps: apt-get install ${optional[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${optional[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -q --no-install-recommends "${optional[@]}" >/dev/null 2>&1; } \
      || echo "install-system-deps: could not install ${optional[*]} (the deploy-file tests that need them skip)" >&2
  fi
}
if [ ${#missing[@]} -eq 0 ]; then
  install_optional
  unpack_nginx
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-system-deps: missing ${missing[*]}; run 'sudo apt-get install -y ${missing[*]}' (browser tests are skipped without chromium)" >&2
  unpack_nginx
  exit 0
fi
echo "install-system-deps: apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
install_optional
unpack_nginx
