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
# The archive is written at the JVM's exit. The entrypoint keeps JAVA_TOOL_OPTIONS for the application, away from
# dewy's JVM, so the training run is the image's own entrypoint, word for word, with the flags added after java.
entrypoint=$(docker image inspect --format '{{range .Config.Entrypoint}}{{println .}}{{end}}' "$image")
command=""
added=""
set --
while IFS= read -r word; do
  if [ -z "$command" ]; then
    command=$word
    continue
  fi
  set -- "$@" "$word"
  if [ "$word" = java ] && [ -z "$added" ]; then
    set -- "$@" -XX:ArchiveClassesAtExit=/cds/dewy.jsa -Xlog:cds=off -Xlog:cds+dynamic=off
    added=yes
  fi
done <<ENTRYPOINT
$entrypoint
ENTRYPOINT
[ -n "$added" ] || { echo "image-cds-train: no java in the entrypoint of $image: $entrypoint" >&2; exit 1; }
if ! docker run --rm --network none --user "$(id -u):$(id -g)" -v "$out:/cds" --entrypoint "$command" \
    "$image" "$@" --log-level debug -- true >"$out/training.log" 2>&1; then
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
