"""REST API: /api/v1/campaigns/ (with approve, launch, pause, resume, cancel and results), /api/v1/templates/
(with preview) and /api/v1/deliveries/ (the send log, cursor-paginated). The same scoping and services as the
pages; the gateway's webhooks are plain views in campaigns.public_views."""
