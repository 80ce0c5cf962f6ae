# Sourced by bin/*: finds the newest JDK >= 21 on this machine and exports JAVA_HOME, JAVA and MAVEN_OPTS.
find_jdk() {
  local best="" best_major=0 candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 \
      | awk -F'= ' '/java.specification.version/ {print $2}')
    major=${major%%.*}
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate
      best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "rivetkit-java needs a JDK 21 or newer, and found none in JAVA_HOME or /usr/lib/jvm." >&2
    echo "Install one (Temurin 25 is what we build and test on) and set JAVA_HOME to it." >&2
    exit 1
  fi
  export JAVA_HOME=$best
  export JAVA="$best/bin/java"
  # Maven runs on this JDK too; its bundled Guava warns about sun.misc.Unsafe on JDK 24+ unless allowed.
  if [ "$best_major" -ge 24 ]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
}
