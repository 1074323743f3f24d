"""Signed links for points of contact (DESIGN.md, "Who may see and change what"): report progress on one commitment
and manage one's own reminders, without an account.

The folder: `models` (links stored hashed, the partner-message outbox, preference changes, pauses), `services`
(issue, resolve, revoke; report; preferences), `outbox` (sending partner messages at the reminder tick), `forms`,
`views`, `urls`, `timeline` (contacts' changes on a commitment's timeline) and `admin` (revoke).
"""
