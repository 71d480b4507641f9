#!/usr/bin/env bash
# Builds the base of Spool's container image, with no registry and no Docker daemon: a Java runtime
# made by jlink from the JDK that runs the build, the C libraries it loads (from this Debian build
# host), /etc/passwd with the non-root user `spool` (1000:1000), /tmp, and /data owned by that user.
# Written as a `docker save` tarball ($out/base-image.tar), which Jib takes as the image to build
# on (from.image = tar://...); Jib adds Spool's jar and the image's configuration on top.
#
#   base-image.sh JAVA_HOME OUT_DIR SPOOL_JAR   (also puts the jar in OUT_DIR/image-app/app, Jib's extra layer)
set -euo pipefail
java_home=$1
out=$2
jar=$3
mkdir -p "$out/image-app/app" "$out/classes" # (this module has no classes; Jib wants the folder)
cp "$jar" "$out/image-app/app/spool.jar"
root="$out/image-base/rootfs"
rm -rf "$out/image-base"
mkdir -p "$root"

# java.se and the jdk modules Spool's libraries use (jdk.net: HttpClient 5's socket options;
# jdk.unsupported: sun.misc.Unsafe; jdk.crypto.*: TLS; jdk.localedata, jdk.charsets: the text).
modules=java.se,jdk.net,jdk.unsupported,jdk.zipfs,jdk.management,jdk.management.jfr,jdk.jfr,jdk.naming.dns,jdk.charsets,jdk.crypto.cryptoki,jdk.localedata,jdk.httpserver
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$root/opt/java"

# What the runtime (and SQLite's native library) link against; AWT runs headless, so no X11.
mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64"
for lib in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libgcc_s.so.1 libz.so.1; do
  cp -L "/lib/x86_64-linux-gnu/$lib" "$root/lib/x86_64-linux-gnu/$lib"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"

mkdir -p "$root/etc" "$root/tmp" "$root/data" "$root/proc" "$root/dev" "$root/sys"
printf 'root:x:0:0:root:/root:/sbin/nologin\nspool:x:1000:1000:Spool:/data:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nspool:x:1000:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"

# One layer, reproducible: names sorted, times and owners fixed, /data owned by spool.
layer="$out/image-base/layer.tar"
tar --create --file "$layer" --directory "$root" --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 \
  --exclude=./data .
tar --append --file "$layer" --directory "$root" --mtime=@0 --numeric-owner --owner=1000 --group=1000 \
  --no-recursion ./data
digest=$(sha256sum "$layer" | cut -d' ' -f1)
cat >"$out/image-base/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$digest"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"dist/src/image/base-image.sh: jlink runtime, C libraries, user spool"}]}
EOF
printf '[{"Config":"config.json","RepoTags":["spool-base:local"],"Layers":["layer.tar"]}]\n' >"$out/image-base/manifest.json"
tar --create --file "$out/base-image.tar" --directory "$out/image-base" --mtime=@0 --owner=0 --group=0 \
  manifest.json config.json layer.tar
# The runtime stays in target/: DistributionTest runs the distribution on it, a Java with no JDK around it.
rm -f "$layer"
