#!/usr/bin/env bash
# Debian packages the app and its tests need: Chromium (browser tests), CJK fonts (Chinese in PDFs),
# Pango (WeasyPrint), poppler-utils (PDF -> PNG in label tests), postgresql-client (pg_dump and
# pg_restore: backups of a PostgreSQL database, erp_core/ops). Installs only what is missing.
set -euo pipefail
packages=(chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils postgresql-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
