"""Admin of the feedback app, one module per area; importing a module registers its models."""

from feedback.admin import complaints, surveys  # noqa: F401 - registers
