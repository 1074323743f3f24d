#!/usr/bin/env bash
# Start the web server, a Celery worker and Celery beat together in the foreground; Ctrl-C stops all three.
# `make run` calls this after installing, migrating and loading; it uses whatever the environment configures
# (by default SQLite under var/, mail files under var/mail, the filesystem Celery transport).
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
pids=()

start() {  # start NAME COMMAND...: run it in the background, each output line prefixed with NAME
    local name=$1
    shift
    # Process substitution keeps $! the command's own pid (not a pipeline's), so we can stop it by id.
    "$@" > >(sed -u "s/^/$(printf '%-6s' "$name")| /") 2>&1 &
    pids+=($!)
}

stop() {
    trap - INT TERM EXIT
    echo "Stopping (web, worker, beat: ${pids[*]})..."
    kill -TERM "${pids[@]}" 2>/dev/null
    # Give Celery a moment for a warm shutdown, then make sure nothing is left behind.
    for _ in $(seq 1 50); do
        kill -0 "${pids[@]}" 2>/dev/null || break
        sleep 0.2
    done
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            pkill -KILL -P "$pid" 2>/dev/null  # its own children (the worker's pool), by parent id
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    wait 2>/dev/null
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# --noreload: the autoreloader forks a child that would outlive a kill of the parent's pid.
start web "$PY" manage.py runserver --noreload "0.0.0.0:$PORT"
start worker "$PY" -m celery -A config worker --loglevel=INFO --concurrency=2 --hostname="tracker@%h"
start beat "$PY" -m celery -A config beat --loglevel=INFO

echo
echo "The tracker: http://127.0.0.1:$PORT/   (data entry: http://127.0.0.1:$PORT/admin/)"
"$PY" manage.py shell -v 0 -c '
from followups.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
print(f"Demo logins (password {DEMO_PASSWORD} for each):")
for a in DEMO_ACCOUNTS:
    print(f"  {a.username:<12} {a.role.label}")
' 2>/dev/null || true
echo "Press Ctrl-C to stop the web server, the worker and beat."
echo

# Stop everything as soon as any one of the three exits (a port in use, a broken setting).
wait -n "${pids[@]}"
status=$?
echo "A process exited (status $status); stopping the others." >&2
exit "$status"
