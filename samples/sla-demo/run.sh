#!/usr/bin/env bash
# The SLA end-to-end scenario, by hand: capacity-limited storage (nbdkit memory + rate filter),
# one Headroom gateway (gw1) in front of it, the SLA server with the gold/bronze policy, and fio
# running a latency-sensitive gold job next to a heavy bronze job. Ports are picked free; every
# process started here is stopped on exit (Ctrl+C included).
#
#   samples/sla-demo/run.sh [SECONDS]      (default 40; run from anywhere after `npm run build`)
set -euo pipefail

SECONDS_TO_RUN="${1:-40}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HEADROOM=(node "$ROOT/bin/headroom.js")
POLICY_SRC="$ROOT/samples/policies/gold-bronze.yaml"
RATE="${RATE:-100M}"   # nbdkit's rate filter counts bits/s: 100M is 12.5 MB/s

for tool in nbdkit fio node; do
  command -v "$tool" >/dev/null || { echo "sla-demo: $tool is not installed" >&2; exit 1; }
done
[ -f "$ROOT/dist/engine/cli/main.js" ] || { echo "sla-demo: build first (npm run build)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/headroom-sla-demo.XXXXXX")"
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "sla-demo: stopped; database and logs kept in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port: bind port 0, read what the kernel chose, let it go.
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_for() { # file pattern seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "sla-demo: gave up waiting for \"$2\" in $1" >&2; cat "$1" >&2; return 1
}

# The policy and its (sample) secret, copied so the demo never writes next to the repository's files.
mkdir -p "$WORK/secrets"
cp "$POLICY_SRC" "$WORK/policy.yaml"
cp "$ROOT/samples/policies/secrets/gw1.secret" "$WORK/secrets/gw1.secret"

# A disk-like backend: one request at a time across all connections (noparallel), each taking
# its size at RATE (rate). Without noparallel, nbdkit's rate filter lets small requests slip
# between large ones and gold hardly notices bronze.
NBD_PORT="$(free_port)"
nbdkit -f --exit-with-parent -p "$NBD_PORT" -i 127.0.0.1 --filter=noparallel --filter=rate \
  memory 1G serialize=all-requests rate="$RATE" &
PIDS+=($!)

SLA_PORT="$(free_port)"
"${HEADROOM[@]}" server --policy "$WORK/policy.yaml" --db "$WORK/sla.db" --listen "127.0.0.1:$SLA_PORT" >"$WORK/server.log" 2>"$WORK/server.err" &
PIDS+=($!)
wait_for "$WORK/server.log" "listening" 20

GW_PORT="$(free_port)"
"${HEADROOM[@]}" gateway --listen "127.0.0.1:$GW_PORT" \
  --export "lun0=nbd://127.0.0.1:$NBD_PORT" --export "lun1=nbd://127.0.0.1:$NBD_PORT" \
  --server "127.0.0.1:$SLA_PORT" --secret-file "$WORK/secrets/gw1.secret" --gateway-id gw1 2>"$WORK/gateway.err" &
PIDS+=($!)
wait_for "$WORK/server.log" "gateway gw1 registered" 20

echo "sla-demo: nbdkit :$NBD_PORT (rate $RATE bits/s), gateway :$GW_PORT, SLA server :$SLA_PORT; fio for ${SECONDS_TO_RUN}s"
tail -n +1 -f "$WORK/server.log" &
PIDS+=($!)

# gold: 4k random reads, one at a time, 100 IOPS; bronze: 128k random writes, 32 in flight.
fio --output-format=json --output="$WORK/fio.json" --runtime="$SECONDS_TO_RUN" --time_based --size=256m --ioengine=nbd \
  --name=gold --uri="nbd://127.0.0.1:$GW_PORT/gold/lun0" --rw=randread --bs=4k --iodepth=1 --rate_iops=100 \
  --name=bronze --uri="nbd://127.0.0.1:$GW_PORT/bronze/lun1" --rw=randwrite --bs=128k --iodepth=32 >/dev/null

node -e '
const text = require("fs").readFileSync(process.argv[1], "utf8");
const fio = JSON.parse(text.slice(text.indexOf("{")));
for (const j of fio.jobs) {
  const io = j.jobname === "gold" ? j.read : j.write;
  const p99 = io.clat_ns.percentile["99.000000"] / 1e6;
  console.log(`fio ${j.jobname}: ${io.iops.toFixed(0)} IOPS, ${(io.bw_bytes / 1e6).toFixed(2)} MB/s, p99 ${p99.toFixed(1)} ms (whole run, including the first seconds before the throttle)`);
}' "$WORK/fio.json"

# What the database kept (after the server has stopped, so every acknowledgement is in).
kill "${PIDS[@]:1}" 2>/dev/null || true
wait "${PIDS[@]:1}" 2>/dev/null || true
(cd "$ROOT" && node -e '
const db = new (require("better-sqlite3"))(process.argv[1], { readonly: true });
const one = (sql) => db.prepare(sql).get();
console.log("database:", JSON.stringify({
  samples: one("SELECT count(*) AS n FROM samples").n,
  violations: one("SELECT count(*) AS n FROM violations").n,
  actions: one("SELECT count(*) AS n FROM actions").n,
  acknowledged: one("SELECT count(*) AS n FROM actions WHERE acked = 1").n,
}));
for (const a of db.prepare("SELECT kind, iops_limit, mbps_limit, acked, reason FROM actions ORDER BY id LIMIT 3").all())
  console.log(`  ${a.kind} to ${a.iops_limit} IOPS, ${a.mbps_limit} MB/s (acked ${a.acked === 1}): ${a.reason}`);
' "$WORK/sla.db") || echo "sla-demo: could not read $WORK/sla.db"
