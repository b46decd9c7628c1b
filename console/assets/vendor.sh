#!/usr/bin/env bash
# Fetches the console's front-end assets from their npm packages at the pinned
# versions, checks each tarball against the registry's integrity value, and
# copies the few files the console serves. Needs npm only to run this script;
# the build and the binary never need Node.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() { # package@version file-in-package destination
	local pkg=$1 src=$2 dst=$3 tgz
	tgz=$(cd "$tmp" && npm pack "$pkg" --silent)
	want=$(npm view "$pkg" dist.integrity)
	got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tgz" | base64 -w0)"
	[ "$want" = "$got" ] || { echo "integrity mismatch for $pkg" >&2; exit 1; }
	mkdir -p "$tmp/${tgz%.tgz}"
	tar xzf "$tmp/$tgz" -C "$tmp/${tgz%.tgz}"
	cp "$tmp/${tgz%.tgz}/package/$src" "$dst"
	echo "$pkg $src $want" >>VERSIONS.new
}
: >VERSIONS.new
fetch htmx.org@2.0.11 dist/htmx.min.js vendor/htmx.min.js
fetch @picocss/pico@2.1.1 css/pico.min.css vendor/pico.min.css
fetch swagger-ui-dist@5.36.0 swagger-ui-bundle.js vendor/swagger-ui-bundle.js
fetch swagger-ui-dist@5.36.0 swagger-ui.css vendor/swagger-ui.css
fetch axe-core@4.14.1 axe.min.js ../../cmd/gatehouse/testdata/axe.min.js
mv VERSIONS.new vendor/VERSIONS
