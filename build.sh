#!/usr/bin/env bash
# SdtpGen's one entry script. The README and .ci/run call its subcommands:
#   ./build.sh setup   make this machine able to load TorchSharp's native library, install the prose corpus (idempotent)
#   ./build.sh test    setup, build, run every test suite
#   ./build.sh demo    setup, build, run the whole SDTP pipeline on the embedded default model
#   ./build.sh serve   setup, build, serve the embedded default model over the OpenAI HTTP API (sdtp serve options)
#   ./build.sh pack    setup, pack the NuGet packages into ./artifacts/packages
set -euo pipefail
cd "$(dirname "$0")"

# TorchSharp 0.107 (libtorch 2.10) needs GLIBCXX_3.4.32. Debian 12 and Ubuntu 22.04 ship an older libstdc++.
need_glibcxx="GLIBCXX_3.4.32"

libstdcxx_path() {
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF; exit}'
}

has_glibcxx() {
  local lib; lib="$(libstdcxx_path)"
  [ -n "$lib" ] && grep -qa "$need_glibcxx" "$lib"
}

# The task suite's natural-English haystacks are the text files of Debian's 'fortunes' package (BSD licence).
prose_file="/usr/share/games/fortunes/literature"

setup_prose() {
  if [ -r "$prose_file" ] || [ -n "${SDTP_PROSE_DIR:-}" ]; then
    return 0
  fi
  echo "setup: installing Debian's 'fortunes' package (the task suite's prose haystacks)."
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: cannot install 'fortunes' here (needs root and apt-get); install it, or set SDTP_PROSE_DIR to a copy of its files." >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fortunes >/dev/null
}

setup() {
  setup_prose
  setup_libstdcxx
}

setup_libstdcxx() {
  if has_glibcxx; then
    echo "setup: $(libstdcxx_path) provides $need_glibcxx; nothing to change."
    return 0
  fi
  echo "setup: libstdc++ lacks $need_glibcxx (needed by TorchSharp 0.107 / libtorch 2.10); installing a newer one."
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root. Run 'sudo ./build.sh setup', or install a libstdc++6 that provides $need_glibcxx (GCC 13 or newer)." >&2
    exit 1
  fi
  if ! [ -r /etc/debian_version ] || ! command -v apt-get >/dev/null; then
    echo "setup: this is not a Debian-family system; install a libstdc++ from GCC 13 or newer by hand." >&2
    exit 1
  fi
  # Debian 12: take only libstdc++6 (and what it drags in, libc6) from trixie. The pin keeps every other
  # package on the system's own suite.
  if ! grep -rqs "trixie" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat > /etc/apt/sources.list.d/sdtp-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  cat > /etc/apt/preferences.d/sdtp-trixie-pin <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null
  ldconfig
  if ! has_glibcxx; then
    echo "setup: installed libstdc++6 from trixie but $need_glibcxx is still missing; install GCC 13+'s libstdc++ by hand." >&2
    exit 1
  fi
  echo "setup: $(libstdcxx_path) now provides $need_glibcxx."
}

test_all() {
  setup
  dotnet build SdtpGen.sln -c Release -nologo -v q
  local log; log="$(mktemp)"
  local status=0
  dotnet test SdtpGen.sln -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?
  # Failed tests again at the end, each with the first lines of its message, so a log's tail names them.
  awk '/^ +Failed [A-Za-z]/ { n = 8 } n > 0 { print; n-- }' "$log"
  # One closing line over every test project, in the plain 'N passed, N failed' form.
  awk '/^ +Passed: [0-9]+$/ { p += $2 } /^ +Failed: [0-9]+$/ { f += $2 } /^ +Skipped: [0-9]+$/ { s += $2 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
  rm -f "$log"
  return "$status"
}

demo() {
  setup
  dotnet run -c Release --project samples/TinyLlama -- demo "$@"
}

serve() {
  setup
  dotnet run -c Release --project samples/TinyLlama -- serve "$@"
}

pack() {
  setup
  dotnet pack src/Sdtp.Runtime -c Release -o artifacts/packages -nologo
}

cmd="${1:-}"; shift || true
case "$cmd" in
  setup) setup ;;
  test) test_all ;;
  demo) demo "$@" ;;
  serve) serve "$@" ;;
  pack) pack ;;
  *) echo "usage: ./build.sh setup|test|demo|serve|pack" >&2; exit 2 ;;
esac
