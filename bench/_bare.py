"""The bare baselines: psycopg, hand-written SQL and plain Python doing the same work as a tracker path and
producing the same output (checked equal by the benchmarks in the same run).

Nothing here imports Django or the tracker: these are the floor that the same database and the same machine set.
The few facts they share with the tracker (status labels, which statuses are closed) are passed in as plain data.

- `api_page`: the partner API's first page of commitments (key check, scope, owners, deadlines, computed
  next_due_on/is_overdue, cursor link) as JSON bytes with orjson: byte-identical to the API's answer;
- `list_page`: the staff commitments list (session check, count, page of 50 in the list's default order with
  owners and next due date, filter options, quick-update forms, pagination) as HTML through a plain template;
- `dashboard_page`: the dashboard's counts, overdue and upcoming tables, month and status charts;
- `detail_page`: a commitment's page (owners, deadlines, contacts, timeline);
- `export_csv`: the CSV export of the filtered list through the csv module: byte-identical.
"""

from __future__ import annotations

import csv
import hashlib
import io
from base64 import b64encode
from datetime import UTC, date, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import orjson

# --- API ---------------------------------------------------------------------------------------------------

_KEY_SQL = """
SELECT k.organisation_id FROM agreements_apikey k JOIN agreements_organisation o ON o.id = k.organisation_id
WHERE k.key_hash = %s AND k.revoked_at IS NULL AND k.expires_at > now() AND o.is_active
"""

# The partner's scope: frameworks it (or a body it is a confirmed member of) is a non-illustrative party to,
# and the commitments it owns.
_PAGE_SQL = """
SELECT c.id, c.ref, f.ref, c.title, c.category, c.priority, c.status, wg.ref, c.review_every, c.note, c.created_at,
       c.updated_at, c.illustrative, c.status_basis
FROM followups_commitment c
JOIN agreements_framework f ON f.id = c.framework_id
LEFT JOIN agreements_workinggroup wg ON wg.id = c.working_group_id
WHERE (c.framework_id IN (
          SELECT p.framework_id FROM agreements_party p
          WHERE NOT p.illustrative AND (p.organisation_id = %(org)s OR p.organisation_id IN (
              SELECT m.body_id FROM agreements_membership m
              WHERE m.member_id = %(org)s AND m.state = 'confirmed' AND NOT m.illustrative)))
       OR c.id IN (SELECT co.commitment_id FROM followups_commitmentowner co WHERE co.organisation_id = %(org)s))
  AND (%(after)s::text IS NULL OR c.ref > %(after)s)
ORDER BY c.ref
LIMIT %(limit)s
"""

_OWNERS_SQL = """
SELECT co.commitment_id, o.ref, o.name, co.status, co.status_changed_at, co.completion_reported_at
FROM followups_commitmentowner co JOIN agreements_organisation o ON o.id = co.organisation_id
WHERE co.commitment_id = ANY(%s) ORDER BY o.name
"""

_DEADLINES_SQL = """
SELECT d.commitment_id, d.ref, d.title, d.anchor_kind, d.anchor_date, d.anchor_estimated, d."offset", d.recurrence,
       d.original_due_on, d.extended_due_on, d.extension_reason, d.due_on, d.completed_on, d.cancelled, d.updated_at,
       d.basis
FROM followups_deadline d WHERE d.commitment_id = ANY(%s) ORDER BY d.due_on, d.ref
"""

# The commitments' sources (issue 10), in the Source model's order.
_SOURCES_SQL = """
SELECT cs.commitment_id, s.ref, s.title, s.url, s.published, s.kind
FROM followups_commitment_sources cs JOIN agreements_source s ON s.id = cs.source_id
WHERE cs.commitment_id = ANY(%s) ORDER BY s.ref
"""


def today_utc() -> date:
    return datetime.now(UTC).date()


def _cursor_link(base_url: str, position: str) -> str:
    # What DRF's CursorPagination writes: base64 of "p=<last ref>", query parameters sorted.
    encoded = b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")
    scheme, netloc, path, query, fragment = urlsplit(base_url)
    params = parse_qs(query, keep_blank_values=True)
    params["cursor"] = [encoded]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment))


# The statuses that close a party's part done (followups.models.DONE_STATUSES): a reported completion that staff
# overtook by completing the party themselves awaits nobody.
DONE = ("completed", "completed_late")


def api_page(conn, raw_key: str, base_url: str, page_size: int = 50, done: tuple[str, ...] = DONE) -> bytes:
    """The API's first page of commitments for the key's organisation, as the API's JSON bytes."""
    key = conn.execute(_KEY_SQL, [hashlib.sha256(raw_key.encode()).hexdigest()]).fetchone()
    if key is None:
        return b'{"error":"key"}'
    rows = conn.execute(_PAGE_SQL, {"org": key[0], "after": None, "limit": page_size + 1}).fetchall()
    more = len(rows) > page_size
    rows = rows[:page_size]
    ids = [r[0] for r in rows]
    owners: dict[int, list] = {i: [] for i in ids}
    for cid, ref, name, status, changed, reported in conn.execute(_OWNERS_SQL, [ids]).fetchall():
        owner = {
            "organisation": ref,
            "organisation_name": name,
            "status": status,
            "status_changed_at": changed,
            "awaiting_verification": reported is not None and status not in done,
            "completion_reported_at": reported,
        }
        owners[cid].append(owner)
    sources: dict[int, list] = {i: [] for i in ids}
    for cid, ref, title, url, published, kind in conn.execute(_SOURCES_SQL, [ids]).fetchall():
        sources[cid].append({"ref": ref, "title": title, "url": url, "published": published, "kind": kind})
    invented = {r[0] for r in rows if r[12]}
    deadlines: dict[int, list] = {i: [] for i in ids}
    today = today_utc()
    for d in conn.execute(_DEADLINES_SQL, [ids]).fetchall():
        is_open = d[12] is None and not d[13]
        # Deadline.provenance: illustrative when the rule or its commitment is invented, else template or sourced.
        if d[15] == "illustrative" or d[0] in invented:
            basis = "illustrative"
        else:
            basis = "template" if d[15] == "template" else "sourced"
        deadlines[d[0]].append(
            {
                "ref": d[1],
                "title": d[2],
                "anchor_kind": d[3],
                "anchor_date": d[4],
                "anchor_estimated": d[5],
                "offset": d[6],
                "recurrence": d[7],
                "original_due_on": d[8],
                "extended_due_on": d[9],
                "extension_reason": d[10],
                "due_on": d[11],
                "completed_on": d[12],
                "cancelled": d[13],
                "is_overdue": is_open and d[11] < today,
                "basis": basis,
                "updated_at": d[14],
            }
        )
    results = []
    for cid, ref, fw, title, category, priority, status, wg, review, note, created, updated, illus, sbasis in rows:
        dls = deadlines[cid]
        open_due = [d["due_on"] for d in dls if d["completed_on"] is None and not d["cancelled"]]
        results.append(
            {
                "ref": ref,
                "framework": fw,
                "title": title,
                "category": category,
                "priority": priority,
                "status": status,
                "owners": owners[cid],
                "working_group": wg,
                "deadlines": dls,
                "next_due_on": min(open_due) if open_due else None,
                "is_overdue": any(d["is_overdue"] for d in dls),
                "review_every": review,
                "note": note,
                "basis": "illustrative" if illus else "sourced",
                "status_basis": sbasis,
                "sources": sources[cid],
                "created_at": created,
                "updated_at": updated,
            }
        )
    body = {"next": _cursor_link(base_url, rows[-1][1]) if more else None, "previous": None, "results": results}
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)


# --- Pages: what a person sees, for comparing --------------------------------------------------------------


class _Cells(HTMLParser):
    """Every table's body rows as lists of cell texts (whitespace collapsed), and the count numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.counts: list[str] = []
        self._depth = 0
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_count = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag in ("details", "form", "select", "script", "style"):
            self._skip += 1
        elif tag == "span" and "tracker-count__number" in cls:
            self._in_count = True

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[-1].append(self._row)
            self._row = None
        elif tag in ("details", "form", "select", "script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "span":
            self._in_count = False

    def handle_data(self, data):
        if self._in_count:
            self.counts.append(data.strip())
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def page_cells(html: str) -> tuple[list[list[list[str]]], list[str]]:
    """(tables -> rows -> cell texts, dashboard count numbers) of a page, ignoring forms inside cells."""
    parser = _Cells()
    parser.feed(html)
    return parser.tables, parser.counts


# --- Staff list --------------------------------------------------------------------------------------------

_SESSION_SQL = """
SELECT s.session_data FROM django_session s WHERE s.session_key = %s AND s.expire_date > now()
"""
_USER_SQL = """
SELECT u.id, u.is_active, array(SELECT g.name FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
                             WHERE ug.user_id = u.id)
FROM auth_user u WHERE u.username = %s
"""

# The schema keeps each commitment's next open due date (followups_commitment.next_due_on) and an index on the
# list's order (commitment_list_order: the closed-last CASE, next_due_on, ref): a bare app with that schema reads
# the column and orders by the indexed expressions, its closed statuses written in the SQL as the index has them.
_LIST_SQL = """
SELECT c.id, c.ref, c.title, f.ref, c.status, c.priority, c.next_due_on
FROM followups_commitment c
JOIN agreements_framework f ON f.id = c.framework_id
ORDER BY CASE WHEN c.status IN ({closed}) THEN 1 ELSE 0 END, c.next_due_on, c.ref
LIMIT %(limit)s OFFSET %(offset)s
"""

_LIST_OWNERS_SQL = """
SELECT co.commitment_id, o.name FROM followups_commitmentowner co JOIN agreements_organisation o
ON o.id = co.organisation_id WHERE co.commitment_id = ANY(%s) ORDER BY co.commitment_id, o.name
"""


def _list_sql(closed: list[str]) -> str:
    # Constants of the code (the closed statuses), not user input: written as literals, as in the index.
    return _LIST_SQL.format(closed=", ".join("'" + s.replace("'", "''") + "'" for s in closed))


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _staff(conn, session_key: str, username: str) -> bool:
    if conn.execute(_SESSION_SQL, [session_key]).fetchone() is None:
        return False
    user = conn.execute(_USER_SQL, [username]).fetchone()
    return bool(user and user[1])


def list_page(conn, *, session_key: str, username: str, labels: dict, closed: list[str], page_size: int = 50) -> str:
    """The staff commitments list, first page in its default order, as HTML from a plain template."""
    if not _staff(conn, session_key, username):
        return "login"
    total = conn.execute("SELECT count(*) FROM followups_commitment").fetchone()[0]
    rows = conn.execute(_list_sql(closed), {"limit": page_size, "offset": 0}).fetchall()
    owners: dict[int, list[str]] = {}
    for cid, name in conn.execute(_LIST_OWNERS_SQL, [[r[0] for r in rows]]).fetchall():
        owners.setdefault(cid, []).append(name)
    frameworks = conn.execute("SELECT ref, title FROM agreements_framework ORDER BY ref").fetchall()
    organisations = conn.execute("SELECT ref, name FROM agreements_organisation ORDER BY name").fetchall()
    today = today_utc()
    status_options = "".join(f'<option value="{v}">{escape(lbl)}</option>' for v, lbl in labels["status"].items())
    out = [
        "<!doctype html><html lang='en'><head><title>Commitments</title></head><body><main><h1>Commitments</h1>",
        "<form method='get'><select name='framework'><option value=''>---------</option>",
        *(f'<option value="{escape(r)}">{escape(r)} {escape(t)}</option>' for r, t in frameworks),
        "</select><select name='organisation'><option value=''>---------</option>",
        *(f'<option value="{escape(r)}">{escape(n)}</option>' for r, n in organisations),
        f"</select><select name='status' multiple>{status_options}</select><button>Filter</button></form>",
        f"<p role='status'>{total} results, showing 1–{min(page_size, total)}</p>",
        "<table class='usa-table'><thead><tr><th>Reference</th><th>Commitment</th><th>Framework</th><th>Owners</th>"
        "<th>Status</th><th>Priority</th><th>Next due</th><th>Actions</th></tr></thead><tbody>",
    ]
    for cid, ref, title, fw, status, priority, due in rows:
        if due is None:
            due_cell = "<span>—</span>"
        else:
            due_cell = f"<span>{due:%Y-%m-%d}</span>" + (" <span class='usa-tag'>Overdue</span>" if due < today else "")
        options = "".join(
            f'<option value="{v}"{" selected" if v == status else ""}>{escape(lbl)}</option>'
            for v, lbl in labels["status"].items()
        )
        out.append(
            f'<tr><td><a href="/commitments/{ref}/">{ref}</a></td><td>{escape(_truncate(title, 140))}</td>'
            f'<td><a href="/frameworks/{fw}/">{fw}</a></td><td>{escape(", ".join(owners.get(cid, [])))}</td>'
            f'<td><span class="usa-tag">{escape(labels["status"][status])}</span></td>'
            f"<td>{escape(labels['priority'][priority])}</td><td>{due_cell}</td>"
            f'<td><details><summary>Update</summary><form method="post" action="/commitments/{ref}/">'
            f'<select name="status">{options}</select><textarea name="note"></textarea><button>Record</button>'
            "</form></details></td></tr>"
        )
    pages = (total + page_size - 1) // page_size
    out.append("</tbody></table><nav><ul>")
    out.extend(f'<li><a href="?page={n}">{n}</a></li>' for n in (1, 2, 3, 4, 5, pages) if n <= pages)
    out.append("</ul></nav></main></body></html>")
    return "".join(out)


# --- Dashboard ---------------------------------------------------------------------------------------------

# The schema keeps the dashboard's counts of all commitments in summary tables (followups.summary, issue 15): a bare
# app with that schema reads them as the tracker does, each count and date a sum over a few thousand rows.
_DEADLINE_COUNTS_SQL = """
SELECT coalesce(sum(n) FILTER (WHERE day < %(today)s), 0),
       coalesce(sum(n) FILTER (WHERE day >= %(today)s AND day <= %(week)s), 0),
       coalesce(sum(n) FILTER (WHERE day >= %(today)s AND day <= %(month)s), 0)
FROM followups_dashboarddeadlineday WHERE is_open
"""
_STATUS_ROWS_SQL = """
SELECT framework_id, status, sum(n) FROM followups_dashboardcommitmentcount GROUP BY 1, 2 HAVING sum(n) > 0
"""
# A date "before T" counted by year, month and day (followups.summary.models.Grain).
_BEFORE = (
    "((grain = 'Y' AND day < {y}) OR (grain = 'M' AND day >= {y} AND day < {m})"
    " OR (grain = 'D' AND day >= {m} AND day < {t}))"
)
_OVERDUE_ROWS_SQL = (
    "SELECT framework_id, status, sum(n) FROM followups_dashboardcommitmentdue WHERE "
    + _BEFORE.format(y="%(year)s", m="%(month)s", t="%(today)s")
    + " GROUP BY 1, 2"
)
_UPCOMING_SQL = """
SELECT d.due_on, d.title, c.ref, c.title, f.ref
FROM followups_deadline d JOIN followups_commitment c ON c.id = d.commitment_id
JOIN agreements_framework f ON f.id = c.framework_id
WHERE d.completed_on IS NULL AND NOT d.cancelled AND {where}
ORDER BY {order} LIMIT 8
"""
_MONTHS_SQL = """
SELECT date_trunc('month', day)::date, sum(n) FROM followups_dashboarddeadlineday
WHERE is_open AND day >= %s AND day < %s GROUP BY 1 HAVING sum(n) > 0 ORDER BY 1
"""


def _quiet_sql(quiet_days: dict[str, int], today: date) -> tuple[str, list]:
    """Open commitments whose last update is older than their priority's window, from the summary by priority."""
    clauses, params = [], []
    for priority, days in quiet_days.items():
        t = today - timedelta(days=days)
        clauses.append("(priority = %s AND " + _BEFORE.format(y="%s", m="%s", t="%s") + ")")
        y, m = date(t.year, 1, 1), date(t.year, t.month, 1)
        params += [priority, y, y, m, m, t]
    sql = "SELECT coalesce(sum(n), 0) FROM followups_dashboardcommitmentactivity WHERE " + " OR ".join(clauses)
    return sql, params


def dashboard_page(
    conn, *, session_key: str, username: str, done: list[str], closed: list[str], quiet_days: dict[str, int]
) -> str:
    """The coordinator's dashboard: counts, the 8 most recently missed and next 8 deadlines, two charts."""
    if not _staff(conn, session_key, username):
        return "login"
    today = today_utc()
    overdue, due_7, due_30 = conn.execute(
        _DEADLINE_COUNTS_SQL, {"today": today, "week": today + timedelta(days=7), "month": today + timedelta(days=30)}
    ).fetchone()
    status_rows = conn.execute(_STATUS_ROWS_SQL).fetchall()
    year, month = date(today.year, 1, 1), date(today.year, today.month, 1)
    late = conn.execute(_OVERDUE_ROWS_SQL, {"year": year, "month": month, "today": today}).fetchall()
    at_risk = sum(n for _, s, n in status_rows if s == "at_risk")
    completed = sum(n for _, s, n in status_rows if s in done)
    total = sum(n for *_, n in status_rows)
    missed = conn.execute(_UPCOMING_SQL.format(where="d.due_on < %s", order="d.due_on DESC, d.ref"), [today])
    missed = missed.fetchall()
    upcoming = conn.execute(_UPCOMING_SQL.format(where="d.due_on >= %s", order="d.due_on, d.ref"), [today]).fetchall()
    start = date(today.year, today.month, 1)
    months = conn.execute(_MONTHS_SQL, [start, date(start.year + 1, start.month, 1)]).fetchall()
    awaiting = conn.execute(
        "SELECT count(DISTINCT commitment_id) FROM followups_commitmentowner "
        "WHERE completion_reported_at IS NOT NULL AND status <> ALL(%s)",
        [done],
    ).fetchone()[0]
    frameworks = dict(conn.execute("SELECT id, ref FROM agreements_framework").fetchall())
    # Commitments gone quiet: no status update for longer than their priority's window. The bench has no
    # framework policy overriding the windows; the look-up is made all the same, as the tracker makes it.
    conn.execute("SELECT framework_id FROM followups_reminderpolicy WHERE framework_id IS NOT NULL").fetchall()
    quiet = conn.execute(*_quiet_sql(quiet_days, today)).fetchone()[0]
    out = [
        "<!doctype html><html lang='en'><head><title>Dashboard</title></head><body><main><h1>What is due</h1>",
        f"<p>{awaiting} awaiting verification</p><ul>",
        *(
            f"<li><span class='tracker-count__number'>{n}</span> {label}</li>"
            for n, label in (
                (overdue, "overdue deadlines"),
                (due_7, "due in the next 7 days"),
                (due_30, "due in the next 30 days"),
                (at_risk, "commitments at risk"),
                (quiet, "gone quiet: no update for too long"),
                (completed, f"completed, of {total} commitments"),
            )
        ),
        "</ul>",
    ]
    for rows in (missed, upcoming):
        out.append("<table><thead><tr><th>Due</th><th>Commitment</th><th>Framework</th></tr></thead><tbody>")
        for due, title, ref, ctitle, fw in rows:
            late = " <span>Overdue</span>" if due < today else ""
            out.append(
                f"<tr><td>{due:%Y-%m-%d}{late}</td><td><a href='/commitments/{ref}/'>{ref}</a> "
                f"{escape(_truncate(title or ctitle, 90))}</td><td><a href='/frameworks/{fw}/'>{fw}</a></td></tr>"
            )
        out.append("</tbody></table>")
    out.append("<svg>")
    out.extend(f"<rect data-month='{m:%Y-%m}' height='{n}'/>" for m, n in months)
    out.extend(f"<rect data-fw='{frameworks[fid]}' data-status='{s}' width='{n}'/>" for fid, s, n in status_rows)
    out.extend(f"<rect data-fw='{frameworks[fid]}' data-overdue='{s}' width='{n}'/>" for fid, s, n in late)
    out.append("</svg></main></body></html>")
    return "".join(out)


# --- A commitment's page -----------------------------------------------------------------------------------


def detail_page(conn, *, session_key: str, username: str, ref: str, labels: dict) -> str:
    """A commitment with its owners, deadlines, contacts and timeline of status updates."""
    if not _staff(conn, session_key, username):
        return "login"
    c = conn.execute(
        "SELECT c.id, c.ref, c.title, c.status, c.priority, c.note, f.ref, f.title, wg.ref FROM followups_commitment c "
        "JOIN agreements_framework f ON f.id = c.framework_id LEFT JOIN agreements_workinggroup wg "
        "ON wg.id = c.working_group_id WHERE c.ref = %s",
        [ref],
    ).fetchone()
    owners = conn.execute(
        "SELECT o.ref, o.name, co.status FROM followups_commitmentowner co JOIN agreements_organisation o "
        "ON o.id = co.organisation_id WHERE co.commitment_id = %s ORDER BY o.name",
        [c[0]],
    ).fetchall()
    deadlines = conn.execute(
        "SELECT ref, title, due_on, original_due_on, extended_due_on, completed_on, cancelled FROM followups_deadline "
        "WHERE commitment_id = %s ORDER BY due_on, ref",
        [c[0]],
    ).fetchall()
    contacts = conn.execute(
        "SELECT ct.name, ct.email FROM agreements_contact ct JOIN followups_commitment_contacts cc "
        "ON cc.contact_id = ct.id WHERE cc.commitment_id = %s ORDER BY ct.name",
        [c[0]],
    ).fetchall()
    updates = conn.execute(
        "SELECT u.old_status, u.new_status, u.note, u.happened_on, u.actor FROM followups_statusupdate u "
        "WHERE u.commitment_id = %s ORDER BY u.happened_on DESC, u.created_at DESC",
        [c[0]],
    ).fetchall()
    st = labels["status"]
    out = [
        f"<!doctype html><html lang='en'><head><title>{c[1]}</title></head><body><main>",
        f"<h1>{c[1]} {escape(c[2])}</h1><p>{escape(st[c[3]])}, {escape(labels['priority'][c[4]])}</p>",
        f"<p><a href='/frameworks/{c[6]}/'>{c[6]}</a> {escape(c[7])} {c[8] or ''}</p><p>{escape(c[5])}</p>",
        "<table><tbody>",
        *(f"<tr><td>{escape(name)}</td><td>{escape(st[s])}</td></tr>" for _, name, s in owners),
        "</tbody></table><table><tbody>",
        *(
            f"<tr><td>{d[0]}</td><td>{escape(d[1])}</td><td>{d[2]:%Y-%m-%d}</td><td>{d[3]:%Y-%m-%d}</td>"
            f"<td>{d[4] or ''}</td><td>{d[5] or ''}</td><td>{'cancelled' if d[6] else ''}</td></tr>"
            for d in deadlines
        ),
        "</tbody></table><ul>",
        *(f"<li>{escape(n)} {escape(e)}</li>" for n, e in contacts),
        "</ul><ol>",
        *(
            f"<li>{u[3]:%Y-%m-%d} {escape(u[4])}: {escape(st.get(u[0], ''))} → {escape(st[u[1]])}. {escape(u[2])}</li>"
            for u in updates
        ),
        "</ol></main></body></html>",
    ]
    return "".join(out)


# --- CSV export --------------------------------------------------------------------------------------------

_EXPORT_SQL = """
SELECT c.id, c.ref, c.title, f.ref, c.status, c.priority, c.category, wg.ref, c.next_due_on,
       CASE WHEN c.illustrative THEN 'illustrative' ELSE 'sourced' END, c.status_basis
FROM followups_commitment c
JOIN agreements_framework f ON f.id = c.framework_id
LEFT JOIN agreements_workinggroup wg ON wg.id = c.working_group_id
WHERE c.ref ILIKE %(like)s OR c.title ILIKE %(like)s OR c.note ILIKE %(like)s
ORDER BY CASE WHEN c.status = ANY(%(closed)s) THEN 1 ELSE 0 END, c.next_due_on, c.ref
"""
_EXPORT_OWNERS_SQL = """
SELECT co.commitment_id, o.name, co.status FROM followups_commitmentowner co
JOIN agreements_organisation o ON o.id = co.organisation_id
WHERE co.commitment_id = ANY(%s) ORDER BY co.commitment_id, o.name
"""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(conn, *, session_key: str, username: str, word: str, labels: dict, closed: list[str]) -> bytes:
    """The commitments list filtered by a word, every row, as the export's CSV bytes."""
    if not _staff(conn, session_key, username):
        return b"login"
    like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(_EXPORT_SQL, {"like": like, "closed": closed}).fetchall()
    owners: dict[int, list[str]] = {}
    st, pr, cat = labels["status"], labels["priority"], labels["category"]
    for cid, name, status in conn.execute(_EXPORT_OWNERS_SQL, [[r[0] for r in rows]]).fetchall():
        owners.setdefault(cid, []).append(f"{name} ({st[status]})")
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "Reference",
            "Title",
            "Framework",
            "Owners",
            "Status",
            "Priority",
            "Category",
            "Working group",
            "Next due",
            "Basis",
            "Status basis",
        ]
    )
    for cid, ref, title, fw, status, priority, category, wg, due, basis, status_basis in rows:
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    ref,
                    title,
                    fw,
                    "; ".join(owners.get(cid, [])),
                    st[status],
                    pr[priority],
                    cat[category],
                    wg or "",
                    due,
                    basis,
                    status_basis,
                )
            ]
        )
    return buffer.getvalue().encode()
