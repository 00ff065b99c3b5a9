#!/usr/bin/env bash
# The packages CPack builds: a .deb whose Depends name the runtime libraries and whose
# binary runs, with the man page and completions in place; the same for an .rpm when
# rpmbuild is installed.
# Usage: package.sh BUILD_DIR VERSION HAVE_LIBSECRET(0|1)
set -euo pipefail
build=$1 version=$2 have_libsecret=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
export LC_ALL=C

for tool in cpack dpkg-deb dpkg-shlibdeps file; do
  command -v "$tool" >/dev/null ||
    { echo "SKIP: $tool is not installed (apt-get install dpkg-dev file)"; exit 77; }
done

# Every library the binary needs, as Debian package-name patterns (t64: Debian 13's names).
deb_libs=('libuv1(t64)?' 'libcurl(4|3-gnutls)(t64)?' 'libjansson4' 'libssl3(t64)?')
rpm_libs=('libuv\.so\.1' 'libcurl\.so\.4' 'libjansson\.so\.4' 'libcrypto\.so\.3')
if [ "$have_libsecret" = 1 ]; then
  deb_libs+=('libsecret-1-0')
  rpm_libs+=('libsecret-1\.so\.0')
fi

check_tree() { # check_tree ROOT FORMAT: the files a package must install
  local root=$1 format=$2 f
  for f in usr/bin/mcp-bridge usr/share/man/man1/mcp-bridge.1 \
    usr/share/bash-completion/completions/mcp-bridge usr/share/zsh/site-functions/_mcp-bridge \
    usr/share/fish/vendor_completions.d/mcp-bridge.fish usr/share/doc/mcp-bridge/LICENSE \
    usr/share/doc/mcp-bridge/README.md; do
    [ -e "$root/$f" ] || [ -e "$root/$f.gz" ] || { echo "FAIL: the $format has no /$f" >&2; fail=1; }
  done
  local out
  if out=$("$root/usr/bin/mcp-bridge" --version 2>&1) && [ "$out" = "mcp-bridge $version" ]; then
    echo "ok: the $format's mcp-bridge --version prints \"$out\""
  else
    echo "FAIL: the $format's mcp-bridge --version printed \"$out\", wanted \"mcp-bridge $version\"" >&2
    fail=1
  fi
}

echo "== cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$scratch/deb") >"$scratch/deb.log" 2>&1 ||
  { cat "$scratch/deb.log" >&2; echo "FAIL: cpack -G DEB" >&2; exit 1; }
deb=$(ls "$scratch"/deb/*.deb)
dpkg-deb -I "$deb" | tee "$scratch/deb.info"
depends=$(sed -n 's/^ Depends: //p' "$scratch/deb.info")
for lib in "${deb_libs[@]}"; do
  if grep -qE "(^|, )$lib( |,|$)" <<<"$depends"; then
    echo "ok: Depends has $lib"
  else
    echo "FAIL: Depends lacks $lib: $depends" >&2
    fail=1
  fi
done
grep -q "^ Version: $version\$" "$scratch/deb.info" ||
  { echo "FAIL: the .deb's Version is not $version" >&2; fail=1; }
dpkg-deb -x "$deb" "$scratch/deb-root"
check_tree "$scratch/deb-root" .deb

if command -v rpmbuild >/dev/null && command -v rpm >/dev/null; then
  echo "== cpack -G RPM"
  (cd "$build" && cpack -G RPM -B "$scratch/rpm") >"$scratch/rpm.log" 2>&1 ||
    { cat "$scratch/rpm.log" >&2; echo "FAIL: cpack -G RPM" >&2; exit 1; }
  rpmfile=$(ls "$scratch"/rpm/*.rpm)
  rpm -qpR "$rpmfile" 2>/dev/null | tee "$scratch/rpm.requires"
  for lib in "${rpm_libs[@]}"; do
    if grep -qE "^$lib" "$scratch/rpm.requires"; then
      echo "ok: Requires has ${lib//\\/}"
    else
      echo "FAIL: the .rpm's Requires lack ${lib//\\/}" >&2
      fail=1
    fi
  done
  rpm -qpl "$rpmfile" 2>/dev/null >"$scratch/rpm.files"
  for f in /usr/bin/mcp-bridge /usr/share/man/man1/mcp-bridge.1 \
    /usr/share/bash-completion/completions/mcp-bridge; do
    grep -qE "^$f(\.gz)?\$" "$scratch/rpm.files" || { echo "FAIL: the .rpm has no $f" >&2; fail=1; }
  done
  mkdir -p "$scratch/rpm-root"
  if command -v rpm2cpio >/dev/null && command -v cpio >/dev/null; then
    (cd "$scratch/rpm-root" && rpm2cpio "$rpmfile" | cpio -idm --quiet)
    check_tree "$scratch/rpm-root" .rpm
  else
    echo "SKIP: running the .rpm's binary: rpm2cpio or cpio is not installed"
  fi
else
  echo "SKIP: the .rpm: rpmbuild is not installed (apt-get install rpm)"
fi
exit "$fail"
