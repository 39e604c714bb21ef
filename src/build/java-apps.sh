#!/bin/sh
# The process tests' Java apps from Maven Central, built by dewy's `mvn verify` before its process tests
# (pre-integration-test): dewy's client libraries (clients/pom.xml: dev.dewy:dewy-app with its unit tests on JDK 17
# and 22+, dev.dewy:dewy-spring-boot-starter), installed into the local repository; then docker/examples/pom.xml:
# the Spring Boot example and its variants (Boot 4, Jetty) and the plain Jetty 12 app. The same Maven, settings,
# local repository and offline mode as the build that runs this.
#
#   src/build/java-apps.sh MVN LOCAL_REPO offline=(true|false)
set -eu
mvn=$1
repo=$2
offline=
[ "$3" = offline=true ] && offline=-o
cd "$(dirname "$0")/../.."
"$mvn" -B -q $offline -Dmaven.repo.local="$repo" -f clients/pom.xml install
# clean: spring-boot:repackage keeps a jar it already repackaged, with the starter it had then
"$mvn" -B -q $offline -Dmaven.repo.local="$repo" -f docker/examples/pom.xml clean package
echo "java-apps: built $(ls docker/examples/spring-boot/target/*.jar docker/examples/spring-boot/variants/*/target/*.jar \
  docker/examples/jetty/target/hello-jetty.jar | wc -l) example jars"
