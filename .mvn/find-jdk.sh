# Sourced by ./mvnw and ./spool: exports JAVA_HOME pointing at a JDK 21 or newer.
# Order: JAVA_HOME when it is one; else the newest JDK under /usr/lib/jvm; else the java on PATH.
# POSIX sh, because mvnw runs under /bin/sh with `set -euf` (globbing off, hence the set +f below).

spool_jdk_major() { # $1 = a JDK home; prints its major version, or nothing
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p'
  fi
}

spool_jdk_ok() { # $1 = a JDK home; true when it has javac and is 21 or newer
  [ -x "$1/bin/javac" ] || return 1
  spool_jdk_major_v=$(spool_jdk_major "$1")
  [ -n "$spool_jdk_major_v" ] && [ "$spool_jdk_major_v" -ge 21 ]
}

spool_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && spool_jdk_ok "$JAVA_HOME"; then
    return 0
  fi
  spool_best= spool_best_v=0
  case $- in *f*) spool_noglob=1; set +f ;; *) spool_noglob= ;; esac
  for spool_candidate in /usr/lib/jvm/*; do
    [ -d "$spool_candidate" ] || continue
    if spool_jdk_ok "$spool_candidate" && [ "$spool_jdk_major_v" -gt "$spool_best_v" ]; then
      spool_best=$spool_candidate spool_best_v=$spool_jdk_major_v
    fi
  done
  [ -n "$spool_noglob" ] && set -f
  if [ -n "$spool_best" ]; then
    JAVA_HOME=$spool_best
    export JAVA_HOME
    return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    spool_candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if spool_jdk_ok "$spool_candidate"; then
      JAVA_HOME=$spool_candidate
      export JAVA_HOME
      return 0
    fi
  fi
  echo "Spool needs a JDK 21 or newer and found none (JAVA_HOME, /usr/lib/jvm/*, PATH)." >&2
  echo "Install one, for example: apt-get install openjdk-21-jdk-headless (or Temurin 21/25), or set JAVA_HOME." >&2
  return 1
}

spool_find_jdk || exit 1
