#!/bin/sh
# Build step (profile image, pre-integration-test): writes OUT/dewy.jsa, dewy's AppCDS archive for the image's
# own JVM, from one real run of IMAGE (the image without the archive, which it then removes). A dynamic archive fits
# only the JVM and base archive that wrote it and the jar it was written against, with its size and time stamp:
# so it is recorded inside the image, through the image's own entrypoint, with the jar exactly as Jib laid it out.
# OUT/dewy.jsa.version names that JVM, as target/dewy.jsa.version does for the launcher.
#   image-cds-train.sh OUT IMAGE
set -eu
out=$(mkdir -p "$1" && CDPATH= cd -- "$1" && pwd) # docker -v needs an absolute path
image=$2
rm -rf "$out"
mkdir -p "$out"
# The archive is written at the JVM's exit; JAVA_TOOL_OPTIONS adds the flag without touching the entrypoint.
if ! docker run --rm --network none --user "$(id -u):$(id -g)" -v "$out:/cds" \
    -e JAVA_TOOL_OPTIONS="-XX:ArchiveClassesAtExit=/cds/dewy.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "$image" --log-level debug -- true >"$out/training.log" 2>&1; then
  cat "$out/training.log" >&2
  echo "image-cds-train: the training run of $image failed" >&2
  exit 1
fi
[ -s "$out/dewy.jsa" ] || { cat "$out/training.log" >&2; echo "image-cds-train: no archive written" >&2; exit 1; }
docker run --rm --network none --entrypoint java "$image" -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java\.runtime\.version = //p' >"$out/dewy.jsa.version"
[ -s "$out/dewy.jsa.version" ] || { echo "image-cds-train: cannot read the image's java.runtime.version" >&2; exit 1; }
docker rmi "$image" >/dev/null
echo "image-cds-train: wrote $out/dewy.jsa ($(wc -c <"$out/dewy.jsa") bytes) for $(cat "$out/dewy.jsa.version")"
