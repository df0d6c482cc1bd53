# shellcheck shell=bash
# Helpers shared by the infra scripts (sourced, not run).
# No registry or mirror host is named here: the Debian mirror is read from the machine's
# own apt sources.

# apt_install PKG...: apt-get update once (per machine and 6 hours, not per script), then
# apt-get install -y (without recommends unless APT_RECOMMENDS=1). Needs root (or sudo).
apt_install() {
  local sudo=() stamp="${TMPDIR:-/tmp}/spotcheck-apt-updated"
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root to apt-get install $*" >&2; return 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
    "${sudo[@]}" apt-get update -qq >&2
    touch "$stamp"
  fi
  local rec=--no-install-recommends
  [ "${APT_RECOMMENDS:-0}" = 1 ] && rec=--install-recommends
  local out
  out="$(mktemp)"
  if ! "${sudo[@]}" apt-get install -y -qq "$rec" \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >"$out" 2>&1; then
    tail -n 40 "$out" >&2
    rm -f "$out"
    echo "apt-get install $* failed" >&2
    return 1
  fi
  rm -f "$out"
}

# _apt_source_files: active apt source files (disabled/.save copies are not read by apt either).
_apt_source_files() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && echo "$f"
  done
}

# debian_sources_deb822 SUITE: the host's deb822 stanzas (and one-line entries, converted) whose
# suites are SUITE or SUITE-* with component main, i.e. the Debian archive, updates and security
# (not third-party repositories that reuse the suite name).
debian_sources_deb822() {
  local suite="$1" f
  for f in $(_apt_source_files); do
    case "$f" in
      *.sources)
        awk -v s="$suite" '
          function flush() {
            if (block != "" && keep && types ~ /(^| )deb( |$)/) { printf "%s\n", block }
            block = ""; keep = 0; types = ""; suite = 0; main = 0; disabled = 0
          }
          /^[ \t]*$/ { flush(); next }
          /^#/ { next }
          {
            block = block $0 "\n"
            if (tolower($1) == "types:") { types = $0; sub(/^[^:]*:[ \t]*/, "", types) }
            if (tolower($1) == "suites:") {
              for (i = 2; i <= NF; i++) if ($i == s || index($i, s "-") == 1) suite = 1
            }
            if (tolower($1) == "components:") {
              for (i = 2; i <= NF; i++) if ($i == "main") main = 1
            }
            keep = suite && main && !disabled
            if (tolower($1) == "enabled:" && tolower($2) == "no") { disabled = 1; keep = 0 }
          }
          END { flush() }
        ' "$f"
        ;;
      *)
        awk -v s="$suite" '
          /^[ \t]*deb[ \t]/ {
            i = 2
            opts = ""
            if ($i ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
            uri = $i; dist = $(i + 1); comps = ""
            for (j = i + 2; j <= NF; j++) comps = comps (comps == "" ? "" : " ") $j
            if ((dist == s || index(dist, s "-") == 1 || index(dist, s "/") == 1) && (" " comps " ") ~ / main /) {
              printf "Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n", uri, dist, comps
              if (match(opts, /signed-by=[^] ]+/)) printf "Signed-By: %s\n", substr(opts, RSTART + 10, RLENGTH - 10)
              printf "\n"
            }
          }
        ' "$f"
        ;;
    esac
  done
}

# debian_mirror SUITE: the URI serving exactly SUITE (not -updates / -security), for debootstrap.
debian_mirror() {
  local suite="$1"
  debian_sources_deb822 "$suite" | awk -v s="$suite" '
    /^[ \t]*$/ { if (uri != "" && hit) { print uri; exit } uri = ""; hit = 0; next }
    tolower($1) == "uris:" { uri = $2 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
    END { if (uri != "" && hit) print uri }
  ' | head -n 1
}

# sock_answers PATH: the Docker-compatible API on a unix socket answers /_ping.
sock_answers() {
  [ -S "$1" ] && curl -fsS --max-time 3 --unix-socket "$1" http://d/_ping >/dev/null 2>&1
}
