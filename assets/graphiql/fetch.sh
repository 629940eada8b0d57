#!/usr/bin/env bash
# Rebuilds the vendored GraphiQL playground assets in this folder from the npm
# registry, byte for byte. See VERSIONS.md for what is pinned and why.
#
#   ./fetch.sh          npm pack the pinned versions, check each tarball's sha512
#                       integrity, extract, copy the needed files, strip
#                       source-map comments, check every file's sha256, and only
#                       then install the files into this folder.
#   ./fetch.sh --check  no network: only check the sha256 of the files already
#                       in this folder.
#
# Needs: bash, npm (and so node), tar, sed, sha256sum (or shasum).
# index.html, VERSIONS.md and this script are hand-written and never touched.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# package  exact-version  tarball integrity (as `npm view <pkg>@<ver> dist.integrity` reports it)
PACKAGES=(
  "graphiql  3.9.0  sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA=="
  "react     18.3.1 sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ=="
  "react-dom 18.3.1 sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw=="
)

# file in this folder  <-  package  path inside the tarball
FILES=(
  "graphiql.min.js             graphiql  package/graphiql.min.js"
  "graphiql.min.css            graphiql  package/graphiql.min.css"
  "LICENSE-graphiql            graphiql  package/LICENSE"
  "react.production.min.js     react     package/umd/react.production.min.js"
  "LICENSE-react               react     package/LICENSE"
  "react-dom.production.min.js react-dom package/umd/react-dom.production.min.js"
  "LICENSE-react-dom           react-dom package/LICENSE"
)

# sha256 of each file AS COMMITTED (i.e. after source-map comments were stripped)
SHA256SUMS='8ba478ac5b0f791ed474a9bfb8271e226596e20cf4648c6a672191ad2bbfc2c8  graphiql.min.js
bdddd50aac5bdb0edd83e5c862ba2fed9db2964e4c75d4655ab62b0a7d5bd730  graphiql.min.css
4b18fbe55c4e8f9169cb702be138f4d858a2dad920c39857204ffdc9c1c9fdc4  LICENSE-graphiql
d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd  react.production.min.js
52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85  LICENSE-react
35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d  react-dom.production.min.js
52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85  LICENSE-react-dom'

# shellcheck source=../npm-vendor.sh
source "$HERE/../npm-vendor.sh"
vendor_from_npm "$@"
