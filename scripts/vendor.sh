#!/usr/bin/env bash
# Refresh the vendored front-end files from their npm packages (pinned versions).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent htmx.org@2.0.11 socket.io-client@4.8.4 idb-keyval@6.3.0 echarts@5.6.0 >/dev/null && for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done)
cp "$tmp"/htmx.org-2.0.11/package/dist/htmx.min.js static/vendor/htmx-2.0.11.min.js
cp "$tmp"/htmx.org-2.0.11/package/LICENSE static/vendor/LICENSE.htmx
cp "$tmp"/socket.io-client-4.8.4/package/dist/socket.io.min.js static/vendor/socket.io-4.8.4.min.js
cp "$tmp"/socket.io-client-4.8.4/package/LICENSE static/vendor/LICENSE.socket.io-client
cp "$tmp"/idb-keyval-6.3.0/package/dist/umd.js static/vendor/idb-keyval-6.3.0.umd.js
cp "$tmp"/idb-keyval-6.3.0/package/LICENCE static/vendor/LICENSE.idb-keyval
cp "$tmp"/echarts-5.6.0/package/dist/echarts.min.js static/vendor/echarts-5.6.0.min.js
cp "$tmp"/echarts-5.6.0/package/LICENSE static/vendor/LICENSE.echarts
cp "$tmp"/echarts-5.6.0/package/NOTICE static/vendor/NOTICE.echarts
rm -rf "$tmp"
