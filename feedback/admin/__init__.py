from feedback.admin import surveys  # noqa: F401 — registers the survey models
