# Shared by the fetch.sh scripts that vendor files from npm tarballs (assets/graphiql,
# assets/dashboard): source it after setting HERE (the folder), PACKAGES ("name version
# sha512-integrity"), FILES ("dest package path-in-tarball") and SHA256SUMS (the sha256 of each
# file as committed), then call `vendor_from_npm "$@"`.
#
#   fetch.sh          npm pack the pinned versions, check each tarball's sha512 integrity,
#                     extract, copy the needed files, strip source-map comments, check every
#                     file's sha256, and only then install the files into HERE.
#   fetch.sh --check  no network: only check the sha256 of the files already in HERE.
#
# Needs: bash, npm (and so node), tar, sed, sha256sum (or shasum).

sha256_check() { # $1 = folder; reads "sum  name" lines on stdin
  if command -v sha256sum >/dev/null 2>&1; then
    (cd "$1" && sha256sum --check --strict)
  else
    (cd "$1" && shasum -a 256 --check --strict)
  fi
}

vendor_from_npm() {
  if [[ "${1:-}" == "--check" ]]; then
    sha256_check "$HERE" <<<"$SHA256SUMS"
    echo "fetch.sh: all vendored files match their pinned sha256."
    exit 0
  elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--check]" >&2
    exit 2
  fi

  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$HERE")-fetch.XXXXXX")"
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
}
