#!/usr/bin/env bash
# The one test command (README): builds everything, installs what the tests need (the chain's npm
# packages are installed by the Chain project's build), runs every test project, and ends with
# one line "N passed, N failed, N skipped" computed from the TRX reports.
set -uo pipefail
cd "$(dirname "$0")/.."

config=Release
results="$PWD/TestResults"
rm -rf "$results"
mkdir -p "$results"

# The TURN tests run a real coturn (turnserver, turnutils_uclient). CI has apt as root: a failed install fails the run.
if ! command -v turnserver >/dev/null || ! command -v turnutils_uclient >/dev/null; then
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends coturn; } >/dev/null; then
    echo "could not install coturn (apt-get install coturn)"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
fi

# The operator dashboard's test drives a real headless chromium (Debian's package; nothing is downloaded at test time).
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >/dev/null; then
    echo "could not install chromium (apt-get install chromium)"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
fi

if ! dotnet build SimpleXLedger.sln -c "$config" -nologo -v minimal; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

dotnet test SimpleXLedger.sln -c "$config" --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  -- RunConfiguration.TreatNoTestsAsError=false
status=$?

passed=0; failed=0; skipped=0; reports=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  reports=$((reports + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done

if [ "$reports" -eq 0 ]; then
  echo "no test reports were written"
  failed=$((failed + 1))
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The runner failed without a failing test in the reports (a crashed test host, say).
  failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
