#!/usr/bin/env bash
# Run every example of cro-api and cro-ext against a cro-fake this script starts (and stops)
# on a free loopback port. Used by .ci/run; runnable by hand from the workspace root:
#
#   scripts/run_examples.sh            # build what is needed, then run each example
#
# Each example reads CRO_BASE_URL / CRO_TOKEN / CRO_TENANT_ID (a Dispatcher token: the role
# the spec allows for everything the examples do) and exits non-zero when what it shows
# does not happen (no 404, no validation error, a bad signature...).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --quiet -p cro-fake --bin cro-fake
cargo build --locked --quiet -p cro-ext --features blocking --examples
cargo build --locked --quiet -p cro-api --examples

work=$(mktemp -d)
target/debug/cro-fake --seed 1 --customers 120 >"$work/start.json" 2>"$work/stderr.log" &
fake_pid=$!
cleanup() { kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 300); do # the start line (one JSON object) appears within ~1 s
  if [ "$(head -c1 "$work/start.json" 2>/dev/null)" = "{" ] && [ "$(wc -l <"$work/start.json")" -ge 1 ]; then break; fi
  kill -0 "$fake_pid" 2>/dev/null || { cat "$work/stderr.log" >&2; echo "cro-fake exited early" >&2; exit 1; }
  sleep 0.1
done
read_start() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($1)" "$work/start.json"; }
export CRO_BASE_URL; CRO_BASE_URL=$(read_start 's["base_url"]')
export CRO_TOKEN; CRO_TOKEN=$(read_start 's["tokens"]["Dispatcher"]')
export CRO_TENANT_ID; CRO_TENANT_ID=$(read_start 's["tenants"][0]')
echo "cro-fake at $CRO_BASE_URL"

failed=()
run() { # run NAME BINARY
  echo "--- example $1"
  if timeout 120 "$2"; then echo "--- ok: $1"; else echo "--- FAILED: $1" >&2; failed+=("$1"); fi
}
for example in list_and_page get_and_404 create_customer webhook_verify oauth_login blocking_walk export_customers; do
  if [ "$example" = export_customers ]; then
    run "$example" "target/debug/examples/$example" >/dev/null
  else
    run "$example" "target/debug/examples/$example"
  fi
done
run list_tenants target/debug/examples/list_tenants

if [ ${#failed[@]} -gt 0 ]; then
  echo "examples failed: ${failed[*]}" >&2
  exit 1
fi
echo "all examples ran against cro-fake"
