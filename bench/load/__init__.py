"""`manage.py load_test`: the Locust load test against gunicorn on the production settings (run), who logs in
(logins), the campaign sending beside it (campaign), the timed server (wsgi), what is measured (measures) and the
verdict (report)."""
