"""The dashboard's counts for all commitments, kept by the services in the transaction of each change (issue 15).

`models` holds the summary tables and what each commitment counted in them; `counts` refreshes them (the one named
service every door calls: `dashboard_summary_refresh`), rebuilds them from the tables and reads them.
"""
