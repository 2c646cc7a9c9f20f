"""The SMS gateway's webhooks in the API schema. They are plain Django views (signed by the gateway, not called
with a token), so drf-spectacular does not see them; this post-processing hook (SPECTACULAR_SETTINGS) writes
their contract next to the rest of the API: the signed headers, the bodies, and every answer they give."""

from campaigns.public_views import MAX_ITEMS

SIGNATURE_PARAMETERS = [
    {
        "name": "X-Timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Unix seconds when the gateway signed the body; refused outside a few minutes of now.",
    },
    {
        "name": "X-Signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "hex HMAC-SHA256 of `<X-Timestamp>.<body>` with the shared secret (SMS_WEBHOOK_SECRET).",
    },
]
ERROR_ANSWERS = {
    "400": "The body is not the JSON object described here.",
    "403": "Not signed by our gateway: missing or stale timestamp, bad signature.",
    "413": "The body is larger than 1 MB.",
    "503": "The webhook secret is not configured on this install.",
}


def _operation(summary: str, key: str, item: dict, answer: dict) -> dict:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "post": {
            "operationId": f"webhooks_sms_{key}",
            "summary": summary,
            "tags": ["webhooks"],
            "security": [],
            "parameters": SIGNATURE_PARAMETERS,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": [key],
                            "properties": {key: {"type": "array", "maxItems": MAX_ITEMS, "items": item}},
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Applied.",
                    "content": {"application/json": {"schema": answer}},
                },
                **{code: {"description": text, "content": error} for code, text in ERROR_ANSWERS.items()},
            },
        }
    }


RECEIPT = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "string", "description": "our delivery id, as sent to the gateway"},
        "message_id": {"type": "string"},
        "status": {"type": "string", "enum": ["delivered", "failed", "bounced"]},
        "at": {"type": "string", "format": "date-time"},
        "error": {"type": "string"},
    },
}
REPLY = {
    "type": "object",
    "required": ["from", "text"],
    "properties": {
        "from": {"type": "string", "description": "the sender's mobile number"},
        "text": {"type": "string", "description": "T, TD or 退订 opts the number out of SMS"},
        "at": {"type": "string", "format": "date-time"},
    },
}


def gateway_webhooks(result, generator, request, public):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] entry: adds the two webhook paths."""
    counts = {"type": "object", "properties": {"received": {"type": "integer"}}, "required": ["received"]}
    result.setdefault("paths", {})
    result["paths"]["/api/v1/webhooks/sms/receipts/"] = _operation(
        "Delivery receipts from the SMS gateway",
        "receipts",
        RECEIPT,
        {**counts, "properties": {**counts["properties"], "updated": {"type": "integer"}}},
    )
    result["paths"]["/api/v1/webhooks/sms/replies/"] = _operation(
        "Inbound SMS replies (unsubscribe words)",
        "replies",
        REPLY,
        {**counts, "properties": {**counts["properties"], "opted_out": {"type": "integer"}}},
    )
    return result
