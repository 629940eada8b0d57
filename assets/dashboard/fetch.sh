#!/usr/bin/env bash
# Rebuilds the vendored graphql-ws client in this folder from the npm registry, byte for
# byte. README.md says what is pinned and why.
#
#   ./fetch.sh          npm pack the pinned version, check the tarball's sha512 integrity,
#                       extract, copy the needed files, strip source-map comments, check
#                       every file's sha256, and only then install the files into this folder.
#   ./fetch.sh --check  no network: only check the sha256 of the files already in this folder.
#
# Needs: bash, npm (and so node), tar, sed, sha256sum (or shasum).
# index.html, dashboard.js, dashboard.css, README.md and this script are
# hand-written and never touched.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# package  exact-version  tarball integrity (as `npm view <pkg>@<ver> dist.integrity` reports it)
PACKAGES=(
  "graphql-ws 6.4.2 sha512-wxhPhhOGJo8PbGDkBYVE76sZLDrS+GkyrR4bZECSLVbo0pZZNKs0HtBh2Ip/uaUuiVUxwO9ssI9R92buQfNSqQ=="
)

# file in this folder  <-  package  path inside the tarball
FILES=(
  "graphql-ws.min.js  graphql-ws  package/umd/graphql-ws.min.js"
  "LICENSE-graphql-ws graphql-ws  package/LICENSE.md"
)

# sha256 of each file AS COMMITTED (after source-map comments were stripped; this
# version has none, so these are also the tarball's bytes)
SHA256SUMS='5f1e250bdea0a551d58272048281dbf5b2fb69faa120160bab49485c72b6f24d  graphql-ws.min.js
58737f97fe15c9aa68eb067f97a5488ceffca6835bfce511c6819c5156dca48e  LICENSE-graphql-ws'

# shellcheck source=../npm-vendor.sh
source "$HERE/../npm-vendor.sh"
vendor_from_npm "$@"
