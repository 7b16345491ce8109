#!/usr/bin/env bash
# Builds the Sluice node image with no registry: the same deploy/docker/Dockerfile, on a base image
# made here from this machine's JDK instead of a pulled eclipse-temurin.
#
#   deploy/docker/build-image.sh [ARCHIVE [TAG]]
#     ARCHIVE  the distribution archive (default: dist/target/sluice-<version>.tar.gz)
#     TAG      the node image (default: $SLUICE_IMAGE, else sluice:<version>)
#   deploy/docker/build-image.sh --remove [TAG]
#     removes the node image and the local base image (what the test modules do when they finish;
#     nothing to do without a Docker engine or without the images)
#   SLUICE_IMAGE       the node image tag when TAG is not given (the test modules use this too)
#   SLUICE_KEEP_IMAGE  set: --remove keeps the images (another checkout on this engine may use them)
#   SLUICE_BASE_IMAGE  the local base image to make (default: sluice/jre:17-local)
#   JAVA_HOME          the JDK to jlink from (default: the one `javac` belongs to)
#
# The base image (`docker import` of a directory tree, nothing pulled) holds:
#   /opt/jre       a jlink runtime with the modules the node's jars need (jdeps), plus a few
#                  that are loaded reflectively (jdk.unsupported, jdk.management, jdk.crypto.ec …)
#   /lib, /usr/lib every shared library `ldd` lists for the runtime, for RocksDB's JNI library
#                  (taken out of the rocksdbjni jar in the archive) and for bash, at their paths
#   /bin           static busybox (Debian busybox-static, `apt-get download`, not installed) for
#                  /bin/sh and the tools, and bash, which bin/sluice is written for
#   /usr/lib/x86_64-linux-gnu/faketime/libfaketime*.so.1
#                  from the Debian libfaketime package, for clock-skew tests (LD_PRELOAD)
#   /etc/passwd, group, nsswitch.conf, /tmp (1777), /data
# Both images carry a label with a hash of their inputs; an image whose label matches is reused.
# Needs: docker (engine running), jlink/jdeps, ldd, apt-get + dpkg-deb (Debian/Ubuntu), tar, sha256sum.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
say() { echo "build-image: $*" >&2; }
die() { say "error: $*"; exit 1; }
# Images of ours that a rebuild replaced (untagged, with our label).
prune_replaced() { docker image prune -f --filter "label=io.sluice.inputs" >/dev/null 2>&1 || true; }


# The project version: the <version> right after <artifactId>sluice-parent</artifactId>.
version="$(sed -n '/<artifactId>sluice-parent<\/artifactId>/{n;s:.*<version>\(.*\)</version>.*:\1:p;}' "$repo/pom.xml")"
base="${SLUICE_BASE_IMAGE:-sluice/jre:17-local}"

if [[ "${1:-}" == "--remove" ]]; then
  if [[ -n "${SLUICE_KEEP_IMAGE:-}" ]]; then
    say "SLUICE_KEEP_IMAGE is set: keeping the images"
    exit 0
  fi
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    for image in "${2:-${SLUICE_IMAGE:-sluice:$version}}" "$base"; do
      if docker image inspect "$image" >/dev/null 2>&1; then
        docker image rm "$image" >/dev/null && say "removed image $image"
      fi
    done
    prune_replaced
  fi
  exit 0
fi

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  die "no Docker engine answers. On Debian/Ubuntu run scripts/ensure-docker.sh (as root); elsewhere install Docker (https://docs.docker.com/engine/install/). To build and test without the chaos suite: -Dsluice.chaos.skip=true"
fi

archive="${1:-$repo/dist/target/sluice-$version.tar.gz}"
tag="${2:-${SLUICE_IMAGE:-sluice:$version}}"
[[ -f "$archive" ]] || die "no archive at $archive; build it first: ./mvnw -B -DskipTests package"
archive_name="$(basename "$archive")"
[[ "$archive_name" =~ ^sluice-(.+)\.tar\.gz$ ]] || die "$archive_name is not named sluice-VERSION.tar.gz"
archive_version="${BASH_REMATCH[1]}"

if [[ -z "${JAVA_HOME:-}" ]]; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
fi
[[ -x "$JAVA_HOME/bin/jlink" ]] || die "no jlink in $JAVA_HOME (need a JDK 17+; set JAVA_HOME)"

work="$(mktemp -d /tmp/sluice-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT

label_of() { docker image inspect --format "{{ index .Config.Labels \"io.sluice.inputs\" }}" "$1" 2>/dev/null || true; }

# ---- the base image -------------------------------------------------------------------------
mkdir -p "$work/archive"
tar -xzf "$archive" -C "$work/archive"
lib="$work/archive/sluice-$archive_version/lib"
rocks_jar="$(ls "$lib"/rocksdbjni-*-linux64.jar 2>/dev/null | head -1)"
[[ -n "$rocks_jar" ]] || die "no rocksdbjni-*-linux64.jar in $archive"
modules="$("$JAVA_HOME/bin/jdeps" --multi-release 17 --ignore-missing-deps --print-module-deps \
  --class-path "$lib/*" "$lib"/*.jar 2>/dev/null | tail -1 || true)"
# Loaded reflectively, so jdeps cannot see them: Unsafe (Netty, protobuf), JMX/process metrics
# (Micrometer), elliptic-curve TLS, zip filesystem, DNS through JNDI.
modules="${modules:+$modules,}java.base,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported,jdk.management,jdk.crypto.ec,jdk.zipfs,jdk.naming.dns"
modules="$(tr ',' '\n' <<<"$modules" | sed '/^$/d' | sort -u | paste -sd,)"

base_inputs="$( { echo "$modules"; "$JAVA_HOME/bin/java" -version 2>&1; sha256sum "$0" "$rocks_jar" | cut -c1-64; } | sha256sum | cut -c1-16)"
if [[ "$(label_of "$base")" == "$base_inputs" ]]; then
  say "base image $base is up to date"
else
  say "making base image $base (modules: $modules)"
  root="$work/rootfs"
  mkdir -p "$root"/{opt,bin,etc,tmp,data,usr/lib/x86_64-linux-gnu/faketime}
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --output "$root/opt/jre"

  # A fresh machine may have no package lists yet: update them once (as root) and retry.
  if ! (cd "$work" && apt-get download busybox-static libfaketime >/dev/null 2>&1); then
    [[ "$(id -u)" == 0 ]] && apt-get update -q >/dev/null 2>&1 || true
    (cd "$work" && apt-get download busybox-static libfaketime >/dev/null 2>&1) \
      || die "apt-get download busybox-static libfaketime failed (needs Debian/Ubuntu package sources; try apt-get update)"
  fi
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/bb"
  dpkg-deb -x "$work"/libfaketime_*.deb "$work/ft"
  cp "$work/bb/bin/busybox" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
  done
  cp "$work"/ft/usr/lib/x86_64-linux-gnu/faketime/libfaketime*.so.1 "$root/usr/lib/x86_64-linux-gnu/faketime/"
  rm -f "$root/bin/bash" && cp "$(readlink -f /bin/bash)" "$root/bin/bash"
  # Scripts start with #!/usr/bin/env bash.
  mkdir -p "$root/usr/bin" && ln -s ../../bin/busybox "$root/usr/bin/env"

  (cd "$work" && unzip -q -o "$rocks_jar" 'librocksdbjni-linux64.so' -d rocks 2>/dev/null) \
    || (mkdir -p "$work/rocks" && cd "$work/rocks" && "$JAVA_HOME/bin/jar" xf "$rocks_jar" librocksdbjni-linux64.so)
  # Every shared library the runtime, RocksDB's JNI library, bash and libfaketime link against.
  { find "$root/opt/jre" -name '*.so' -o -path '*/bin/*' -type f; echo "$work/rocks/librocksdbjni-linux64.so";
    echo "$root/bin/bash"; ls "$root"/usr/lib/x86_64-linux-gnu/faketime/*.so.1; } \
    | while read -r f; do ldd "$f" 2>/dev/null || true; done \
    | grep -oE '/[^ ]+\.so[^ ]*' | sort -u \
    | while read -r so; do
        [[ "$so" == "$root"* ]] && continue
        mkdir -p "$root$(dirname "$so")"
        cp -L "$so" "$root$so"
      done
  [[ -e "$root/lib64/ld-linux-x86-64.so.2" ]] || { mkdir -p "$root/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"; }

  printf 'root:x:0:0:root:/root:/bin/sh\nsluice:x:10001:10001:sluice:/data:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nsluice:x:10001:\nnogroup:x:65534:\n' > "$root/etc/group"
  echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
  chmod 1777 "$root/tmp"
  tar --numeric-owner -C "$root" -c . | docker import \
    -c "ENV PATH=/opt/jre/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    -c "ENV JAVA_HOME=/opt/jre" \
    -c "LABEL io.sluice.inputs=$base_inputs" \
    - "$base" >/dev/null
  say "base image $base: $(docker image inspect --format '{{.Size}}' "$base" | awk '{printf "%.0f MB", $1/1e6}')"
fi

# ---- the node image, from the project's Dockerfile ------------------------------------------
node_inputs="$( { echo "$base_inputs"; sha256sum "$archive" "$repo/deploy/docker/Dockerfile" | cut -c1-64; } | sha256sum | cut -c1-16)"
if [[ "$(label_of "$tag")" == "$node_inputs" ]]; then
  say "image $tag is up to date"
  exit 0
fi
ctx="$work/context"
mkdir -p "$ctx"
cp "$archive" "$ctx/"
cp "$repo/deploy/docker/Dockerfile" "$ctx/Dockerfile"
echo "LABEL io.sluice.inputs=$node_inputs" >> "$ctx/Dockerfile"
# The legacy builder (no buildx here); its deprecation notice is dropped, any other output kept.
if ! out="$(DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=$base" \
    --build-arg "SLUICE_VERSION=$archive_version" -t "$tag" "$ctx" 2>&1)"; then
  echo "$out" >&2
  die "docker build of $tag failed"
fi
prune_replaced
say "image $tag built from $archive_name on $base"
