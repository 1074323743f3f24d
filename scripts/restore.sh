#!/usr/bin/env bash
# `make restore BACKUP=FOLDER`: a backup made by scripts/backup.sh into the database of DATABASE_URL, which must
# be new and empty (createdb it first), and the evidence storage of the environment. Nothing existing is
# overwritten: a non-empty database, or a different file under an evidence file's name, stops the restore.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
src=${1:?usage: scripts/restore.sh FOLDER}

case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) ;;
    *) echo "restore: DATABASE_URL must name the PostgreSQL database (postgres://...)" >&2; exit 1 ;;
esac
for needed in database.dump evidence-manifest.json; do
    [[ -f $src/$needed ]] || { echo "restore: $src/$needed is missing" >&2; exit 1; }
done
tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$DATABASE_URL" \
    --command="select count(*) from information_schema.tables where table_schema = 'public'")
if [[ $tables != 0 ]]; then
    echo "restore: the database already has $tables tables; restore into a new, empty database" >&2
    exit 1
fi
pg_restore --no-owner --no-acl --exit-on-error --single-transaction --dbname="$DATABASE_URL" "$src/database.dump"
"$PY" manage.py evidence_import "$src"
# A backup of older code is brought up to this code's migrations (nothing to do for the same version).
"$PY" manage.py migrate --noinput
echo "restore: done from $src"
