#!/usr/bin/env bash
# `make backup`: the database (pg_dump's custom format) and every evidence file, into one new folder:
#   database.dump, evidence/<the storage's names>, evidence-manifest.json (sha256 of each file), backup.txt.
# Uses the settings of the environment (DATABASE_URL, the evidence storage); run it where the tracker runs,
# e.g. with the same environment file. The database first: a file uploaded meanwhile is a harmless extra.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
dest=${1:?usage: scripts/backup.sh FOLDER}

case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) ;;
    *) echo "backup: DATABASE_URL must name the PostgreSQL database (postgres://...)" >&2; exit 1 ;;
esac
if [[ -e $dest ]]; then
    echo "backup: $dest already exists; give a new folder" >&2
    exit 1
fi
mkdir -p "$dest"
pg_dump --format=custom --no-owner --no-acl --file="$dest/database.dump" --dbname="$DATABASE_URL"
"$PY" manage.py evidence_export "$dest"
{
    echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "code: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "migrations: $("$PY" manage.py showmigrations --plan 2>/dev/null | grep -c '\[X\]') applied"
} > "$dest/backup.txt"
echo "backup: $dest (database.dump, evidence/)"
