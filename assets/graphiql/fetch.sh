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

sha256_check() { # $1 = folder; reads "sum  name" lines on stdin
  if command -v sha256sum >/dev/null 2>&1; then
    (cd "$1" && sha256sum --check --strict)
  else
    (cd "$1" && shasum -a 256 --check --strict)
  fi
}

if [[ "${1:-}" == "--check" ]]; then
  sha256_check "$HERE" <<<"$SHA256SUMS"
  echo "fetch.sh: all vendored files match their pinned sha256."
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--check]" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/graphiql-fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/out"

for entry in "${PACKAGES[@]}"; do
  read -r name version integrity <<<"$entry"
  echo "fetch.sh: npm pack $name@$version"
  tgz="$(cd "$WORK" && npm pack "$name@$version" --silent --ignore-scripts --pack-destination "$WORK" | tail -n 1)"
  tgz="$WORK/$(basename "$tgz")"
  [[ -f "$tgz" ]] || { echo "fetch.sh: npm pack produced no tarball for $name@$version" >&2; exit 1; }
  # Subresource-Integrity style digest of the tarball, computed with node (always present beside npm).
  actual="$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
  if [[ "$actual" != "$integrity" ]]; then
    echo "fetch.sh: INTEGRITY MISMATCH for $name@$version" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  mkdir -p "$WORK/pkg/$name"
  tar -xzf "$tgz" -C "$WORK/pkg/$name"
done

for entry in "${FILES[@]}"; do
  read -r dest name src <<<"$entry"
  cp "$WORK/pkg/$name/$src" "$WORK/out/$dest"
  case "$dest" in
    *.js|*.css)
      # Drop source-map comments (//# sourceMappingURL=... or /*# sourceMappingURL=... */)
      # so browsers do not request .map files that are not shipped.
      sed -E '/^[[:space:]]*(\/\/[#@][[:space:]]*sourceMappingURL=.*|\/\*[#@][[:space:]]*sourceMappingURL=.*\*\/)[[:space:]]*$/d' \
        "$WORK/out/$dest" > "$WORK/out/$dest.tmp"
      mv "$WORK/out/$dest.tmp" "$WORK/out/$dest"
      ;;
  esac
done

sha256_check "$WORK/out" <<<"$SHA256SUMS"

for entry in "${FILES[@]}"; do
  read -r dest _ <<<"$entry"
  cp "$WORK/out/$dest" "$HERE/$dest"
done
echo "fetch.sh: installed ${#FILES[@]} files into $HERE"
